"""/api/v1 accounts: session (auth), the person's own record (me), people and roles."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from server.accounts import family_api, permissions, phone_codes, roles, services, sessions
from server.accounts.login import log_in, log_out
from server.accounts.schemas import (
    CodeLoginIn,
    CodeRequestIn,
    CodeSentOut,
    CsrfOut,
    ErasureIn,
    LoginIn,
    MeOut,
    PasswordResetIn,
    PeopleArgs,
    PersonalDataOut,
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
from server.core.language import interface_language

auth = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                 description="Session: CSRF token, register, log in (by password or SMS code) "
                             "and out, reset a forgotten password.")
me = Blueprint("me", __name__, url_prefix="/api/v1/me",
               description="The logged-in person's own record, sign-ups and messages.")
people = Blueprint("people", __name__, url_prefix="/api/v1/people",
                   description="Residents as coordinators and admins see them (phones masked).")
grants = Blueprint("roles", __name__, url_prefix="/api/v1/roles",
                   description="Who holds which role where; admins grant and revoke.")
blueprints = [auth, me, people, grants, *family_api.blueprints]
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
    user = services.register_user(**data, now=clock.now(), ip=request.remote_addr,
                                  locale=interface_language())
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


# --- SMS codes: forgot password, log in by code (accounts.phone_codes) -------------------

@auth.route("/codes", methods=["POST"])
@auth.arguments(CodeRequestIn)
@auth.response(202, CodeSentOut)
def ask_for_code(data):
    """Ask for a six-digit SMS code (reset or login); the same answer for any number.

    A code goes out only to a registered, active account, after the request commits; the
    answer, the limits and the refusals are the same for every number. Per number one code
    a minute, 5 an hour, 10 a day; per address 20 an hour (settings PHONE_CODE_*). Too
    early: 429 `code_too_soon` with Retry-After (seconds). A new code kills the older one.
    """
    asked = phone_codes.request_code(phone=data["phone"], purpose=data["purpose"],
                                     ip=request.remote_addr, now=clock.now())
    return {"sent": True, "resend_after": asked.resend_after, "expires_in": asked.expires_in}


@auth.route("/password-reset", methods=["POST"])
@auth.arguments(PasswordResetIn)
@auth.response(200, MeOut)
def reset_password(data):
    """Set a new password with a reset code: every login ends, this device logs in.

    The code works once, for PHONE_CODE_MINUTES, and dies after 5 wrong tries (each counts
    although refused): 422 `wrong_code`, `code_expired`, `code_used`, `code_tries_used_up`,
    `invalid_code`; `weak_password` costs no try.
    """
    user = phone_codes.reset_password(phone=data["phone"], code=data["code"],
                                      password=data["password"], now=clock.now())
    log_in(user, remember=data["remember"], now=clock.now())
    return user


@auth.route("/login-code", methods=["POST"])
@auth.arguments(CodeLoginIn)
@auth.response(200, MeOut)
def login_with_code(data):
    """Log in with mobile number and an SMS login code.

    The same rules and refusals as the password reset: once, for PHONE_CODE_MINUTES, five
    wrong tries at most; a number that is not registered answers as a wrong code does.
    """
    user = phone_codes.log_in_with_code(phone=data["phone"], code=data["code"],
                                        now=clock.now())
    log_in(user, remember=data["remember"], now=clock.now())
    return user


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


@me.route("/data", methods=["GET"])
@login_required
@me.response(200, PersonalDataOut)
def my_data():
    """Everything held about oneself, to read or keep (个人信息保护法: access and copy)."""
    from server.core import personal_data
    return personal_data.document(_actor(), now=clock.now()), 200, {"Cache-Control": "no-store"}


@me.route("/erase", methods=["POST"])
@login_required
@me.arguments(ErasureIn)
@me.response(204)
def erase_me(data):
    """Delete one's own account (个人信息保护法 Art. 47): what identifies one goes, the records
    stay named by no one; logged out everywhere. `confirm` must be true."""
    from server.accounts import erasure
    erasure.erase(_actor(), confirmed=data["confirm"], now=clock.now())
    log_out(now=clock.now())


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
