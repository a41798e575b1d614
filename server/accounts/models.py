"""People, their consents and the roles they hold on the tree."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.communities.models import Node, Organisation
from server.core.db import UTCDateTime, one_of
from server.extensions import db

ROLES = ("organiser", "coordinator", "admin")
# how a family member (an account without a phone, server/accounts/family.py) is related
# to the person who manages it
RELATIONS = ("child", "parent", "spouse", "other")
SKILLS = ("legal", "education", "medical", "psychology", "first_aid", "elderly_care",
          "childcare", "photography", "it")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # empty only for a family member managed by someone else (no phone, no login)
    phone: Mapped[str | None] = mapped_column(String(11), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(8))  # "female" | "male"
    birth_date: Mapped[date | None] = mapped_column(Date)
    home_node_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id"), index=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    guardian_name: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str | None] = mapped_column(String(8))
    # optional: where e-mail messages (the staff's daily summary) go
    email: Mapped[str | None] = mapped_column(String(254))
    care_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # who registered this person on their behalf (a community worker for an elder)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # a family member without a phone: the person who added them signs them up and shows
    # their code for them (server/accounts/family.py); they cannot log in themself
    managed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    relation: Mapped[str | None] = mapped_column(String(8))
    # identity document, only for certificates; the number is encrypted at rest
    id_type: Mapped[str | None] = mapped_column(String(20))
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    # the person asked for their account to be deleted (accounts.erasure): what identified
    # them is gone; the row stays, so hours, scans and money keep who they were of
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    home_node: Mapped[Node | None] = relationship()
    managed_by: Mapped[User | None] = relationship(remote_side=[id], foreign_keys=[managed_by_id])
    registered_by: Mapped[User | None] = relationship(remote_side=[id],
                                                      foreign_keys=[registered_by_id])
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", foreign_keys="RoleAssignment.user_id")

    __table_args__ = (
        # one spelling of a phone (accounts.services.normalise_phone): 11 ASCII digits,
        # so a full-width look-alike can never be a second account
        CheckConstraint("phone ~ '^1[3-9][0-9]{9}$'", name="phone_digits").ddl_if(
            dialect="postgresql"),
        CheckConstraint("phone GLOB '1[3-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'",
                        name="phone_digits").ddl_if(dialect="sqlite"),
        CheckConstraint("gender IS NULL OR gender IN ('female', 'male')", name="gender"),
        # (a NULL phone passes phone_digits on both dialects: the comparison is unknown)
        CheckConstraint("phone IS NOT NULL OR managed_by_id IS NOT NULL "
                        "OR erased_at IS NOT NULL", name="phone_or_manager"),
        CheckConstraint("(managed_by_id IS NULL) = (relation IS NULL)",
                        name="relation_of_managed"),
        CheckConstraint("relation IS NULL OR " + one_of("relation", RELATIONS),
                        name="relation"),
        CheckConstraint("managed_by_id IS NULL OR managed_by_id <> id", name="not_own_manager"),
    )

    # not a column: the token of the login this request came with (accounts.sessions)
    login_token = None

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember cookies: the login's token,
        never the account id, so that ending the login ends the cookies."""
        if not self.login_token:
            raise RuntimeError("log in through server.accounts.login, which starts a session")
        return self.login_token


class Consent(db.Model):
    """Append-only: one row each time a person (or guardian) accepts a notice."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "privacy" | "guardian"
    notice_version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    guardian_name: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(45))
    # consent given on paper to this staff member, who entered it (server.imports);
    # empty when the person accepted the notice themself on the site
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RoleAssignment(db.Model):
    """A person holds a role at a node (and, for organisers, for one organisation)."""

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    node: Mapped[Node] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        # one grant per person, role, node and organisation; NULLs are distinct in a
        # plain unique index, so the grants without an organisation get their own
        Index("uq_role_assignments_org_grant", "user_id", "role", "node_id",
              "organisation_id", unique=True,
              sqlite_where=text("organisation_id IS NOT NULL"),
              postgresql_where=text("organisation_id IS NOT NULL")),
        Index("uq_role_assignments_node_grant", "user_id", "role", "node_id", unique=True,
              sqlite_where=text("organisation_id IS NULL"),
              postgresql_where=text("organisation_id IS NULL")),
        CheckConstraint(one_of("role", ROLES), name="role"),
        CheckConstraint("(role = 'organiser') = (organisation_id IS NOT NULL)",
                        name="organiser_has_organisation"),
    )


class LoginSession(db.Model):
    """One login on one device. The session cookie and the remember-me cookie carry its
    token; logging out ends the row, so a copied cookie stops working at once."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # SHA-256 of the token: a copy of the table opens no session
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after"),)


# handover: a family member's own phone, confirmed when they get their login (accounts.family)
CODE_PURPOSES = ("reset", "login", "handover")
PUBLIC_CODE_PURPOSES = ("reset", "login")


class PhoneCode(db.Model):
    """A six-digit code sent by SMS to reset a password or to log in (accounts.phone_codes).

    Only a keyed hash of the code is kept. A row is written for every request, for a number
    that is not registered too (user_id is then empty and nothing is sent), so the answer,
    and the limits per number and per address, are the same whether or not it is: nobody
    learns from this form who uses Wushe.
    """

    __tablename__ = "phone_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    send_error: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))

    __table_args__ = (
        Index("ix_phone_codes_phone", "phone", "created_at"),
        Index("ix_phone_codes_ip", "ip", "created_at"),
        CheckConstraint(one_of("purpose", CODE_PURPOSES), name="purpose"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("expires_at > created_at", name="expires_after"),
    )
