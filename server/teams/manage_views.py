"""The leaders' page: requests to answer, invitations out, invite by phone, members
(make leader, remove), and signing members up for an activity."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.core import clock, timefmt
from server.core.labels import sentences
from server.core.pages import FORM_ERRORS, load_form, me, problem
from server.teams import errors, invitations, queries, services
from server.teams.schemas import InviteIn, TeamReasonIn, TeamRoleIn, TeamSignupIn
from server.teams.throttle import invite_limit
from server.teams.views import bp, team_page


@bp.app_template_global()
def activity_options(activities) -> list[tuple[int, str]]:
    return [(a.id, f"{a.title} · {timefmt.span(a.starts_at, a.ends_at)}") for a in activities]


@bp.app_template_global()
def member_options(rows) -> list[tuple[int, str]]:
    return [(r.user.id, r.user.name) for r in rows]


def _managed(team_id: int):
    team = services.get_team(team_id)
    if not services.can_manage(me(), team):
        raise errors.LeadersOnly()
    return team


def render_manage(team, *, status: int = 200, **extra):
    context = {
        "team": team, "view": queries.team_view(team, me()),
        "requests": queries.waiting(team.id, "requested"),
        "invitations": invitations.waiting(team.id),
        "activities": queries.open_activities(now=clock.now()),
        "invite_errors": {}, "invite_phone": "", "signup_errors": {}, "results": None,
    }
    context.update(extra)
    return render_template("teams/manage.html", **context), status


@bp.route("/teams/<int:team_id>/manage")
@login_required
def manage(team_id: int):
    """Requests, invitations, members and sign-ups, for the team's leaders."""
    return render_manage(_managed(team_id))


@bp.route("/teams/<int:team_id>/invite", methods=["POST"])
@login_required
@invite_limit
def invite(team_id: int):
    """Invite a person by their phone number."""
    team = _managed(team_id)
    try:
        data = load_form(InviteIn())
        invitations.invite(team, phone=data["phone"], actor=me(), now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return render_manage(team, status=status, invite_errors=fields or {"phone": [message]},
                             invite_phone=request.form.get("phone", ""))
    # the same words whoever has the number (teams.invitations)
    flash(_("Invitation recorded. If the number has an account, its owner sees it in "
            "their messages; if not, they will when they register with it."), "success")
    return redirect(url_for("teams_pages.manage", team_id=team.id))


@bp.route("/teams/<int:team_id>/invitations/<int:invitation_id>/cancel", methods=["POST"])
@login_required
def cancel_invitation(team_id: int, invitation_id: int):
    """Take back an invitation not yet answered."""
    team = _managed(team_id)
    try:
        invitation = invitations.get_invitation(invitation_id)
        if invitation.team_id != team.id:
            raise errors.InvitationNotFound()
        invitations.cancel(invitation.id, actor=me(), now=clock.now())
    except FORM_ERRORS as exc:
        flash(problem(exc)[0], "warning")
    else:
        flash(_("Taken back."), "success")
    return redirect(url_for("teams_pages.manage", team_id=team.id))


@bp.route("/teams/<int:team_id>/signups", methods=["POST"])
@login_required
def sign_up(team_id: int):
    """Sign the ticked members up for the chosen activity; each result is shown."""
    team = _managed(team_id)
    try:
        data = load_form(TeamSignupIn())
        results = services.sign_up_members(team, activity_id=data["activity_id"],
                                           user_ids=data["user_ids"], actor=me(),
                                           now=clock.now())
    except FORM_ERRORS as exc:
        _message, fields, status = problem(exc)
        return render_manage(team, status=status, signup_errors=fields)
    return render_manage(team, results=results)


@bp.route("/team-memberships/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove(membership_id: int):
    """Remove a member, with a reason they are told."""
    m = services.get_membership(membership_id, viewer=me())
    try:
        data = load_form(TeamReasonIn())
        services.remove(m.id, actor=me(), now=clock.now(), reason=data["reason"])
    except FORM_ERRORS as exc:
        message, fields, _status = problem(exc)
        flash(sentences([message, *fields.get("reason", [])]), "warning")
    else:
        flash(_("Removed from the team."), "success")
    return redirect(team_page(m.team_id))


@bp.route("/team-memberships/<int:membership_id>/role", methods=["POST"])
@login_required
def set_role(membership_id: int):
    """Make a member a leader, or a leader a member again."""
    m = services.get_membership(membership_id, viewer=me())
    try:
        data = load_form(TeamRoleIn())
        services.set_role(m.id, role=data["role"], actor=me(), now=clock.now())
    except FORM_ERRORS as exc:
        flash(problem(exc)[0], "warning")
    else:
        flash(_("Role changed."), "success")
    return redirect(team_page(m.team_id))
