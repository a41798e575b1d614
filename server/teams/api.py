"""/api/v1 teams: browse, join, invite, answer, leave or remove, and leader sign-ups."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user, login_required

from server.core import clock
from server.core.api import Blueprint
from server.teams import errors, invitations, queries, services
from server.teams.schemas import (
    InvitationOut,
    InviteIn,
    JoinIn,
    MembershipOut,
    TeamArgs,
    TeamDetailOut,
    TeamPageOut,
    TeamReasonIn,
    TeamRoleIn,
    TeamSignupIn,
    TeamSignupOut,
)
from server.teams.throttle import invite_limit

teams = Blueprint("teams", __name__, url_prefix="/api/v1/teams",
                  description="Volunteer teams: browse, join, invite, manage members.")
memberships = Blueprint("team_memberships", __name__, url_prefix="/api/v1/team-memberships",
                        description="Answer an invitation or request; leave; remove.")
my_teams = Blueprint("my_teams", __name__, url_prefix="/api/v1/me/teams",
                     description="The teams I belong to or am invited to.")
blueprints = [teams, memberships, my_teams]


class PendingOut(ma.Schema):
    requests = ma.fields.List(ma.fields.Nested(MembershipOut))
    invitations = ma.fields.List(ma.fields.Nested(InvitationOut))


class MyTeamsOut(ma.Schema):
    active = ma.fields.List(ma.fields.Nested(MembershipOut))
    invited = ma.fields.List(ma.fields.Nested(MembershipOut))
    requested = ma.fields.List(ma.fields.Nested(MembershipOut))
    past = ma.fields.List(ma.fields.Nested(MembershipOut))


def _actor():
    return current_user._get_current_object() if current_user.is_authenticated else None


@teams.route("", methods=["GET"])
@teams.arguments(TeamArgs, location="query")
@teams.response(200, TeamPageOut)
def list_teams(args):
    """Volunteer teams by name, searched by words or place (public)."""
    return queries.teams(q=args["q"], node_id=args["node_id"], page=args["page"])


@teams.route("/<int:team_id>", methods=["GET"])
@teams.response(200, TeamDetailOut)
def show_team(team_id):
    """One team: leaders, member count, total hours; members to its members and leaders."""
    return queries.team_view(services.get_team(team_id), _actor())


@teams.route("/<int:team_id>/requests", methods=["POST"])
@login_required
@teams.arguments(JoinIn)
@teams.response(201, MembershipOut)
def request_to_join(data, team_id):
    """Ask to join a team; its leaders are told (an open invitation is accepted instead)."""
    return services.request_to_join(services.get_team(team_id), user=_actor(),
                                    now=clock.now(), message=data["message"])


@teams.route("/<int:team_id>/invitations", methods=["POST"])
@login_required
@invite_limit
@teams.arguments(InviteIn)
@teams.response(201, InvitationOut)
def invite(data, team_id):
    """Invite a number (leaders): recorded, and answered alike whether or not it has an
    account; its person sees it in their teams and messages, now or once they register."""
    return invitations.invite(services.get_team(team_id), phone=data["phone"],
                              actor=_actor(), now=clock.now())


@teams.route("/<int:team_id>/invitations/<int:invitation_id>/cancel", methods=["POST"])
@login_required
@teams.response(200, InvitationOut)
def cancel_invitation(team_id, invitation_id):
    """Take back an invitation not yet answered (leaders)."""
    invitation = invitations.get_invitation(invitation_id)
    if invitation.team_id != team_id:
        raise errors.InvitationNotFound()
    return invitations.cancel(invitation.id, actor=_actor(), now=clock.now())


@teams.route("/<int:team_id>/pending", methods=["GET"])
@login_required
@teams.response(200, PendingOut)
def pending(team_id):
    """Requests to answer and invitations not yet answered (leaders)."""
    team = services.get_team(team_id)
    if not services.can_manage(_actor(), team):
        raise errors.LeadersOnly()
    return {"requests": queries.waiting(team.id, "requested"),
            "invitations": invitations.waiting(team.id)}


@teams.route("/<int:team_id>/signups", methods=["POST"])
@login_required
@teams.arguments(TeamSignupIn)
@teams.response(200, TeamSignupOut(many=True))
def sign_up_members(data, team_id):
    """A leader signs members up for an activity; each result says placed, waiting or why not."""
    return services.sign_up_members(services.get_team(team_id),
                                    activity_id=data["activity_id"],
                                    user_ids=data["user_ids"], actor=_actor(), now=clock.now())


@memberships.route("/<int:membership_id>/accept", methods=["POST"])
@login_required
@memberships.response(200, MembershipOut)
def accept(membership_id):
    """Accept an invitation to a team (the invited person)."""
    return services.answer_invitation(membership_id, user=_actor(), accept=True,
                                      now=clock.now())


@memberships.route("/<int:membership_id>/approve", methods=["POST"])
@login_required
@memberships.response(200, MembershipOut)
def approve(membership_id):
    """Approve a request to join (leaders)."""
    return services.answer_request(membership_id, actor=_actor(), approve=True,
                                   now=clock.now())


@memberships.route("/<int:membership_id>/decline", methods=["POST"])
@login_required
@memberships.response(200, MembershipOut)
def decline(membership_id):
    """Decline an invitation (the invited person) or a request (leaders)."""
    return services.decline(membership_id, actor=_actor(), now=clock.now())


@memberships.route("/<int:membership_id>/cancel", methods=["POST"])
@login_required
@memberships.response(200, MembershipOut)
def cancel(membership_id):
    """Take back one's own request. Leaders take back an invitation as the invitation:
    POST /teams/{team_id}/invitations/{invitation_id}/cancel."""
    return services.cancel(membership_id, actor=_actor(), now=clock.now())


@memberships.route("/<int:membership_id>/leave", methods=["POST"])
@login_required
@memberships.response(200, MembershipOut)
def leave(membership_id):
    """Leave a team (the member); the team keeps the hours given while in it."""
    return services.leave(membership_id, user=_actor(), now=clock.now())


@memberships.route("/<int:membership_id>/remove", methods=["POST"])
@login_required
@memberships.arguments(TeamReasonIn)
@memberships.response(200, MembershipOut)
def remove(data, membership_id):
    """Remove a member, with a reason they are told (leaders)."""
    return services.remove(membership_id, actor=_actor(), now=clock.now(),
                           reason=data["reason"])


@memberships.route("/<int:membership_id>/role", methods=["POST"])
@login_required
@memberships.arguments(TeamRoleIn)
@memberships.response(200, MembershipOut)
def set_role(data, membership_id):
    """Make a member a leader, or a leader a member again (leaders; never the last one)."""
    return services.set_role(membership_id, role=data["role"], actor=_actor(),
                             now=clock.now())


@my_teams.route("", methods=["GET"])
@login_required
@my_teams.response(200, MyTeamsOut)
def mine():
    """My teams, invitations to answer, requests waiting, and teams I was in."""
    return queries.mine(_actor().id)
