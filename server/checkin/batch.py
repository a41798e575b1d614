"""Offline batches: many scans in one unit of work, with one lock order for all of them.

Two organisers uploading the same people in opposite orders would otherwise each hold
one sign-up's lock and wait for the other's: a deadlock PostgreSQL breaks by failing one
upload. Here every sign-up the batch names is locked first, in id order (after the
activity's row when the batch may admit walk-ins, as sign-up and finish also lock the
activity before sign-ups), so concurrent uploads queue instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from server.accounts.models import User
from server.activities import signups as signup_rules
from server.activities.models import ACTIVE_SIGNUP, Signup
from server.activities.services import can_oversee
from server.checkin import codes
from server.checkin.models import PersonalCode
from server.checkin.services import ScanRequest, redeem
from server.core import events
from server.core.errors import NotFound
from server.extensions import db


def _named_users(requests: list[ScanRequest]) -> set[int]:
    ids = {r.user_id for r in requests if r.user_id is not None}
    tokens = {r.code.strip()[len(codes.PERSONAL_PREFIX):] for r in requests
              if r.code and r.code.strip().startswith(codes.PERSONAL_PREFIX)}
    if tokens:
        ids |= set(db.session.scalars(select(PersonalCode.user_id).where(
            PersonalCode.token.in_(tokens))))
    return ids


def lock_in_order(activity_id: int, requests: list[ScanRequest]) -> None:
    if any(r.walk_in for r in requests):
        signup_rules.lock_activity(activity_id)
    users = _named_users(requests)
    if users:
        db.session.scalars(select(Signup.id).where(
            Signup.activity_id == activity_id, Signup.user_id.in_(users),
            Signup.status.in_(ACTIVE_SIGNUP)).order_by(Signup.id).with_for_update(key_share=True)).all()


def upload(activity_id: int, items: list[dict], *, operator: User, now: datetime,
           ip: str | None = None) -> list:
    """Each scan gets its own answer, in the order sent; replays change nothing."""
    from server.activities.models import Activity
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound()
    requests = [request_from(activity_id, item, "offline_upload", operator=operator, ip=ip)
                for item in items]
    # someone who may not scan here has each scan answered, none written (services.redeem)
    if can_oversee(operator, activity):
        lock_in_order(activity_id, requests)
    # a person's late entry and exit in one batch make one hours entry, not two
    with events.gathered():
        return [redeem(r, now=now) for r in requests]


def request_from(activity_id: int, data: dict, source: str, *, operator: User | None,
                 ip: str | None) -> ScanRequest:
    """A scan as the API sends it: a person found by id or phone is a search."""
    if source == "organiser_scan" and data.get("user_id") is not None:
        source = "manual_search"
    elif source == "organiser_scan" and data.get("phone") is not None:
        source = "phone_lookup"
    return ScanRequest(
        activity_id=activity_id, direction=data["direction"], source=source,
        operator=operator, code=data.get("code"), user_id=data.get("user_id"),
        phone=data.get("phone"), client_time=data.get("client_time"), nonce=data.get("nonce"),
        device=data.get("device"), forced=data["forced"], walk_in=data["walk_in"], ip=ip)
