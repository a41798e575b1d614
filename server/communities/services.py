"""Managing the community tree and organisations. Admins act on their subtree."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from server.accounts import permissions
from server.accounts.models import User
from server.accounts.privacy import mask_phone
from server.communities import errors
from server.communities.models import NODE_KINDS, ORG_KINDS, PARENT_LEVEL, Node, Organisation
from server.core.errors import Forbidden, ValidationError
from server.extensions import db


def get_node(node_id: int) -> Node:
    node = db.session.get(Node, node_id)
    if node is None:
        raise errors.NodeNotFound()
    return node


def get_organisation(org_id: int) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise errors.OrganisationNotFound()
    return org


def _check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 80:
        raise ValidationError(errors={"name": ["length"]})
    return name


# A mainland mobile (11 digits, 1[3-9]…), or a landline: area code 0 + 2-3 digits, a 7-8
# digit number, and an optional extension (010-12345678, 0755-1234567-801).
# ASCII digits after NFKC (server.core.numbers): another script's digits are refused
MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?", re.ASCII)


def normalise_contact_phone(value: str | None) -> str | None:
    """The number as stored, or None for a blank. Certificates print it as the body's
    contact (办法 Art 7), so a number nobody can call is refused, not kept."""
    # full-width digits and dashes from a Chinese keyboard; spaces and brackets go
    text = unicodedata.normalize("NFKC", value or "").strip()
    text = re.sub(r"[\s()（）]", "", text).replace("—", "-").replace("－", "-")
    if not text:
        return None
    if text.startswith("+86"):
        text = text[3:].lstrip("-")
    if MOBILE.fullmatch(text) or LANDLINE.fullmatch(text):
        return text
    raise errors.InvalidContactPhone()


def contact_phone_for(org: Organisation, viewer: User | None) -> str | None:
    """The contact number as `viewer` may see it. A mobile is often a person's own (the
    负责人's, printed beside their name): the public sees it masked (138****5678) unless
    the organisation chose to publish it; its staff and the coordinators and admins over
    it see it in full. A landline (010-…) is an office's, shown to everyone."""
    phone = org.contact_phone
    if not phone or org.contact_phone_public or not MOBILE.fullmatch(phone):
        return phone
    if viewer is not None and (org.id in permissions.organiser_org_ids(viewer)
                               or permissions.oversees(viewer, org.node)):
        return phone
    return mask_phone(phone)


def _leader(value: str | None) -> str | None:
    """负责人: the person in charge whose name certificates carry."""
    name = " ".join((value or "").split())
    if len(name) > 40:
        raise ValidationError(errors={"leader_name": ["length"]})
    return name or None


def _name_free(model, parent_col, parent_id, name, exclude_id=None) -> None:
    query = select(model.id).where(model.name == name)
    if parent_col is not None:
        query = query.where(parent_col == parent_id) if parent_id else query.where(
            parent_col.is_(None))
    if exclude_id:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise errors.NameTaken()


def create_node(*, actor: User, kind: str, name: str, now: datetime,
                parent: Node | None = None, platform_name: str | None = None,
                platform_since: str | None = None) -> Node:
    if kind not in NODE_KINDS:
        raise errors.UnknownKind()
    want = PARENT_LEVEL[NODE_KINDS[kind]]
    if (parent.level if parent else None) != want:
        raise errors.BadParent()
    # a top-level district needs a platform-wide admin (one whose node is a root? no:
    # admins are granted on nodes; creating a new root is reserved to platform admins)
    if parent is None:
        if not permissions.assignments(actor, "admin") or not any(
                a.node.parent_id is None for a in permissions.assignments(actor, "admin")):
            raise Forbidden()
    elif not permissions.is_admin_for(actor, parent):
        raise Forbidden()
    name = _check_name(name)
    _name_free(Node, Node.parent_id, parent.id if parent else None, name)
    node = Node(kind=kind, name=name, parent=parent, platform_name=platform_name or None,
                platform_since=platform_since or None, created_at=now)
    db.session.add(node)
    db.session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    db.session.flush()
    return node


def update_node(node: Node, *, actor: User, now: datetime, **changes) -> Node:
    if not permissions.is_admin_for(actor, node):
        raise Forbidden()
    if "name" in changes:
        name = _check_name(changes["name"])
        _name_free(Node, Node.parent_id, node.parent_id, name, exclude_id=node.id)
        node.name = name
    for key in ("platform_name", "platform_since"):
        if key in changes:
            setattr(node, key, changes[key] or None)
    db.session.flush()
    return node


def subtree(root: Node) -> list[Node]:
    return list(db.session.scalars(
        select(Node).where(Node.path.startswith(root.path, autoescape=True))
        .order_by(Node.path)))


def all_nodes() -> list[Node]:
    return list(db.session.scalars(select(Node).order_by(Node.path)))


def places_for_residents() -> list[Node]:
    """Communities and villages, for choosing where one lives or filtering activities."""
    return list(db.session.scalars(
        select(Node).where(Node.kind.in_(("community", "village"))).order_by(Node.path)
        # named with their street or town (shell.views.place_options): read with them
        .options(joinedload(Node.parent))))


def create_organisation(*, actor: User, node: Node, kind: str, name: str, now: datetime,
                        description: str = "", contact_phone: str | None = None,
                        leader_name: str | None = None,
                        contact_phone_public: bool = False) -> Organisation:
    if not permissions.is_admin_for(actor, node):
        raise Forbidden()
    if kind not in ORG_KINDS:
        raise errors.UnknownKind()
    name = _check_name(name)
    _name_free(Organisation, None, None, name)
    org = Organisation(node_id=node.id, kind=kind, name=name, description=description or "",
                       contact_phone=normalise_contact_phone(contact_phone),
                       leader_name=_leader(leader_name),
                       contact_phone_public=bool(contact_phone_public), created_at=now,
                       active=True)
    db.session.add(org)
    db.session.flush()
    return org


def update_organisation(org: Organisation, *, actor: User, now: datetime,
                        **changes) -> Organisation:
    if not permissions.is_admin_for(actor, org.node):
        raise Forbidden()
    if "name" in changes:
        name = _check_name(changes["name"])
        _name_free(Organisation, None, None, name, exclude_id=org.id)
        org.name = name
    if "kind" in changes:
        if changes["kind"] not in ORG_KINDS:
            raise errors.UnknownKind()
        org.kind = changes["kind"]
    if "contact_phone" in changes:
        org.contact_phone = normalise_contact_phone(changes["contact_phone"])
    if "leader_name" in changes:
        org.leader_name = _leader(changes["leader_name"])
    if "contact_phone_public" in changes:
        org.contact_phone_public = bool(changes["contact_phone_public"])
    if "description" in changes:
        org.description = changes["description"] or ""
    if "active" in changes:
        org.active = bool(changes["active"])
    db.session.flush()
    return org


def organisations_visible_to(actor: User) -> list[Organisation]:
    """Admins and coordinators: the organisations in their subtrees; organisers: their own."""
    paths = permissions.scope_paths(actor, "admin", "coordinator")
    ids = permissions.organiser_org_ids(actor)
    query = select(Organisation).join(Node, Organisation.node_id == Node.id)
    cond = permissions.under(Node.path, paths)
    if ids:
        cond = cond | Organisation.id.in_(ids)
    return list(db.session.scalars(query.where(cond).order_by(Organisation.name)))


def active_organisations() -> list[Organisation]:
    """Every active organisation, for residents browsing who runs what (public)."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)))
