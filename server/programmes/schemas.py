"""Programmes in and out."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate as v

from server.activities.schemas import ActivityOut
from server.core.fields import (
    Count,
    Id,
    NestedFrom,
    Text,
    When,
    Whole,
)


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

    id = Count(lambda o: o.programme.id)
    name = Text(lambda o: o.programme.name)
    description = Text(lambda o: o.programme.description)
    organisation_id = Count(lambda o: o.programme.organisation_id)
    organisation = Text(lambda o: o.programme.organisation.name)
    created_at = When(lambda o: o.programme.created_at)
    figures = NestedFrom(ProgrammeTotalsOut, lambda o: {
        "activities": o.figures.activities, "upcoming": o.upcoming,
        "participants": o.figures.participants, "person_times": o.figures.person_times,
        "hours": o.figures.hours})



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
