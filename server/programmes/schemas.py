"""Programmes in and out."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate as v

from server.activities.schemas import ActivityOut
from server.core.fields import Id, LocalDateTime, Whole


class ProgrammeIn(ma.Schema):
    organisation_id = Id(required=True)
    name = ma.fields.String(required=True, validate=v.Length(min=1, max=120))
    description = ma.fields.String(load_default="", validate=v.Length(max=5000))


class ProgrammePatch(ma.Schema):
    name = ma.fields.String(validate=v.Length(min=1, max=120))
    description = ma.fields.String(validate=v.Length(max=5000))


class ProgrammeArgs(ma.Schema):
    organisation_id = Id(load_default=None)
    page = Whole(load_default=1, validate=v.Range(1, 10000))


class ActivitiesArgs(ma.Schema):
    when = ma.fields.String(load_default="upcoming", validate=v.OneOf(("upcoming", "past")))
    page = Whole(load_default=1, validate=v.Range(1, 10000))


class ProgrammeTotalsOut(ma.Schema):
    """Over the programme's whole life, counted as the dashboard counts."""

    activities = ma.fields.Integer(metadata={"description": "activities held (finished)"})
    upcoming = ma.fields.Integer(metadata={"description": "published, still to come"})
    participants = ma.fields.Integer(metadata={"description": "distinct people with approved "
                                                              "hours"})
    person_times = ma.fields.Integer()
    hours = ma.fields.Decimal(as_string=True, places=1)


class ProgrammeOut(ma.Schema):
    """Dumps a services.Overview."""

    id = ma.fields.Function(lambda o: o.programme.id)
    name = ma.fields.Function(lambda o: o.programme.name)
    description = ma.fields.Function(lambda o: o.programme.description)
    organisation_id = ma.fields.Function(lambda o: o.programme.organisation_id)
    organisation = ma.fields.Function(lambda o: o.programme.organisation.name)
    created_at = ma.fields.Function(
        lambda o: LocalDateTime()._serialize(o.programme.created_at, None, None))
    figures = ma.fields.Method("_figures")

    def _figures(self, o):
        f = o.figures
        return ProgrammeTotalsOut().dump({"activities": f.activities, "upcoming": o.upcoming,
                                  "participants": f.participants,
                                  "person_times": f.person_times, "hours": f.hours})


class ProgrammePageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ProgrammeOut))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    pages = ma.fields.Integer()


class ProgrammeActivitiesOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ActivityOut))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    pages = ma.fields.Integer()
