"""Page endpoints (thin) for admins and coordinators: the community tree,
organisations, role grants and the people list."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.accounts import permissions, roles
from server.accounts.errors import UserNotFound
from server.accounts.schemas import PeopleArgs, RoleIn
from server.communities import services
from server.communities.schemas import NodeIn, NodePatch, OrganisationIn, OrganisationPatch
from server.core import clock
from server.core.errors import Forbidden
from server.core.pages import FORM_ERRORS, load_args, load_form, me, problem

bp = Blueprint("communities_pages", __name__)


def _admin():
    user = me()
    if not permissions.assignments(user, "admin"):
        raise Forbidden()
    return user


def _admin_nodes(user) -> list:
    """Every node in the subtrees the user administers, tree order, once each."""
    nodes = {}
    for grant in permissions.assignments(user, "admin"):
        for node in services.subtree(grant.node):
            nodes.setdefault(node.id, node)
    return sorted(nodes.values(), key=lambda n: [int(p) for p in n.path.strip("/").split("/")])


def _tree_page(user, *, values=None, message=None, fields=None, status=200):
    nodes = _admin_nodes(user)
    return render_template("communities/tree.html", nodes=nodes,
                           parents=[n for n in nodes if n.level < 3], values=values or {},
                           message=message, errors=fields or {}), status


@bp.route("/admin/tree")
@login_required
def tree():
    """The part of the community tree I administer."""
    return _tree_page(_admin())


@bp.route("/admin/nodes", methods=["POST"])
@login_required
def add_node():
    """Add a street, town, community or village under a node I administer."""
    user = _admin()
    try:
        data = load_form(NodeIn())
        parent = services.get_node(data.pop("parent_id")) if data.get("parent_id") else None
        data.pop("parent_id", None)
        node = services.create_node(actor=user, parent=parent, now=clock.now(), **data)
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _tree_page(user, values=request.form.to_dict(), message=message,
                          fields=fields, status=status)
    flash(_("Added %(name)s.", name=node.name), "success")
    return redirect(url_for("communities_pages.tree"))


@bp.route("/admin/organisations", methods=["GET", "POST"])
@login_required
def organisations():
    """Organisations in my area; admins add new ones."""
    user = me()
    if not permissions.assignments(user, "admin", "coordinator"):
        raise Forbidden()
    message, fields, status, values = None, {}, 200, {}
    if request.method == "POST":
        _admin()
        try:
            data = load_form(OrganisationIn())
            node = services.get_node(data.pop("node_id"))
            org = services.create_organisation(actor=user, node=node, now=clock.now(), **data)
        except FORM_ERRORS as exc:
            message, fields, status = problem(exc)
            values = request.form.to_dict()
        else:
            flash(_("Added %(name)s.", name=org.name), "success")
            return redirect(url_for("communities_pages.organisations"))
    nodes = _admin_nodes(user)
    node_ids = {n.id for n in nodes}
    items = services.organisations_visible_to(user)
    return render_template("communities/organisations.html", items=items, nodes=nodes,
                           editable={o.id for o in items if o.node_id in node_ids},
                           values=values, message=message, errors=fields), status


def _editable(user, node):
    """Only admins at or above a place change it or its organisations (coordinators read)."""
    if not permissions.is_admin_for(user, node):
        raise Forbidden()


def _org_values(org) -> dict:
    return {"name": org.name, "kind": org.kind, "description": org.description,
            "contact_phone": org.contact_phone, "leader_name": org.leader_name,
            "contact_phone_public": org.contact_phone_public,
            "active": org.active}


@bp.route("/admin/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organisation(org_id: int):
    """Change an organisation: its name, kind, what certificates print, or deactivate it."""
    user = me()
    org = services.get_organisation(org_id)
    _editable(user, org.node)
    message, fields, status, values = None, {}, 200, _org_values(org)
    if request.method == "POST":
        try:
            data = load_form(OrganisationPatch())
            services.update_organisation(org, actor=user, now=clock.now(), **data)
        except FORM_ERRORS as exc:
            message, fields, status = problem(exc)
            values = request.form.to_dict()
        else:
            flash(_("Saved %(name)s.", name=org.name), "success")
            return redirect(url_for("communities_pages.organisations"))
    return render_template("communities/organisation_form.html", org=org, values=values,
                           message=message, errors=fields), status


@bp.route("/admin/nodes/<int:node_id>/edit", methods=["GET", "POST"])
@login_required
def edit_node(node_id: int):
    """Rename a place or change its social-work platform."""
    user = me()
    node = services.get_node(node_id)
    _editable(user, node)
    message, fields, status = None, {}, 200
    values = {"name": node.name, "platform_name": node.platform_name,
              "platform_since": node.platform_since}
    if request.method == "POST":
        try:
            data = load_form(NodePatch())
            services.update_node(node, actor=user, now=clock.now(), **data)
        except FORM_ERRORS as exc:
            message, fields, status = problem(exc)
            values = request.form.to_dict()
        else:
            flash(_("Saved %(name)s.", name=node.name), "success")
            return redirect(url_for("communities_pages.tree"))
    return render_template("communities/node_form.html", node=node, values=values,
                           message=message, errors=fields), status


def _roles_page(user, *, values=None, message=None, fields=None, status=200):
    nodes = _admin_nodes(user)
    node_ids = {n.id for n in nodes}
    orgs = [o for o in services.organisations_visible_to(user) if o.node_id in node_ids]
    return render_template("communities/roles.html", grants=roles.grants_visible_to(user),
                           may_revoke=lambda grant: roles.may_revoke(grant, user),
                           nodes=nodes, organisations=orgs, values=values or {},
                           message=message, errors=fields or {}), status


@bp.route("/admin/roles", methods=["GET", "POST"], endpoint="roles")
@login_required
def roles_page():
    """Who holds which role in my area; grant a role by mobile number."""
    user = _admin()
    if request.method == "GET":
        return _roles_page(user)
    values = request.form.to_dict()
    try:
        data = load_form(RoleIn())
        org_id = data["organisation_id"]
        grant = roles.grant_role_by_phone(
            actor=user, phone=data["user_phone"], role=data["role"], now=clock.now(),
            node=services.get_node(data["node_id"]),
            organisation=services.get_organisation(org_id) if org_id else None)
    except (*FORM_ERRORS, UserNotFound) as exc:
        message, fields, status = problem(exc)
        return _roles_page(user, values=values, message=message, fields=fields, status=status)
    flash(_("Role granted to %(name)s.", name=grant.user.name), "success")
    return redirect(url_for("communities_pages.roles"))


@bp.route("/admin/roles/<int:grant_id>/revoke", methods=["POST"])
@login_required
def revoke(grant_id: int):
    """Take a role back."""
    grant = roles.get_grant(grant_id)
    name = grant.user.name
    roles.revoke_role(grant, actor=me(), now=clock.now())
    flash(_("Role taken back from %(name)s.", name=name), "success")
    return redirect(url_for("communities_pages.roles"))


@bp.route("/coordinator/people")
@login_required
def people():
    """Residents living or taking part in my area; phones masked."""
    args = load_args(PeopleArgs())
    found = roles.people_visible_to(me(), q=args["q"])
    return render_template("communities/people.html", people=found, q=args["q"] or "")
