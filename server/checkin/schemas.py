"""Scans in and answers out."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate as v

from server.accounts.privacy import mask_phone
from server.checkin.errors import result_text
from server.checkin.models import DIRECTIONS, RESULTS, UNRECORDED
from server.core.fields import (
    Computed,
    Coordinate,
    Count,
    Flag,
    Id,
    LocalDateTime,
    NestedFrom,
    Text,
    Whole,
)

NONCE = v.Regexp(r"^[A-Za-z0-9_.:-]{8,64}$")


class ScanIn(ma.Schema):
    """One of: the scanned code; a signed-up person found by search (user_id); a full
    mobile number (to admit a walk-in who has no code at hand)."""

    code = ma.fields.String(load_default=None, validate=v.Length(max=512))
    user_id = Id(load_default=None)
    phone = ma.fields.String(load_default=None, validate=v.Length(min=1, max=20))
    direction = ma.fields.String(load_default="entry", validate=v.OneOf(DIRECTIONS))
    nonce = ma.fields.String(load_default=None, validate=NONCE)
    device = ma.fields.String(load_default=None, validate=v.Length(max=64))
    forced = ma.fields.Boolean(load_default=False)
    walk_in = ma.fields.Boolean(load_default=False)


class OfflineScanIn(ScanIn):
    """A scan made without network: its nonce and the phone's clock are required."""

    class Meta:
        exclude = ("phone",)

    nonce = ma.fields.String(required=True, validate=NONCE)
    client_time = LocalDateTime(required=True)


class BatchIn(ma.Schema):
    scans = ma.fields.List(ma.fields.Nested(OfflineScanIn), required=True,
                           validate=v.Length(min=1, max=500))


class ScannedPersonOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String(metadata={"description": "masked"})
    managed_by_name = ma.fields.String(allow_none=True, metadata={
        "description": "who manages a family member (who signed them up)"})


class ScanOut(ma.Schema):
    id = ma.fields.Integer(allow_none=True, metadata={
        "description": "null when the answer was not recorded (nonce_reused)"})
    result = ma.fields.String(validate=v.OneOf(RESULTS + UNRECORDED))
    ok = Flag(lambda s: s.result == "ok")
    message = Text(lambda s: result_text(s.result, s.direction))
    direction = ma.fields.String()
    source = ma.fields.String()
    nonce = ma.fields.String(allow_none=True)
    forced = ma.fields.Boolean()
    walk_in = ma.fields.Boolean()
    assisted = ma.fields.Boolean(metadata={"description": "found by name or phone"})
    late = ma.fields.Boolean(metadata={"description": "accepted after the activity was "
                                                      "finished; its hours go to review"})
    duplicate_of_id = Id(allow_none=True)
    server_time = LocalDateTime()
    effective_time = LocalDateTime()
    # whoever may not scan here learns nothing about the code's owner
    # a family member without a phone also names who manages them (who signed them up)
    person = NestedFrom(ScannedPersonOut, lambda s: {
        "id": s.user.id, "name": s.user.name, "phone": mask_phone(s.user.phone),
        "managed_by_name": s.user.managed_by.name if s.user.managed_by else None}
        if s.user and s.result != "not_allowed" else None, allow_none=True)


class BatchOut(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(ScanOut))


class CountsOut(ma.Schema):
    signed_up = ma.fields.Integer()
    present = ma.fields.Integer()
    left = ma.fields.Integer()


class RosterRowOut(ma.Schema):
    """What a scanner caches to decide offline: hashes of codes, never the codes."""

    signup_id = Id()
    user_id = Id()
    name = ma.fields.String()
    phone = ma.fields.String()
    status = ma.fields.String()
    presence = ma.fields.String()
    code_hash = ma.fields.String(allow_none=True)


class ScannerStateArgs(ma.Schema):
    since = Whole(load_default=None, validate=v.Range(0, 10**14), metadata={
        "description": "the `cursor` of the last answer: only what changed since comes back"})


class ScannerStateOut(ma.Schema):
    activity_id = Id()
    title = ma.fields.String()
    counts = ma.fields.Nested(CountsOut)
    roster = ma.fields.List(ma.fields.Nested(RosterRowOut), metadata={
        "description": "every row on the list (`full`), or the rows changed since `since`"})
    removed = ma.fields.List(Id(), metadata={
        "description": "sign-up ids that left the list since `since` (empty when `full`)"})
    full = ma.fields.Boolean(metadata={
        "description": "the whole list: replace the cached one (no cursor, or too old)"})
    cursor = ma.fields.Integer(metadata={"description": "send as `since` next time"})


class SearchArgs(ma.Schema):
    q = ma.fields.String(required=True, validate=v.Length(min=1, max=40))


class VenueCodeOut(ma.Schema):
    url = ma.fields.String()
    seconds_left = ma.fields.Integer()
    poster_url = ma.fields.String()


