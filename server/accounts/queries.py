"""What the accounts domain holds about a person, for them to see and take away
(server.core.personal_data): their profile, consents, logins and family members."""

from __future__ import annotations

from sqlalchemy import select

from server.accounts import identity
from server.accounts.models import Consent, LoginSession, User
from server.core.personal_data import when
from server.extensions import db


def profile_rows(user: User) -> list[dict]:
    return [{"name": user.name, "phone": user.phone, "email": user.email,
             "gender": user.gender, "birth_date": when(user.birth_date),
             "home": user.home_node.name if user.home_node else None,
             "skills": list(user.skills or []), "language": user.locale,
             "id_type": user.id_type,
             "id_number": identity.masked_number(user) if user.id_number_encrypted else None,
             "registered_at": when(user.created_at),
             "registered_by": user.registered_by.name if user.registered_by else None,
             "managed_by": user.managed_by.name if user.managed_by else None}]


def consent_rows(user: User) -> list[dict]:
    return [{"kind": c.kind, "notice_version": c.notice_version,
             "accepted_at": when(c.accepted_at), "guardian_name": c.guardian_name,
             "on_paper": c.recorded_by_id is not None, "ip": c.ip}
            for c in db.session.scalars(select(Consent).where(Consent.user_id == user.id)
                                        .order_by(Consent.id))]


def login_rows(user: User) -> list[dict]:
    return [{"logged_in_at": when(s.created_at), "ended_at": when(s.ended_at),
             "ip": s.ip, "device": s.user_agent}
            for s in db.session.scalars(select(LoginSession).where(
                LoginSession.user_id == user.id).order_by(LoginSession.id))]


def family_rows(user: User) -> list[dict]:
    return [{"name": m.name, "relation": m.relation, "birth_date": when(m.birth_date),
             "active": m.active}
            for m in db.session.scalars(select(User).where(User.managed_by_id == user.id)
                                        .order_by(User.id))]
