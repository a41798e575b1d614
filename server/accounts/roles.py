"""Who holds which role where. Only an admin above the node may grant or revoke."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from server.accounts import errors, permissions
from server.accounts.models import ROLES, RoleAssignment, User
from server.activities.models import Activity, Signup
from server.communities.models import Node, Organisation
from server.core.errors import Forbidden
from server.extensions import db


def grant_role(*, actor: User, user: User, role: str, node: Node, now: datetime,
               organisation: Organisation | None = None) -> RoleAssignment:
    if role not in ROLES:
        raise errors.UnknownRole()
    if not permissions.is_admin_for(actor, node):
        raise Forbidden()
    if (role == "organiser") != (organisation is not None):
        raise errors.BadRole()
    if organisation is not None:
        if not organisation.node.contains(node) and not node.contains(organisation.node):
            raise errors.BadRole()
        # acting for an organisation reaches all its activities: only its own admins grant it
        if not permissions.is_admin_for(actor, organisation.node):
            raise Forbidden()
    same_org = (RoleAssignment.organisation_id == organisation.id if organisation
                else RoleAssignment.organisation_id.is_(None))
    exists = db.session.scalar(select(RoleAssignment.id).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == role,
        RoleAssignment.node_id == node.id, same_org))
    if exists:
        raise errors.RoleExists()
    grant = RoleAssignment(user_id=user.id, role=role, node_id=node.id,
                           organisation_id=organisation.id if organisation else None,
                           granted_by_id=actor.id, granted_at=now)
    try:
        with db.session.begin_nested():  # the same grant three times at once: one row
            db.session.add(grant)
    except IntegrityError:
        raise errors.RoleExists() from None
    db.session.refresh(user)
    return grant


def grant_role_by_phone(*, actor: User, phone: str, role: str, node: Node, now: datetime,
                        organisation: Organisation | None = None) -> RoleAssignment:
    """Grant to whoever registered this phone; nobody learns who is registered but admins."""
    if not permissions.is_admin_for(actor, node):
        raise Forbidden()
    user = find_user_by_phone(phone)
    if user is None:
        raise errors.UserNotFound(errors={"user_phone": [str(errors.UserNotFound.message)]})
    return grant_role(actor=actor, user=user, role=role, node=node, now=now,
                      organisation=organisation)


def _revoke_refusal(grant: RoleAssignment, actor: User) -> Exception | None:
    if not permissions.is_admin_for(actor, grant.node):
        return Forbidden()
    if grant.user_id == actor.id and grant.role == "admin":
        # keep at least one admin able to undo mistakes: nobody removes their own admin
        return errors.OwnAdminRole()
    return None


def may_revoke(grant: RoleAssignment, actor: User) -> bool:
    """Whether `actor` may take this role back: the roles page offers the button on it."""
    return _revoke_refusal(grant, actor) is None


def revoke_role(grant: RoleAssignment, *, actor: User, now: datetime) -> None:
    refusal = _revoke_refusal(grant, actor)
    if refusal is not None:
        raise refusal
    # Two admins taking each other's role at once both passed the check above. Lock the
    # grant and the actor's admin grants, in one statement and in id order (the same order
    # for both, so they take turns instead of deadlocking), then ask again with the roles
    # as they now stand: the second finds its own admin role gone.
    locked = db.session.scalars(select(RoleAssignment.id).where(or_(
        RoleAssignment.id == grant.id,
        (RoleAssignment.user_id == actor.id) & (RoleAssignment.role == "admin")))
        .order_by(RoleAssignment.id).with_for_update()).all()
    if grant.id not in locked:
        raise errors.GrantNotFound()
    db.session.expire(actor, ["roles"])
    refusal = _revoke_refusal(grant, actor)
    if refusal is not None:
        raise refusal
    user = grant.user
    # a statement, not the ORM's delete: two revocations at once take it away once, and
    # the second is told it is already gone (instead of a stale-row error)
    gone = db.session.execute(delete(RoleAssignment).where(RoleAssignment.id == grant.id))
    if gone.rowcount != 1:
        raise errors.GrantNotFound()
    db.session.expunge(grant)
    db.session.refresh(user)


def get_grant(grant_id: int) -> RoleAssignment:
    grant = db.session.get(RoleAssignment, grant_id)
    if grant is None:
        raise errors.GrantNotFound()
    return grant


def grants_visible_to(actor: User) -> list[RoleAssignment]:
    paths = permissions.scope_paths(actor, "admin")
    return list(db.session.scalars(
        select(RoleAssignment).join(Node, RoleAssignment.node_id == Node.id)
        .where(permissions.under(Node.path, paths)).order_by(Node.path, RoleAssignment.role)))


def people_visible_to(actor: User, *, q: str | None = None, limit: int = 100) -> list[User]:
    """Coordinators and admins: residents living below their nodes or signed up there."""
    paths = permissions.scope_paths(actor, "coordinator", "admin")
    if not paths:
        raise Forbidden()
    lives_here = select(User.id).join(Node, User.home_node_id == Node.id).where(
        permissions.under(Node.path, paths))
    takes_part = (select(Signup.user_id).join(Activity, Signup.activity_id == Activity.id)
                  .join(Node, Activity.node_id == Node.id)
                  .where(permissions.under(Node.path, paths)))
    query = select(User).where(or_(User.id.in_(lives_here), User.id.in_(takes_part)))
    if q:
        q = q.strip()
        query = query.where(or_(User.name.contains(q, autoescape=True),
                                User.phone.endswith(q, autoescape=True)))
    return list(db.session.scalars(query.order_by(User.name).limit(limit)))


def find_user_by_phone(phone: str) -> User | None:
    from server.accounts.services import normalise_phone
    return db.session.scalar(select(User).where(User.phone == normalise_phone(phone)))


def serves(actor: User | None, person: User) -> bool:
    """The person lives in a place the worker serves (as organiser, coordinator or admin
    there): the one test before a worker may name someone found by their number."""
    from server.accounts import permissions
    return person.home_node is not None and permissions.covers(
        actor, person.home_node, "organiser", "coordinator", "admin")


def find_resident_by_phone(actor: User, phone: str) -> User | None:
    """A person a worker names by their full number, if the worker serves them (serves).
    Anyone else is None, as an unknown number is: a worker cannot learn anyone's name by
    typing their number."""
    person = find_user_by_phone(phone)
    return person if person is not None and serves(actor, person) else None


def organisers_of(organisation_id: int) -> list[int]:
    """Who organises for this body (active people), for messages about its activities."""
    return list(db.session.scalars(
        select(RoleAssignment.user_id).join(User, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == "organiser",
               RoleAssignment.organisation_id == organisation_id, User.active.is_(True))
        .distinct().order_by(RoleAssignment.user_id)))


def coordinators_over(node: Node) -> list[int]:
    """The coordinators nearest above a place (its own, else its street's, else its
    district's), active people: who can act on its work when its body has no organiser;
    where there is none, the administrators nearest above it."""
    return _nearest_over(node, "coordinator") or _nearest_over(node, "admin")


def _nearest_over(node: Node, role: str) -> list[int]:
    parts = [p for p in node.path.split("/") if p]
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    rows = db.session.execute(
        select(RoleAssignment.user_id, Node.path)
        .join(Node, RoleAssignment.node_id == Node.id)
        .join(User, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == role, Node.path.in_(ancestors),
               User.active.is_(True))).all()
    if not rows:
        return []
    nearest = max(len(path) for _uid, path in rows)
    return sorted({uid for uid, path in rows if len(path) == nearest})


def holders_of(*roles: str) -> list[int]:
    """Everyone (active) who holds one of these roles anywhere."""
    return list(db.session.scalars(
        select(RoleAssignment.user_id).join(User, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role.in_(roles), User.active.is_(True))
        .distinct().order_by(RoleAssignment.user_id)))
