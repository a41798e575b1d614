"""Who may see and do what, following the community tree.

A role held at a node reaches every node below it (a town coordinator sees all
of the town's villages). Organisers act for one organisation. Admins manage the
tree below their node.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select

from server.accounts.models import RoleAssignment, User
from server.communities.models import Node
from server.extensions import db


def assignments(user: User | None, *roles: str) -> list[RoleAssignment]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [a for a in user.roles if a.role in roles]


def scope_paths(user: User | None, *roles: str) -> list[str]:
    """Materialised paths of the nodes where the user holds one of these roles."""
    return [a.node.path for a in assignments(user, *roles)]


def covers(user: User | None, node: Node, *roles: str) -> bool:
    return any(node.path.startswith(p) for p in scope_paths(user, *roles))


def under(column_path: ColumnElement, paths: list[str]) -> ColumnElement[bool]:
    """SQL: the node path column lies in any of these subtrees."""
    if not paths:
        return false()
    return or_(*(column_path.startswith(p, autoescape=True) for p in paths))


def organiser_org_ids(user: User | None) -> set[int]:
    return {a.organisation_id for a in assignments(user, "organiser") if a.organisation_id}


def is_admin_for(user: User | None, node: Node) -> bool:
    return covers(user, node, "admin")


def oversees(user: User | None, node: Node) -> bool:
    """Coordinators and admins see everything at and below their nodes."""
    return covers(user, node, "coordinator", "admin")


def node_ids_under(paths: list[str]) -> list[int]:
    return list(db.session.scalars(select(Node.id).where(under(Node.path, paths))))


def has_any_role(user: User | None) -> bool:
    return bool(assignments(user, "organiser", "coordinator", "admin"))


def gate(*roles: str, methods: tuple[str, ...] = (), refuse=None):
    """A blueprint's before_request for operations only these roles have: who asks is
    settled before the body is read, so a resident posting to a staff endpoint hears
    "not permitted" (403), never a schema's opinion of the body (422). The services still
    decide each case (this coordinator, that fund)."""
    from flask import request
    from flask_login import current_user

    from server.core.errors import Forbidden, Unauthorised

    def check() -> None:
        if methods and request.method not in methods:
            return
        if not current_user.is_authenticated:
            raise Unauthorised()
        if not assignments(current_user, *(roles or ("organiser", "coordinator", "admin"))):
            raise (refuse or Forbidden)()
    return check
