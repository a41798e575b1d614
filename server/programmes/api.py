"""/api/v1/programmes: list, read, create and edit programmes, and their activities."""

from __future__ import annotations

from flask_login import login_required

from server.communities.services import get_organisation
from server.core import clock
from server.core.api import Blueprint
from server.core.pages import me
from server.extensions import db
from server.programmes import services
from server.programmes.schemas import (
    ActivitiesArgs,
    ProgrammeActivitiesOut,
    ProgrammeArgs,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePageOut,
    ProgrammePatch,
)

programmes = Blueprint("programmes", __name__, url_prefix="/api/v1/programmes",
                       description="Programmes: runs of activities under one name.")
blueprints = [programmes]
PAGE_SIZE = 20


def _one(programme) -> services.Overview:
    return services.overviews([programme], now=clock.now())[0]


@programmes.route("", methods=["GET"])
@programmes.arguments(ProgrammeArgs, location="query")
@programmes.response(200, ProgrammePageOut)
def list_programmes(args):
    """Programmes of active organisations by name, with their figures (public)."""
    page = db.paginate(services.listed(organisation_id=args["organisation_id"]),
                       page=args["page"], per_page=PAGE_SIZE, error_out=False)
    return {"items": services.overviews(list(page.items), now=clock.now()),
            "total": page.total, "page": page.page, "pages": page.pages}


@programmes.route("", methods=["POST"])
@login_required
@programmes.arguments(ProgrammeIn)
@programmes.response(201, ProgrammeOut)
def create_programme(data):
    """Create a programme for an organisation one organises for (or administers)."""
    organisation = get_organisation(data.pop("organisation_id"))
    return _one(services.create_programme(actor=me(), organisation=organisation,
                                          now=clock.now(), **data))


@programmes.route("/<int:programme_id>", methods=["GET"])
@programmes.response(200, ProgrammeOut)
def show_programme(programme_id):
    """One programme with its figures (public)."""
    return _one(services.get_programme(programme_id))


@programmes.route("/<int:programme_id>", methods=["PATCH"])
@login_required
@programmes.arguments(ProgrammePatch)
@programmes.response(200, ProgrammeOut)
def update_programme(data, programme_id):
    """Rename a programme or change its description (its organisers and admins)."""
    return _one(services.update_programme(services.get_programme(programme_id), actor=me(),
                                          now=clock.now(), **data))


@programmes.route("/<int:programme_id>/activities", methods=["GET"])
@programmes.arguments(ActivitiesArgs, location="query")
@programmes.response(200, ProgrammeActivitiesOut)
def programme_activities(args, programme_id):
    """The programme's activities still to come (soonest first) or past (latest first)."""
    programme = services.get_programme(programme_id)
    query = services.activities_of(programme, viewer=me(), upcoming=args["when"] == "upcoming",
                                   now=clock.now())
    page = db.paginate(query, page=args["page"], per_page=PAGE_SIZE, error_out=False)
    return {"items": list(page.items), "total": page.total, "page": page.page,
            "pages": page.pages}
