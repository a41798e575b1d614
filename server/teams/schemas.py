"""Teams and memberships: in and out. Phones are masked for everyone but their owner."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate as v

from server.accounts.privacy import mask_phone
from server.core.fields import (
    Count,
    Id,
    LocalDateTime,
    Text,
    When,
    Whole,
)
from server.teams.models import ROLES


class TeamArgs(ma.Schema):
    q = ma.fields.String(load_default=None, validate=v.Length(max=60))
    node_id = Id(load_default=None)
    page = Whole(load_default=1, validate=v.Range(1, 10000))


class TeamOut(ma.Schema):
    """A team as the list shows it; dumps {"team": Organisation, "members": int}."""

    id = Count(lambda r: r["team"].id)
    name = Text(lambda r: r["team"].name)
    description = Text(lambda r: r["team"].description)
    node_id = Count(lambda r: r["team"].node_id)
    node_name = Text(lambda r: r["team"].node.name)
    members = ma.fields.Integer()


class TeamPageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TeamOut))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    pages = ma.fields.Integer()


def _viewer_id() -> int | None:
    from flask_login import current_user
    return current_user.id if current_user.is_authenticated else None


def shown_phone(user) -> str:
    """The person's own number in full; anyone else's masked (个人信息保护法)."""
    return user.phone if _viewer_id() == user.id else mask_phone(user.phone)


class MembershipOut(ma.Schema):
    """A membership; the phone is the person's own in full, anyone else's masked. An
    invitation not yet accepted names its person masked (王*) to everyone but them."""

    id = ma.fields.Integer()
    team_id = Id()
    team_name = Text(lambda m: m.team.name)
    user_id = Id()
    name = Text(lambda m: m.name_for(_viewer_id()))
    phone = Text(lambda m: shown_phone(m.user))
    state = ma.fields.String()
    role = ma.fields.String()
    origin = ma.fields.String()
    message = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()
    created_by_name = Text(lambda m: m.created_by.name)
    decided_at = LocalDateTime(allow_none=True)
    decided_by_name = Text(
        lambda m: m.decided_by.name if m.decided_by else None, nullable=True)
    joined_at = LocalDateTime(allow_none=True)
    left_at = LocalDateTime(allow_none=True)
    end_reason = ma.fields.String(allow_none=True)


class InvitationOut(ma.Schema):
    """An invitation by phone as its leaders see it: the number masked, never a name nor
    whether the number has an account (the same answer either way)."""

    id = ma.fields.Integer()
    team_id = Id()
    phone = ma.fields.String(attribute="phone_masked",
                             metadata={"description": "the number invited, masked"})
    created_at = LocalDateTime()
    created_by_name = Text(lambda i: i.created_by.name)
    cancelled_at = LocalDateTime(allow_none=True)


class MemberOut(ma.Schema):
    """A member on the team page: their role, since when, hours in the team."""

    membership_id = Count(lambda r: r.membership.id)
    user_id = Count(lambda r: r.user.id)
    name = Text(lambda r: r.user.name)
    phone = Text(lambda r: shown_phone(r.user) if r.phone_shown else None, nullable=True,
                 metadata={"description": "masked; null for a fellow member "
                                          "(leaders and staff see it)"})
    role = Text(lambda r: r.membership.role)
    joined_at = When(lambda r: r.membership.joined_at)

    minutes = ma.fields.Integer()


class TeamDetailOut(ma.Schema):
    """One team: its leaders (masked names to those outside it), count and total hours
    for everyone; the members and their hours for its members, leaders and staff; the
    viewer's own membership."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    description = ma.fields.String()
    node_id = Id()
    node_name = ma.fields.String()
    leaders = ma.fields.List(ma.fields.String())
    member_count = ma.fields.Integer()
    total_minutes = ma.fields.Integer()
    members = ma.fields.List(ma.fields.Nested(MemberOut), allow_none=True)
    my_membership = ma.fields.Nested(MembershipOut, allow_none=True)
    can_manage = ma.fields.Boolean()


class JoinIn(ma.Schema):
    message = ma.fields.String(load_default=None, allow_none=True,
                               validate=v.Length(max=200))


class InviteIn(ma.Schema):
    phone = ma.fields.String(required=True, validate=v.Length(min=1, max=20))


class TeamReasonIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=v.Length(min=1, max=500))


class TeamRoleIn(ma.Schema):
    role = ma.fields.String(required=True, validate=v.OneOf(ROLES))


class TeamSignupIn(ma.Schema):
    activity_id = Id(required=True)
    user_ids = ma.fields.List(Id(), required=True, validate=v.Length(min=1, max=200))


class TeamSignupOut(ma.Schema):
    user_id = Id()
    name = ma.fields.String()
    status = ma.fields.String(allow_none=True)
    code = ma.fields.String(allow_none=True)
    message = ma.fields.String(allow_none=True)
