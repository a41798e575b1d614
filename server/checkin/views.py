"""Page endpoints (thin): my code, the scanner, the venue code, self check-in."""

from flask import Blueprint

bp = Blueprint("checkin_pages", __name__)
