"""The team domain's refusals, each code declared once."""

from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, Forbidden, NotFound


class TeamNotFound(NotFound):
    code = "team_not_found"
    message = _l("This volunteer team does not exist.")


class MembershipNotFound(NotFound):
    code = "team_membership_not_found"
    message = _l("We could not find this invitation, request or membership.")


class InvitationNotFound(NotFound):
    code = "team_invitation_not_found"
    message = _l("We could not find this invitation.")


class LeadersOnly(Forbidden):
    code = "team_leaders_only"
    message = _l("Only the team's leaders can do this.")


class AlreadyMember(Conflict):
    code = "team_already_member"
    message = _l("This person is already a member of the team.")


class AlreadyPending(Conflict):
    code = "team_already_pending"
    message = _l("There is already an invitation or a request waiting for an answer.")


class AlreadyAnswered(Conflict):
    code = "team_already_answered"
    message = _l("This has already been answered or has ended. Refresh the page to see "
                 "where things stand.")


class LastLeader(Conflict):
    code = "team_last_leader"
    message = _l("The team needs at least one leader. Make another member a leader first.")


class NotAMember(Conflict):
    code = "team_not_a_member"
    message = _l("Not a member of this team now.")


# A sign-up refusal as the leader who signed a member up reads it, beside the member's name
# (the sign-up's own words speak to the person: "you are already signed up").
ABOUT_A_MEMBER = {
    "already_signed_up": _l("Already signed up for this activity."),
    "time_clash": _l("Signed up for another activity at this time: %(other)s."),
    "birth_date_required": _l("This activity has a minimum age, and their profile has no "
                              "birth date."),
    "skills_missing": _l("This activity needs skills they have not listed: %(skills)s."),
}


def about_a_member(exc) -> str:
    words = ABOUT_A_MEMBER.get(exc.code)
    return str(words) % (exc.params or {}) if words is not None else exc.text()
