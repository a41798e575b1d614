"""Activities and sign-ups: in and out."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import validate as v

from server.accounts.models import SKILLS
from server.accounts.privacy import mask_phone
from server.activities.models import ACTIVITY_KINDS, FORCES, SIGNUP_MODES
from server.activities.search import MAX_QUERY, NEARS, SORTS, WHENS, ActivityFilter
from server.core import clock
from server.core.fields import (
    Count,
    EventDay,
    Flag,
    Id,
    LocalDateTime,
    NestedFrom,
    Text,
    When,
    Whole,
    said,
)
from server.core.labels import ACTIVITY_KIND, ACTIVITY_PHASE, ACTIVITY_STATUS, label


class ActivityIn(ma.Schema):
    organisation_id = Id(required=True)
    node_id = Id()
    programme_id = Id(allow_none=True)
    title = ma.fields.String(required=True, validate=v.Length(min=1, max=120))
    kind = ma.fields.String(required=True, validate=v.OneOf(ACTIVITY_KINDS))
    description = ma.fields.String(validate=v.Length(max=5000))
    place = ma.fields.String(required=True, validate=v.Length(min=1, max=200))
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    signup_opens_at = LocalDateTime(allow_none=True)
    signup_closes_at = LocalDateTime(allow_none=True)
    signup_mode = ma.fields.String(validate=v.OneOf(SIGNUP_MODES))
    withdraw_cutoff_hours = Whole(validate=v.Range(0, 720))
    capacity = Whole(required=True, validate=v.Range(1, 100000))
    min_age = Whole(allow_none=True, validate=v.Range(0, 120))
    required_skills = ma.fields.List(ma.fields.String(validate=v.OneOf(SKILLS)))
    insurance_required = ma.fields.Boolean()
    forces = ma.fields.List(ma.fields.String(validate=v.OneOf(FORCES)))
    contact_name = ma.fields.String(validate=v.Length(max=40))


class ActivityPatch(ActivityIn):
    class Meta:
        exclude = ("organisation_id",)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ActivityArgs(ma.Schema):
    """The public list's filters: words (all must match), chips that combine, an order."""

    node_id = Id(load_default=None)
    kind = ma.fields.String(load_default=None, validate=v.OneOf(ACTIVITY_KINDS))
    date = EventDay(load_default=None)
    when = ma.fields.String(load_default=None, validate=v.OneOf(WHENS), metadata={
        "description": "today | weekend (this or the coming one) | week | month"})
    near = ma.fields.String(load_default=None, validate=v.OneOf(NEARS), metadata={
        "description": "community | street: around the logged-in person's home community"})
    open = ma.fields.Boolean(load_default=False, metadata={
        "description": "only activities with a free place whose sign-up is open now"})
    skills = ma.fields.Boolean(load_default=False, metadata={
        "description": "only activities whose required skills the logged-in person has"})
    q = ma.fields.String(load_default=None, validate=v.Length(max=MAX_QUERY, error=said(_l(
        "Search with at most {max} characters: fewer or shorter words."))), metadata={
        "description": "words separated by spaces; each must appear in the title, place, "
                       "description, organisation or programme"})
    sort = ma.fields.String(load_default="soon", validate=v.OneOf(SORTS), metadata={
        "description": "soon (starting first) | new (published last) | places (most free)"})
    include_past = ma.fields.Boolean(load_default=False)
    page = Whole(load_default=1, validate=v.Range(1, 10000))

    @ma.post_load
    def _filter(self, data, **kwargs):
        """The list's filter; `args` of the page and API."""
        data["filter"] = ActivityFilter(
            node_id=data["node_id"], kind=data["kind"], day=data["date"], when=data["when"],
            near=data["near"], open=data["open"], skills=data["skills"], q=data["q"],
            sort=data["sort"], include_past=data["include_past"], page=data["page"])
        return data


class ActivityOut(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    kind = ma.fields.String()
    kind_label = Text(lambda a: label(ACTIVITY_KIND, a.kind))
    status = ma.fields.String()
    status_label = Text(lambda a: label(ACTIVITY_STATUS, a.status))
    # the status as people read it now: "under_way" or "ended" for a published activity
    # past its start (not yet marked finished), else the status itself
    phase = Text(lambda a: a.phase(clock.now()), metadata={
        "enum": list(ACTIVITY_PHASE)})
    phase_label = Text(lambda a: label(ACTIVITY_PHASE, a.phase(clock.now())))
    description = ma.fields.String()
    place = ma.fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    signup_opens_at = LocalDateTime(allow_none=True)
    signup_closes_at = LocalDateTime(allow_none=True)
    signup_mode = ma.fields.String()
    # a lottery's sha256(seed), public from the start; the seed itself only in its draw
    lottery_commitment = ma.fields.String(allow_none=True)
    withdraw_cutoff_hours = ma.fields.Integer()
    capacity = ma.fields.Integer()
    confirmed_count = ma.fields.Integer()
    places_left = ma.fields.Integer()
    waitlist_count = ma.fields.Integer()
    min_age = ma.fields.Integer(allow_none=True)
    required_skills = ma.fields.List(ma.fields.String())
    insurance_required = ma.fields.Boolean()
    forces = ma.fields.List(ma.fields.String())
    contact_name = ma.fields.String()
    cancel_reason = ma.fields.String(allow_none=True)
    organisation_id = Id()
    organisation_name = Text(lambda a: a.organisation.name)
    node_id = Id()
    node_name = Text(lambda a: a.node.name)
    programme_id = Id(allow_none=True)
    programme_name = Text(lambda a: a.programme.name if a.programme else None, nullable=True)


class ActivityPageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ActivityOut))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    pages = ma.fields.Integer()


