"""Programmes (全职妈妈成长计划, 银龄相伴…): a run of activities of one organisation under
one name. Who may create and edit them, and what a programme shows: its activities, its
participants and hours (counted as every other statistic is, server.reports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from server.accounts.models import User
from server.activities.models import Activity, Programme
from server.activities.services import PUBLIC_STATUSES, can_create_for
from server.communities.models import Organisation
from server.communities.services import organisations_visible_to
from server.core.errors import Forbidden, ValidationError
from server.core.fields import visible
from server.extensions import db
from server.programmes import errors
from server.reports.programmes import ProgrammeFigures, totals


def can_manage(user: User | None, programme: Programme) -> bool:
    """The organisation's organisers, and admins above it: as for its activities."""
    return can_create_for(user, programme.organisation)


def organisations_for(user: User | None) -> list[Organisation]:
    """The active organisations the person may create programmes for."""
    if user is None:
        return []
    return [o for o in organisations_visible_to(user) if o.active and can_create_for(user, o)]


def get_programme(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise errors.ProgrammeNotFound()
    return programme


def listed(*, organisation_id: int | None = None) -> Select:
    """Programmes of active organisations, by name (public: residents find them too)."""
    query = (select(Programme).join(Organisation, Organisation.id == Programme.organisation_id)
             .where(Organisation.active.is_(True)))
    if organisation_id is not None:
        query = query.where(Programme.organisation_id == organisation_id)
    return query.order_by(Programme.name, Programme.id)


def _name(value: str | None) -> str:
    name = visible(value)  # a look-alike with invisible characters is the same name
    if not 1 <= len(name) <= 120:
        raise ValidationError(errors={"name": ["length"]})
    return name


def _save(programme: Programme) -> Programme:
    """Flush inside a savepoint: the look beforehand answers the usual case, the unique
    index the one where two people chose the same name at the same moment."""
    try:
        with db.session.begin_nested():
            db.session.add(programme)
            db.session.flush()
    except IntegrityError:
        raise errors.ProgrammeNameTaken() from None
    return programme


def _name_free(organisation_id: int, name: str, exclude: int | None = None) -> None:
    query = select(Programme.id).where(Programme.organisation_id == organisation_id,
                                       Programme.name == name)
    if exclude is not None:
        query = query.where(Programme.id != exclude)
    if db.session.scalar(query) is not None:
        raise errors.ProgrammeNameTaken()


def create_programme(*, actor: User, organisation: Organisation, name: str,
                     description: str = "", now: datetime) -> Programme:
    if not can_create_for(actor, organisation) or not organisation.active:
        raise Forbidden()
    name = _name(name)
    _name_free(organisation.id, name)
    return _save(Programme(organisation_id=organisation.id, name=name,
                           description=(description or "").strip(), created_at=now,
                           created_by_id=actor.id))


def update_programme(programme: Programme, *, actor: User, now: datetime,
                     **changes) -> Programme:
    if not can_manage(actor, programme):
        raise Forbidden()
    if "name" in changes:
        name = _name(changes["name"])
        _name_free(programme.organisation_id, name, exclude=programme.id)
        programme.name = name
    if "description" in changes:
        programme.description = (changes["description"] or "").strip()
    programme.updated_at = now
    return _save(programme)


@dataclass
class Overview:
    """A programme with its figures and how many of its activities are still to come."""

    programme: Programme
    figures: ProgrammeFigures
    upcoming: int


def overviews(programmes: list[Programme], *, now: datetime) -> list[Overview]:
    """Figures for a page of programmes: three grouped queries for all of them."""
    ids = [p.id for p in programmes]
    found = totals(ids)
    coming = dict(db.session.execute(
        select(Activity.programme_id, func.count()).where(
            Activity.programme_id.in_(ids), Activity.status == "published",
            Activity.starts_at > now).group_by(Activity.programme_id)).all()) if ids else {}
    return [Overview(p, found[p.id], coming.get(p.id, 0)) for p in programmes]


def activities_of(programme: Programme, *, viewer: User | None, upcoming: bool,
                  now: datetime) -> Select:
    """The programme's activities, coming ones soonest first or past ones latest first;
    drafts only for those who manage the programme."""
    query = select(Activity).where(Activity.programme_id == programme.id)
    if not can_manage(viewer, programme):
        query = query.where(Activity.published_at.is_not(None),
                            Activity.status.in_(PUBLIC_STATUSES))
    if upcoming:
        return query.where(Activity.ends_at > now, Activity.status != "finished",
                           Activity.status != "cancelled").order_by(Activity.starts_at)
    return query.where((Activity.ends_at <= now) | Activity.status.in_(
        ("finished", "cancelled"))).order_by(Activity.starts_at.desc())
