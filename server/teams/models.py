"""Volunteer teams (志愿服务队): who belongs to which team, and how they came to.

A team is an organisation of kind `volunteer_team` (server.communities): its name,
place and description live there; this domain adds its people. Every attempt to belong
is its own row (an invitation, a request) and is never deleted: joining stamps
`joined_at`, leaving or removal stamps `left_at`, and whoever decided is kept beside
each step. A person rejoining later gets a new row, so the history of periods stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, or_, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.accounts.privacy import mask_name
from server.communities.models import Organisation
from server.core.db import UTCDateTime, one_of
from server.extensions import db

TEAM_KIND = "volunteer_team"
# open: waiting for an answer, or a member now; the rest are history
OPEN_STATES = ("invited", "requested", "active")
STATES = (*OPEN_STATES,
          "declined",   # the person declined the invitation, or a leader declined the request
          "cancelled",  # the leader took back the invitation, or the person their request
          "left",       # a member left
          "removed")    # a leader removed a member
ROLES = ("member", "leader")
OPEN_SQL = "state IN ('invited', 'requested', 'active')"
INVITATION_WAITING_SQL = "membership_id IS NULL AND cancelled_at IS NULL"


class Membership(db.Model):
    __tablename__ = "team_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(8), default="member")
    # how it began: an invitation (by a leader) or a request (by the person)
    origin: Mapped[str] = mapped_column(String(10))
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # the answer: accepted / approved / declined / cancelled, by whom and when
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)

    team: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])

    __table_args__ = (
        # one open membership per person and team, whoever invites, requests or
        # approves at the same moment; ended rows stay as history
        Index("uq_team_memberships_open", "team_id", "user_id", unique=True,
              sqlite_where=text(OPEN_SQL), postgresql_where=text(OPEN_SQL)),
        Index("ix_team_memberships_team_state", "team_id", "state"),
        CheckConstraint(one_of("state", STATES), name="state"),
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint("origin IN ('invitation', 'request')", name="origin"),
        CheckConstraint("(state IN ('active', 'left', 'removed')) = (joined_at IS NOT NULL)",
                        name="joined_at"),
        CheckConstraint("(state IN ('left', 'removed')) = (left_at IS NOT NULL)",
                        name="left_at"),
        CheckConstraint("left_at IS NULL OR left_at >= joined_at", name="left_after_joined"),
        CheckConstraint("(state IN ('invited', 'requested')) = (decided_at IS NULL)",
                        name="decided_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def name_for(self, viewer_id: int | None) -> str:
        """The person's name as `viewer_id` sees it here: in full to themselves and once
        they have shown themselves to the team (known_to_team); an invitation they never
        accepted names them masked (王*) to everyone else, waiting, declined or taken
        back: the leader typed only a phone."""
        if viewer_id == self.user_id or self.origin == "request" or self.joined_at is not None:
            return self.user.name
        # a list read it for all its rows at once (queries.waiting); else one look
        known = self.__dict__.get("known_to_team")
        if known is None:
            known = known_to_team(self.team_id, self.user_id)
        return self.user.name if known else mask_name(self.user.name)


class Invitation(db.Model):
    """A leader's invitation by phone, as the leader sent it: the same whether or not the
    number has an account, so an invitation never tells a leader whose number it is
    (account enumeration). A number with an account is invited at once (its Membership,
    `membership_id`, waits in the person's own list and messages); a number without one
    waits here and becomes that Membership when someone registers with it
    (teams.invitations.on_phone_claimed). Waiting: not taken back, and either not yet
    anyone's or its Membership not yet answered."""

    __tablename__ = "team_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # the number as typed, normalised; cleared once the invitation is over for a number no
    # account has, or when the account it reached is deleted (the masked one stays)
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_masked: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("team_memberships.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    team: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    membership: Mapped[Membership | None] = relationship()

    __table_args__ = (
        # one invitation waiting for an account per number and team: two leaders sending
        # one at once make one (the loser's unit of work runs again and finds it)
        Index("uq_team_invitations_waiting", "team_id", "phone", unique=True,
              sqlite_where=text(INVITATION_WAITING_SQL),
              postgresql_where=text(INVITATION_WAITING_SQL)),
        Index("ix_team_invitations_phone", "phone"),
        Index("ix_team_invitations_team", "team_id", "created_at"),
        CheckConstraint("(cancelled_at IS NULL) = (cancelled_by_id IS NULL)",
                        name="cancelled"),
    )

    @property
    def waiting(self) -> bool:
        return self.cancelled_at is None and (
            self.membership is None or self.membership.state == "invited")


def _shown_themselves():
    return or_(Membership.origin == "request", Membership.joined_at.is_not(None))


def known_to_team(team_id: int, user_id: int) -> bool:
    """Whether the person has shown themselves to the team: a member now or before, or one
    who asked to join. An invitation alone does not."""
    return db.session.scalar(select(Membership.id).where(
        Membership.team_id == team_id, Membership.user_id == user_id, _shown_themselves()
    ).limit(1)) is not None


def note_known_to_team(rows: list[Membership]) -> None:
    """known_to_team for the rows of one team's list in one statement, kept on each row for
    name_for (not a column: read again with the list)."""
    if not rows:
        return
    known = set(db.session.scalars(select(Membership.user_id).distinct().where(
        Membership.team_id == rows[0].team_id,
        Membership.user_id.in_({m.user_id for m in rows}), _shown_themselves())))
    for m in rows:
        m.__dict__["known_to_team"] = m.user_id in known
