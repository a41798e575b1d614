"""/api/v1 communities: the public tree of places and the organisations in it."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user, login_required

from server.accounts import permissions
from server.communities import services
from server.communities.schemas import (
    NodeIn,
    NodeOut,
    NodePatch,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
)
from server.core import clock
from server.core.api import Blueprint
from server.core.errors import Unauthorised

nodes = Blueprint("nodes", __name__, url_prefix="/api/v1/nodes",
                  description="The community tree: district → street/town → community/village.")
organisations = Blueprint("organisations", __name__, url_prefix="/api/v1/organisations",
                          description="Social organisations, stations, teams and charities.")
blueprints = [nodes, organisations]
nodes.before_request(permissions.gate("admin", methods=("POST", "PATCH")))
organisations.before_request(permissions.gate("admin", methods=("POST", "PATCH")))


class OrganisationArgs(ma.Schema):
    mine = ma.fields.Boolean(load_default=False, metadata={
        "description": "staff only: the organisations one manages or oversees, any status"})


def _actor():
    return current_user._get_current_object()


# --- nodes ---------------------------------------------------------------------------------

@nodes.route("", methods=["GET"])
@nodes.response(200, NodeOut(many=True))
def list_nodes():
    """The whole tree, parents before children (public)."""
    return services.all_nodes()


@nodes.route("/<int:node_id>", methods=["GET"])
@nodes.response(200, NodeOut)
def show_node(node_id):
    """One place of the tree (public)."""
    return services.get_node(node_id)


@nodes.route("", methods=["POST"])
@login_required
@nodes.arguments(NodeIn)
@nodes.response(201, NodeOut)
def create_node(data):
    """Add a place under one the admin manages (a new district: top-level admins only)."""
    parent_id = data.pop("parent_id")
    parent = services.get_node(parent_id) if parent_id is not None else None
    return services.create_node(actor=_actor(), parent=parent, now=clock.now(), **data)


@nodes.route("/<int:node_id>", methods=["PATCH"])
@login_required
@nodes.arguments(NodePatch)
@nodes.response(200, NodeOut)
def update_node(data, node_id):
    """Rename a place or change its social-work platform."""
    return services.update_node(services.get_node(node_id), actor=_actor(), now=clock.now(),
                                **data)


# --- organisations -------------------------------------------------------------------------

@organisations.route("", methods=["GET"])
@organisations.arguments(OrganisationArgs, location="query")
@organisations.response(200, OrganisationOut(many=True))
def list_organisations(args):
    """Active organisations (public); with mine=1, those the logged-in staff member handles."""
    if not args["mine"]:
        return services.active_organisations()
    if not current_user.is_authenticated:
        raise Unauthorised()
    return services.organisations_visible_to(_actor())


@organisations.route("/<int:org_id>", methods=["GET"])
@organisations.response(200, OrganisationOut)
def show_organisation(org_id):
    """One organisation (public)."""
    return services.get_organisation(org_id)


@organisations.route("", methods=["POST"])
@login_required
@organisations.arguments(OrganisationIn)
@organisations.response(201, OrganisationOut)
def create_organisation(data):
    """Register an organisation at a place the admin manages."""
    node = services.get_node(data.pop("node_id"))
    return services.create_organisation(actor=_actor(), node=node, now=clock.now(), **data)


@organisations.route("/<int:org_id>", methods=["PATCH"])
@login_required
@organisations.arguments(OrganisationPatch)
@organisations.response(200, OrganisationOut)
def update_organisation(data, org_id):
    """Change an organisation's details, or deactivate it."""
    return services.update_organisation(services.get_organisation(org_id), actor=_actor(),
                                        now=clock.now(), **data)
