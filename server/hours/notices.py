"""What the hours domain tells people: decisions on their hours, certificates, and the
organisers' warning before the record deadline (办法 Art. 11)."""

from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _

from server.core import timefmt
from server.core.labels import sentence
from server.notifications.kinds import declare
from server.notifications.services import notify


def _entry_link(note) -> str | None:
    entry_id = (note.params or {}).get("entry_id")
    return url_for("hours_pages.entry", entry_id=entry_id) if entry_id else None


def _certificates(note) -> str:
    return url_for("certificate_pages.mine")


def _queue(note) -> str:
    return url_for("hours_pages.queue")


def _day(p: dict, key: str) -> str:
    try:
        return format_date(date.fromisoformat(p[key]), "medium")
    except (KeyError, TypeError, ValueError):
        return ""


declare("hours_approved", topic="hours", link=_entry_link, text=lambda p: _(
    "Your %(duration)s at “%(title)s” have been approved.",
    duration=timefmt.duration(p.get("minutes")), title=p.get("title", "")))
declare("hours_adjusted", topic="hours", link=_entry_link, text=lambda p: _(
    "Your hours at “%(title)s” were set to %(duration)s: %(reason)s",
    duration=timefmt.duration(p.get("minutes")), title=p.get("title", ""),
    reason=p.get("reason", "")))
declare("hours_rejected", topic="hours", link=_entry_link, text=lambda p: _(
    "Your hours at “%(title)s” were not approved: %(reason)s If this is a mistake, "
    "ask for a correction.", title=p.get("title", ""), reason=sentence(p.get("reason"))))
declare("correction_declined", topic="hours", link=_entry_link, text=lambda p: _(
    "Your correction request for “%(title)s” was declined: %(reason)s",
    title=p.get("title", ""), reason=p.get("reason", "")))
declare("certificate_issued", topic="hours", link=_certificates, text=lambda p: _(
    "%(issuer)s has issued your volunteer service certificate %(number)s. You can "
    "download it now.", issuer=p.get("issuer", ""), number=p.get("number", "")))
declare("certificate_declined", topic="hours", link=_certificates, text=lambda p: _(
    "%(issuer)s declined your certificate request: %(reason)s",
    issuer=p.get("issuer", ""), reason=p.get("reason", "")))
declare("certificate_revoked", topic="hours", link=_certificates, text=lambda p: _(
    "%(issuer)s revoked your volunteer service certificate %(number)s: %(reason)s. It no "
    "longer verifies as valid.", issuer=p.get("issuer", ""), number=p.get("number", ""),
    reason=p.get("reason", "")))
declare("record_deadline", topic="work", link=_queue, text=lambda p: _(
    "Hours of “%(title)s” must be recorded by %(due)s (10 working days after the "
    "activity): %(count)s still wait for review.", title=p.get("title", ""),
    due=_day(p, "due"), count=p.get("pending", 0)))


def on_decided(*, entry, decision: str, reason: str | None, now: datetime) -> None:
    """Subscribed to HOURS_DECIDED: the volunteer hears what became of their hours."""
    kind = {"approved": "hours_approved", "rejected": "hours_rejected",
            "adjusted": "hours_adjusted"}[decision]
    notify(entry.user_id, kind, now=now, activity_id=entry.activity_id, entry_id=entry.id,
           title=entry.activity.title, minutes=entry.minutes, reason=reason or "")


def correction_declined(req, *, now: datetime) -> None:
    notify(req.user_id, "correction_declined", now=now, activity_id=req.entry.activity_id,
           entry_id=req.entry_id, title=req.entry.activity.title,
           reason=req.answer_reason or "")


def certificate_decided(cert, *, issuer_name: str, now: datetime) -> None:
    kind = {"issued": "certificate_issued", "revoked": "certificate_revoked"}.get(
        cert.status, "certificate_declined")
    notify(cert.user_id, kind, now=now, certificate_id=cert.id, issuer=issuer_name,
           number=cert.number or "", reason=cert.revoked_reason or "")


def warn_deadline(organiser_id: int, *, activity, due: date, pending: int,
                  now: datetime) -> bool:
    """Once per organiser and activity; True if this call told them."""
    return notify(organiser_id, "record_deadline", now=now, activity_id=activity.id,
                  key=f"record_deadline:{activity.id}", title=activity.title,
                  due=due.isoformat(), pending=pending) is not None
