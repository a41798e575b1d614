"""Page endpoints (thin): log in, log out, register, the privacy notice.

The "me" pages (profile, notifications, language, care mode) live in
profile_views.py on the same blueprint.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server.accounts import errors, services
from server.accounts.login import log_in, log_out
from server.accounts.models import SKILLS
from server.accounts.schemas import LoginIn, RegisterIn
from server.accounts.throttle import login_limit, register_limit
from server.communities.services import places_for_residents
from server.core import clock
from server.core.language import interface_language
from server.core.pages import FORM_ERRORS, load_form, me, problem, safe_next

bp = Blueprint("accounts_pages", __name__)


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    """Log in with mobile number and password."""
    if me() is not None and request.method == "GET":
        return redirect(safe_next(url_for("activities_pages.index")))
    message, fields, status = None, {}, 200
    if request.method == "POST":
        try:
            data = load_form(LoginIn())
            user = services.authenticate(phone=data["phone"], password=data["password"])
        except (*FORM_ERRORS, errors.BadCredentials, errors.AccountDisabled) as exc:
            message, fields, status = problem(exc)
        else:
            log_in(user, remember=data["remember"], now=clock.now())
            flash(_("Welcome back, %(name)s.", name=user.name), "success")
            return redirect(safe_next(url_for("activities_pages.index")))
    return render_template("accounts/login.html", message=message, errors=fields,
                           phone=request.form.get("phone", ""),
                           remember=bool(request.form.get("remember")),
                           next=safe_next("")), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and go back to the activity list."""
    log_out(now=clock.now())
    flash(_("You have logged out."), "success")
    return redirect(url_for("activities_pages.index"))


def _register_form(message=None, fields=None, status=200):
    values = request.form.to_dict() if request.method == "POST" else {}
    values["skills"] = request.form.getlist("skills")
    return render_template(
        "accounts/register.html", message=message, errors=fields or {}, values=values,
        places=places_for_residents(), skills=SKILLS, next=safe_next(""),
        guardian_age=current_app.config["GUARDIAN_CONSENT_AGE"]), status


@bp.route("/register", methods=["GET", "POST"])
@register_limit
def register():
    """Create a resident account, recording consent to the privacy notice."""
    if request.method == "GET":
        return _register_form()
    try:
        data = load_form(RegisterIn())
        remember = data.pop("remember")
        user = services.register_user(now=clock.now(), ip=request.remote_addr,
                                      locale=interface_language(), **data)
    except FORM_ERRORS as exc:
        return _register_form(*problem(exc))
    log_in(user, remember=remember, now=clock.now())
    flash(_("Welcome to Wushe, %(name)s.", name=user.name), "success")
    return redirect(safe_next(url_for("activities_pages.index")))


@bp.route("/privacy")
def privacy():
    """The privacy notice people accept when they register."""
    return render_template("accounts/privacy.html",
                           version=current_app.config["PRIVACY_NOTICE_VERSION"],
                           guardian_age=current_app.config["GUARDIAN_CONSENT_AGE"])


# The profile pages and the SMS code pages register their routes on `bp` when imported.
from server.accounts import code_views, family_views, profile_views  # noqa: E402,F401
