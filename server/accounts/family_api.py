"""/api/v1 family members (one's own, without a phone) and residents registered by staff."""

from __future__ import annotations

from flask import request
from flask_login import current_user, login_required

from server.accounts import family, permissions
from server.accounts.schemas import (
    CodeSentOut,
    FamilyMemberIn,
    FamilyMemberOut,
    HandoverCodeIn,
    HandoverIn,
    ResidentIn,
    ResidentOut,
)
from server.accounts.throttle import handover_limit
from server.core import clock
from server.core.api import Blueprint

members = Blueprint("family", __name__, url_prefix="/api/v1/me/family",
                    description="Family members without a phone whom one signs up and "
                                "shows the code for (a child, an older parent).")
residents = Blueprint("residents", __name__, url_prefix="/api/v1/residents",
                      description="Residents a community worker registers on their behalf, "
                                  "with their consent recorded.")
blueprints = [members, residents]
residents.before_request(permissions.gate())


def _actor():
    return current_user._get_current_object()


@members.route("", methods=["GET"])
@login_required
@members.response(200, FamilyMemberOut(many=True))
def list_members():
    """One's family members, in the order they were added."""
    return family.members_of(_actor())


@members.route("", methods=["POST"])
@login_required
@members.arguments(FamilyMemberIn)
@members.response(201, FamilyMemberOut)
def add_member(data):
    """Add a family member without a phone; under 14 with one's consent as guardian."""
    return family.add_member(_actor(), now=clock.now(), ip=request.remote_addr, **data)


@members.route("/<int:member_id>", methods=["GET"])
@login_required
@members.response(200, FamilyMemberOut)
def show_member(member_id):
    """One of one's family members (anyone else's: 404)."""
    return family.get_member(_actor(), member_id)


@members.route("/<int:member_id>", methods=["PUT"])
@login_required
@members.arguments(FamilyMemberIn)
@members.response(200, FamilyMemberOut)
def update_member(data, member_id):
    """Correct a family member's name, relation, birth date, gender or community."""
    actor = _actor()
    return family.update_member(actor, family.get_member(actor, member_id), now=clock.now(),
                                ip=request.remote_addr, **data)


@members.route("/<int:member_id>", methods=["DELETE"])
@login_required
@members.response(204)
def remove_member(member_id):
    """Take a family member off one's list; their sign-ups, scans and hours are kept."""
    actor = _actor()
    family.remove_member(actor, family.get_member(actor, member_id), now=clock.now())


@members.route("/<int:member_id>/handover/code", methods=["POST"])
@login_required
@handover_limit
@members.arguments(HandoverCodeIn)
@members.response(202, CodeSentOut)
def ask_handover(data, member_id):
    """A family member gets their own phone: send a code to it (409 phone_taken if that
    number already has an account; the usual SMS code limits apply)."""
    actor = _actor()
    asked = family.ask_handover(actor, family.get_member(actor, member_id),
                                phone=data["phone"], ip=request.remote_addr, now=clock.now())
    return {"sent": True, "resend_after": asked.resend_after, "expires_in": asked.expires_in}


@members.route("/<int:member_id>/handover", methods=["POST"])
@login_required
@members.arguments(HandoverIn)
@members.response(200, ResidentOut)
def hand_over(data, member_id):
    """With the code sent to their phone, the member gets their own login (by SMS code)
    and leaves one's family members; their records stay theirs."""
    actor = _actor()
    return family.hand_over(actor, family.get_member(actor, member_id), phone=data["phone"],
                            code=data["code"], now=clock.now())


@residents.route("", methods=["GET"])
@login_required
@residents.response(200, ResidentOut(many=True))
def list_residents():
    """The residents one registered lately (phones masked)."""
    return family.registered_by_worker(_actor())


@residents.route("", methods=["POST"])
@login_required
@residents.arguments(ResidentIn)
@residents.response(201, ResidentOut)
def register_resident(data):
    """Register a resident who agreed on paper or in person, in a community one serves."""
    return family.register_resident(_actor(), now=clock.now(), ip=request.remote_addr, **data)
