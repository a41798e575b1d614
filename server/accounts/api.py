"""/api/v1 accounts: session (auth), the person's own record (me), people and roles."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from server.accounts import permissions, roles, services, sessions
from server.accounts.login import log_in, log_out
from server.accounts.schemas import (
    CsrfOut,
    LoginIn,
    MeOut,
    PeopleArgs,
    PersonOut,
    ProfileIn,
    RegisterIn,
    RoleIn,
    RoleOut,
)
from server.accounts.throttle import login_limit, register_limit
from server.activities import queries
from server.activities.schemas import MyActivitiesOut, SignupOut
from server.communities.services import get_node, get_organisation
from server.core import clock
from server.core.api import Blueprint
from server.core.errors import Forbidden
from server.core.fields import LocalDateTime

auth = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                 description="Session: CSRF token, register, log in and out.")
me = Blueprint("me", __name__, url_prefix="/api/v1/me",
               description="The logged-in person's own record, sign-ups and messages.")
people = Blueprint("people", __name__, url_prefix="/api/v1/people",
                   description="Residents as coordinators and admins see them (phones masked).")
grants = Blueprint("roles", __name__, url_prefix="/api/v1/roles",
                   description="Who holds which role where; admins grant and revoke.")
blueprints = [auth, me, people, grants]
people.before_request(permissions.gate("coordinator", "admin"))
grants.before_request(permissions.gate("admin"))


class WaitlistedOut(SignupOut):
    """A waitlisted sign-up with its place in the queue; dumps (signup, position) pairs."""

    @ma.pre_dump
    def _signup(self, pair, **kwargs):
        return pair[0]

    @ma.post_dump(pass_original=True)
    def _position(self, data, pair, **kwargs):
        data["position"] = pair[1]
        return data


class MyActivitiesWithPositionsOut(MyActivitiesOut):
    waitlisted = ma.fields.List(ma.fields.Nested(WaitlistedOut))


class LoggedOutOut(ma.Schema):
    ended = ma.fields.Integer(metadata={"description": "how many logins were ended"})


class LoginSessionOut(ma.Schema):
    id = ma.fields.Integer()
    created_at = LocalDateTime()
    expires_at = LocalDateTime()
    remember = ma.fields.Boolean()
    device = ma.fields.String(allow_none=True)
    current = ma.fields.Boolean(metadata={"description": "the login of this request"})


class GrantOut(RoleOut):
    """A role assignment with its holder (phone masked)."""


def _actor():
    return current_user._get_current_object()


# --- session -------------------------------------------------------------------------------

@auth.route("/csrf", methods=["GET"])
@auth.response(200, CsrfOut)
def csrf_token():
    """A CSRF token to send back in the X-CSRFToken header of every write."""
    return {"csrf_token": generate_csrf()}


@auth.route("/register", methods=["POST"])
@register_limit
@auth.arguments(RegisterIn)
@auth.response(201, MeOut)
def register(data):
    """Create a resident account (with consent) and log in."""
    remember = data.pop("remember")
    user = services.register_user(**data, now=clock.now(), ip=request.remote_addr)
    log_in(user, remember=remember, now=clock.now())
    return user


@auth.route("/login", methods=["POST"])
@login_limit
@auth.arguments(LoginIn)
@auth.response(200, MeOut)
def login(data):
    """Log in with mobile number and password."""
    user = services.authenticate(phone=data["phone"], password=data["password"])
    log_in(user, remember=data["remember"], now=clock.now())
    return user


@auth.route("/logout", methods=["POST"])
@auth.response(204)
def logout():
    """Log out: this login ends on the server, so its cookies stop working everywhere
    (harmless when not logged in)."""
    log_out(now=clock.now())


@auth.route("/logout-everywhere", methods=["POST"])
@login_required
@auth.response(200, LoggedOutOut)
def logout_everywhere():
    """Log out of every device, this one included."""
    return {"ended": log_out(now=clock.now(), everywhere=True)}


# --- me ------------------------------------------------------------------------------------

@me.route("", methods=["GET"])
@login_required
@me.response(200, MeOut)
def show_me():
    """The logged-in person's own record, full phone number included."""
    return _actor()


@me.route("", methods=["PATCH"])
@login_required
@me.arguments(ProfileIn)
@me.response(200, MeOut)
def update_me(data):
    """Change one's own profile."""
    return services.update_profile(_actor(), now=clock.now(), **data)


@me.route("/sessions", methods=["GET"])
@login_required
@me.response(200, LoginSessionOut(many=True))
def my_sessions():
    """Where one is logged in now (this device marked), newest first."""
    user = _actor()
    return [{"id": row.id, "created_at": row.created_at, "expires_at": row.expires_at,
             "remember": row.remember, "device": row.user_agent,
             "current": sessions.is_current(row, user)}
            for row in sessions.live(user, now=clock.now())]


@me.route("/activities", methods=["GET"])
@login_required
@me.response(200, MyActivitiesWithPositionsOut)
def my_activities():
    """One's sign-ups: upcoming, waitlisted (with queue position) and past."""
    return queries.my_activities(_actor(), now=clock.now())


# --- people and roles ----------------------------------------------------------------------

@people.route("", methods=["GET"])
@login_required
@people.arguments(PeopleArgs, location="query")
@people.response(200, PersonOut(many=True))
def list_people(args):
    """Residents living or taking part below the coordinator's or admin's nodes."""
    return roles.people_visible_to(_actor(), q=args["q"])


@grants.route("", methods=["GET"])
@login_required
@grants.response(200, GrantOut(many=True))
def list_roles():
    """Role assignments at and below the admin's nodes."""
    if not permissions.assignments(_actor(), "admin"):
        raise Forbidden()
    return roles.grants_visible_to(_actor())


@grants.route("", methods=["POST"])
@login_required
@grants.arguments(RoleIn)
@grants.response(201, GrantOut)
def grant_role(data):
    """Give a registered person a role at a node (organisers: for one organisation)."""
    org_id = data["organisation_id"]
    return roles.grant_role_by_phone(
        actor=_actor(), phone=data["user_phone"], role=data["role"],
        node=get_node(data["node_id"]), now=clock.now(),
        organisation=get_organisation(org_id) if org_id else None)


@grants.route("/<int:grant_id>", methods=["DELETE"])
@login_required
@grants.response(204)
def revoke_role(grant_id):
    """Take a role away."""
    roles.revoke_role(roles.get_grant(grant_id), actor=_actor(), now=clock.now())