class SignupOut(ma.Schema):
    id = ma.fields.Integer()
    activity_id = Id()
    activity_title = Text(lambda s: s.activity.title)
    starts_at = When(lambda s: s.activity.starts_at)
    status = ma.fields.String()
    position = ma.fields.Integer(allow_none=True, dump_default=None)
    created_at = LocalDateTime()
    promoted_at = LocalDateTime(allow_none=True)
    user_id = Id(metadata={"description": "who is signed up (oneself or a family member)"})
    user_name = Text(lambda s: s.user.name)
    acted_by_name = Text(lambda s: s.acted_by.name if s.acted_by else None, nullable=True,
                         metadata={"description": "who signed them up, when not themself"})


class MyActivitiesOut(ma.Schema):
    upcoming = ma.fields.List(ma.fields.Nested(SignupOut))
    waitlisted = ma.fields.List(ma.fields.Nested(SignupOut))
    past = ma.fields.List(ma.fields.Nested(SignupOut))


class RosterEntryOut(ma.Schema):
    """Organisers and coordinators see names and masked phones, never full numbers."""

    id = ma.fields.Integer()
    user_id = Id()
    name = Text(lambda s: s.user.name)
    phone = Text(lambda s: mask_phone(s.user.phone))
    status = ma.fields.String()
    queue_no = ma.fields.Integer()
    created_at = LocalDateTime()
    acted_by_name = Text(lambda s: s.acted_by.name if s.acted_by else None, nullable=True)


class SignupIn(ma.Schema):
    member_id = Id(load_default=None, allow_none=True, metadata={
        "description": "sign up one of your family members (GET /api/v1/me/family) "
                       "instead of yourself"})


class ReasonIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=v.Length(min=1, max=500))


class DrawnEntryOut(ma.Schema):
    """One entry of a drawn lottery, in drawn order: its id (each entrant sees their own)
    and what it got; no names."""

    entry_id = ma.fields.Integer()
    outcome = ma.fields.String()
    position = ma.fields.Integer(allow_none=True)


class DrawOut(ma.Schema):
    algorithm = ma.fields.String()
    seed = ma.fields.String()
    commitment = ma.fields.String()
    entrants = ma.fields.List(ma.fields.Integer())
    drawn_order = ma.fields.List(ma.fields.Integer())
    places = ma.fields.Integer()
    winners = ma.fields.Integer()
    passed_over = ma.fields.List(ma.fields.Integer())
    drawn_at = LocalDateTime()
    source = ma.fields.String()


class LotteryResultOut(ma.Schema):
    """One entry's outcome, in drawn order."""

    entry_id = ma.fields.Integer()
    outcome = ma.fields.String(validate=v.OneOf(["confirmed", "waitlisted"]))
    position = ma.fields.Integer(allow_none=True, metadata={
        "description": "place on the waiting list; null when confirmed"})
    passed_over = ma.fields.Boolean(metadata={"description": "passed over for a clash"})


class LotteryOut(ma.Schema):

    """An activity's lottery: its window and commitment; once drawn, the draw to re-run.
    Dumps server.activities.lottery.Lottery."""

    activity_id = Count(lambda lot: lot.activity.id)
    opens_at = When(lambda lot: lot.activity.signup_opens_at, nullable=True)
    closes_at = When(lambda lot: lot.activity.signup_closes_at, nullable=True)
    commitment = Text(lambda lot: lot.activity.lottery_commitment, nullable=True)
    entries = ma.fields.Integer()
    drawn = Flag(lambda lot: lot.draw is not None)
    draw = ma.fields.Nested(DrawOut, allow_none=True)
    results = NestedFrom(LotteryResultOut, lambda lot: [
        {"entry_id": i, "outcome": o, "position": p, "passed_over": passed}
        for i, o, p, passed in lot.outcome()], many=True)


class NextStepsOut(ma.Schema):
    """After signing up (dumps activities.next_steps.NextSteps)."""

    signup_id = Count(lambda n: n.signup.id)
    activity_id = Count(lambda n: n.activity.id)
    status = Text(lambda n: n.signup.status)
    position = ma.fields.Integer(allow_none=True)
    starts_at = When(lambda n: n.activity.starts_at)
    ends_at = When(lambda n: n.activity.ends_at)
    place = Text(lambda n: n.activity.place)

    arrive_at = LocalDateTime(allow_none=True, metadata={
        "description": "null for a lottery entry (no place yet)"})
    arrive_minutes = ma.fields.Integer()
    withdraw_until = LocalDateTime()
    can_withdraw = ma.fields.Boolean()
    draw_at = LocalDateTime(allow_none=True, metadata={
        "description": "a lottery entry: when the places are drawn"})
    code_url = ma.fields.String(allow_none=True, metadata={
        "description": "the person's QR page (我的码); null for a lottery entry"})
    calendar_url = ma.fields.String(metadata={"description": "the activity's .ics file"})
