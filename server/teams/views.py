"""Page endpoints (thin): the team list, a team, joining, answering, leaving, my teams.
The leaders' pages are in manage_views.py on the same blueprint."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.communities.services import places_for_residents
from server.core import clock
from server.core.pages import FORM_ERRORS, load_args, load_form, me, problem, safe_next
from server.teams import queries, services
from server.teams.schemas import JoinIn, TeamArgs

bp = Blueprint("teams_pages", __name__)


@bp.route("/teams")
def index():
    """Volunteer teams, searched by words or place."""
    args = load_args(TeamArgs())
    page = queries.teams(q=args["q"], node_id=args["node_id"], page=args["page"])
    return render_template("teams/index.html", page=page, args=args,
                           places=places_for_residents())


@bp.route("/teams/<int:team_id>")
def detail(team_id: int):
    """One team: leaders, members, hours, and what the viewer can do."""
    view = queries.team_view(services.get_team(team_id), me())
    return render_template("teams/detail.html", view=view, team=view.team)


@bp.route("/teams/<int:team_id>/join", methods=["POST"])
@login_required
def join(team_id: int):
    """Ask to join (or accept the invitation already there)."""
    team = services.get_team(team_id)
    try:
        data = load_form(JoinIn())
        m = services.request_to_join(team, user=me(), now=clock.now(), message=data["message"])
    except FORM_ERRORS as exc:
        flash(problem(exc)[0], "warning")
    else:
        flash(_("Welcome to the team.") if m.state == "active" else
              _("Your request was sent. The leaders will answer it."), "success")
    return redirect(url_for("teams_pages.detail", team_id=team.id))


def team_page(team_id: int) -> str:
    """Where a team action sends the person afterwards: the leaders' page while they may
    still manage the team, else the team's own page (a leader who stepped down or removed
    themselves would otherwise land on a refusal under the success message)."""
    team = services.get_team(team_id)
    if services.can_manage(me(), team):
        return url_for("teams_pages.manage", team_id=team.id)
    return url_for("teams_pages.detail", team_id=team.id)


DONE = {
    "accept": lambda: _("Welcome to the team."),
    "decline": lambda: _("Declined."),
    "cancel": lambda: _("Taken back."),
    "leave": lambda: _("You have left the team. Your hours stay yours."),
    "approve": lambda: _("Approved: they are a member now."),
}


def _act(action: str, membership_id: int):
    now, actor = clock.now(), me()
    if action == "accept":
        return services.answer_invitation(membership_id, user=actor, accept=True, now=now)
    if action == "approve":
        return services.answer_request(membership_id, actor=actor, approve=True, now=now)
    if action == "decline":
        return services.decline(membership_id, actor=actor, now=now)
    if action == "cancel":
        return services.cancel(membership_id, actor=actor, now=now)
    return services.leave(membership_id, user=actor, now=now)


@bp.route("/team-memberships/<int:membership_id>/<any(accept, approve, decline, cancel, "
          "leave):action>", methods=["POST"])
@login_required
def answer(membership_id: int, action: str):
    """Accept, approve, decline, take back or leave; then back to where the person was."""
    m = services.get_membership(membership_id, viewer=me())
    back = safe_next(url_for("teams_pages.detail", team_id=m.team_id))
    try:
        _act(action, membership_id)
    except FORM_ERRORS as exc:
        flash(problem(exc)[0], "warning")
    else:
        flash(DONE[action](), "success")
        if back == url_for("teams_pages.manage", team_id=m.team_id):
            back = team_page(m.team_id)  # a leader who left may manage it no more
    return redirect(back)


@bp.route("/me/teams")
@login_required
def mine():
    """My teams, invitations to answer, requests waiting, and teams I was in."""
    return render_template("teams/mine.html", mine=queries.mine(me().id),
                           here=request.path)


# The leaders' pages register their routes on `bp` when imported.
from server.teams import manage_views  # noqa: E402,F401
