from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, NotFound, ValidationError


class ActivityNotFound(NotFound):
    code = "activity_not_found"
    message = _l("This activity does not exist or is not published.")


class SignupNotFound(NotFound):
    code = "signup_not_found"
    message = _l("You are not signed up for this activity.")


class SignupAlreadyRemoved(Conflict):
    """An organiser removes someone already off the list (a second tap, or they withdrew
    meanwhile): said to the organiser, not as "you are not signed up"."""
    code = "signup_already_removed"
    message = _l("%(name)s is already off the list.")


class BadTransition(Conflict):
    code = "activity_bad_transition"
    message = _l("This activity is “%(current)s”: it cannot become “%(target)s”.")


class NotEditable(BadTransition):
    """An edit of a cancelled or finished activity (the same code, in words a person says)."""

    message = _l("This activity is “%(current)s”: it can no longer be edited.")


class FinishedKeepsItsRecord(BadTransition):
    message = _l("This activity is “%(current)s”: of its details only the programme it "
                 "belongs to can still change.")


class AlreadyInState(BadTransition):
    """Asked to become what it already is (publish twice, a second tap on a slow phone)."""
    message = _l("This activity is already “%(current)s”.")


EDITED = _l("edited")


class NotStarted(Conflict):
    code = "not_started"
    message = _l("This activity has not started yet, so it cannot be marked finished.")


class NotOpen(Conflict):
    code = "not_open"
    message = _l("This activity is not open for sign-up.")


class ActivityCancelled(Conflict):
    code = "activity_cancelled"
    message = _l("This activity has been cancelled.")


class ActivityFinished(Conflict):
    code = "activity_finished"
    message = _l("This activity has already finished.")


class SignupAttended(Conflict):
    code = "signup_attended"
    message = _l("This person has checked in: their sign-up stays. If their hours should "
                 "not count, reject them in the review.")


class WithdrawCheckedIn(Conflict):
    code = "withdraw_checked_in"
    message = _l("You have checked in already, so the place can no longer be given up. If "
                 "you must leave, check out at the door.")


class SignupNotOpenYet(Conflict):
    code = "signup_not_open_yet"
    message = _l("Sign-up opens at %(opens)s.")


class SignupClosed(Conflict):
    code = "signup_closed"
    message = _l("Sign-up for this activity has closed.")


class AlreadySignedUp(Conflict):
    code = "already_signed_up"
    message = _l("You are already signed up for this activity.")


class BirthDateRequired(ValidationError):
    code = "birth_date_required"
    message = _l("This activity has a minimum age. Add your birth date to your profile first.")


class TooYoung(Conflict):
    code = "too_young"
    message = _l("This activity is for people aged %(min_age)s and over.")


class SkillsMissing(Conflict):
    code = "skills_missing"
    message = _l("This activity needs skills you have not listed: %(skills)s.")


class TimeClash(Conflict):
    code = "time_clash"
    message = _l("It overlaps with an activity you are already signed up for: %(other)s.")


class WithdrawClosed(Conflict):
    code = "withdraw_closed"
    message = _l("It is too late to withdraw online. Please tell the organiser.")


class CapacityBelowConfirmed(Conflict):
    code = "capacity_below_confirmed"
    field = "capacity"
    message = _l("%(confirmed)s people already have a place; capacity cannot be lower.")


class BadSchedule(ValidationError):
    code = "bad_schedule"
    message = _l("Check the times: the end must come after the start, and sign-up "
                 "must open before it closes.")


class PlaceOutsideOrganisation(ValidationError):
    code = "place_outside_organisation"
    field = "node_id"
    message = _l("The organisation can only hold activities in its own area.")


# --- lotteries ----------------------------------------------------------------------------

class LotteryWindowRequired(ValidationError):
    code = "lottery_window_required"
    field = "signup_closes_at"
    message = _l("A lottery needs a sign-up window: give the times it opens and closes.")


class LotteryClosesAfterStart(ValidationError):
    code = "lottery_closes_after_start"
    field = "signup_closes_at"
    message = _l("The lottery must close before the activity starts, so that everyone "
                 "knows the result in time.")


class LotteryInPast(ValidationError):
    code = "lottery_in_past"
    field = "signup_mode"
    message = _l("A lottery can only be held for an activity whose sign-up has not closed yet.")


class SignupModeLocked(Conflict):
    code = "signup_mode_locked"
    field = "signup_mode"
    message = _l("People have already signed up or entered, so the way places are given "
                 "can no longer change.")


class NotLottery(NotFound):
    code = "not_lottery"
    message = _l("This activity gives places first come, first served: it has no lottery.")


class DrawTooEarly(Conflict):
    code = "draw_too_early"
    message = _l("The lottery closes at %(closes)s. It can be drawn only after that.")


class AlreadyDrawn(Conflict):
    code = "already_drawn"
    message = _l("This lottery has already been drawn.")


class AwaitingDraw(Conflict):
    code = "awaiting_draw"
    message = _l("The lottery has closed and is about to be drawn. Once it is, you can "
                 "sign up for any place left or join the waitlist.")


class NoHomeCommunity(ValidationError):
    code = "no_home_community"
    message = _l("To see activities near you, first choose the community you live in on "
                 "your profile page, or choose a community in the filter.")
    field = "near"


class SearchNeedsLogin(ValidationError):
    code = "search_needs_login"
    message = _l("Log in to find activities near your home or that suit your skills.")