class MyCodeOut(ma.Schema):
    payload = ma.fields.String()
    created_at = LocalDateTime()
    user_id = Id(metadata={"description": "whose code: oneself or a family member"})
    user_name = ma.fields.String()


class MyCodeArgs(ma.Schema):
    member_id = Id(load_default=None, allow_none=True, metadata={
        "description": "the code of one of your family members instead of your own"})


class SelfCheckInIn(ma.Schema):
    step = ma.fields.String(required=True, validate=v.Length(max=20))
    mac = ma.fields.String(required=True, validate=v.Length(max=40))
    # what the person pressed: a retry or a second tap never flips entry into exit
    direction = ma.fields.String(required=True, validate=v.OneOf(DIRECTIONS))
    nonce = ma.fields.String(load_default=None, validate=NONCE)
    latitude = Coordinate(load_default=None, validate=v.Range(-90, 90))
    longitude = Coordinate(load_default=None, validate=v.Range(-180, 180))


def _near(degrees: float | None) -> float | None:
    """Three decimals, about 100 m: enough to tell the venue from elsewhere, not a door."""
    return None if degrees is None else round(degrees, 3)


class ScanLogOut(ScanOut):
    """The record for organisers and reviewers: how and roughly where each scan happened.
    The address it came from and the exact position stay in the database (the person's
    own data download holds them), not in what staff read."""

    device = ma.fields.String(allow_none=True)
    client_time = LocalDateTime(allow_none=True)
    operator_name = Text(lambda s: s.operator.name if s.operator else None, nullable=True)
    latitude = Computed(lambda s: _near(s.latitude), "number", nullable=True, metadata={
        "description": "GCJ-02, to three decimals (about 100 m); null without a position"})
    longitude = Computed(lambda s: _near(s.longitude), "number", nullable=True)


class ScanLogArgs(ma.Schema):
    result = ma.fields.String(load_default=None, validate=v.OneOf(RESULTS), metadata={
        "description": "only the scans with this result"})
    limit = Whole(load_default=200, validate=v.Range(1, 1000))


# paper sign-in sheets ---------------------------------------------------------------------

class SheetRowOut(ma.Schema):
    """A printed row: the code is the row's own, valid on this activity's sheet only."""

    number = ma.fields.Integer()
    signup_id = Count(lambda r: r.signup.id)
    name = Text(lambda r: r.user.name)
    phone = Text(lambda r: mask_phone(r.user.phone))
    presence = Text(lambda r: r.signup.presence)
    token = ma.fields.String()


class SheetOut(ma.Schema):
    activity_id = Id()
    title = ma.fields.String()
    rows = ma.fields.List(ma.fields.Nested(SheetRowOut))


class PaperRowIn(ma.Schema):
    """One row: its printed code (scanned) or its sign-up (typed), and the ticks. A time
    without a tick counts as ticked; a tick without a time is the activity's start or end."""

    signup_id = Id(load_default=None)
    token = ma.fields.String(load_default=None, validate=v.Length(min=1, max=120))
    entry = ma.fields.Boolean(load_default=False)
    exit = ma.fields.Boolean(load_default=False)
    entry_time = LocalDateTime(load_default=None)
    exit_time = LocalDateTime(load_default=None)


class PaperBatchIn(ma.Schema):
    nonce = ma.fields.String(required=True, validate=v.Regexp(r"^[A-Za-z0-9_.-]{8,40}$"))
    rows = ma.fields.List(ma.fields.Nested(PaperRowIn), required=True,
                          validate=v.Length(min=1, max=1000))


class PaperTickOut(ma.Schema):
    result = ma.fields.String()
    ok = Flag(lambda s: s.result == "ok")
    message = Text(lambda s: result_text(s.result, s.direction))
    effective_time = LocalDateTime()
    late = ma.fields.Boolean()


class PaperRowOut(ma.Schema):
    signup_id = Id()
    name = Text(lambda r: r.user.name)
    phone = Text(lambda r: mask_phone(r.user.phone))
    entry = ma.fields.Nested(PaperTickOut, allow_none=True)
    exit = ma.fields.Nested(PaperTickOut, allow_none=True)


class EnteredByOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class PaperBatchOut(ma.Schema):

    """The batch as entered; sending the same nonce again returns this very answer."""

    id = Id()
    nonce = ma.fields.String()
    source = ma.fields.Constant("paper", metadata={"type": "string", "enum": ["paper"]})
    entered_by = NestedFrom(EnteredByOut, lambda b: b.entered_by)
    entered_at = LocalDateTime()
    rows = NestedFrom(PaperRowOut, lambda b: _entered(b), many=True)


def _entered(batch):
    from server.checkin.paper import entered_rows
    return entered_rows(batch)
