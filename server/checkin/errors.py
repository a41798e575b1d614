import functools

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, Forbidden, ValidationError

# The words shown big on the scanner for each result code.
RESULT_TEXT = {
    "ok": _l("Checked in"),
    "ok_exit": _l("Checked out"),
    "already_checked_in": _l("Already checked in"),
    "not_signed_up": _l("Not signed up for this activity"),
    "waitlisted": _l("On the waitlist, no place yet"),
    "too_early": _l("Too early: check-in has not opened"),
    "too_late": _l("Too late: the activity is over"),
    "activity_cancelled": _l("This activity was cancelled"),
    "invalid_code": _l("Not a valid Wushe code"),
    "code_expired": _l("This code has expired: scan the new one"),
    "revoked": _l("This code was replaced: ask for the new one"),
    "not_allowed": _l("You may not scan for this activity"),
    "already_checked_out": _l("Already checked out"),
    "not_checked_in": _l("Not checked in yet"),
    "attendance_closed": _l("Attendance is closed: the activity is finished. File "
                            "retroactive hours (补录) for any that are missing"),
    "activity_full": _l("Full: no place left to admit a walk-in"),
    "nonce_reused": _l("This scan's number was already used: scan again"),
}


def result_text(result: str, direction: str = "entry") -> str:
    key = "ok_exit" if result == "ok" and direction == "exit" else result
    return _translated(str(get_locale()), key)


@functools.cache
def _translated(locale: str, key: str) -> str:
    """One result's words in one language, looked up once per process (every scan's answer
    carries them; the catalogues do not change while it runs). Called with `locale` the
    language in force, which is the one str() translates into."""
    return str(RESULT_TEXT.get(key, key))


class NeedsOneOf(ValidationError):
    code = "code_or_person_required"
    message = _l("Send either a scanned code or a person, not both.")


# paper sign-in sheets ---------------------------------------------------------------------

# Why a row of a paper sheet was refused. The whole batch is refused with them: a sheet is
# entered all at once or not at all, so a fixed sheet can simply be sent again.
ROW_REASONS = {
    "invalid_code": _l("This row's code is not one we printed, or it was changed."),
    "other_activity": _l("This row is from the sheet of another activity."),
    "not_on_sheet": _l("This person no longer holds a place in this activity."),
    "twice": _l("This person is in the batch twice."),
    "outside_day": _l("This time is not on the day of the activity."),
    "future": _l("This time has not come yet."),
    "exit_before_entry": _l("The check-out time is before the check-in time."),
    "one_of": _l("Send either the row's code or its sign-up, not both."),
}


class PaperRowsRefused(ValidationError):
    code = "paper_rows_refused"
    message = _l("Some rows of the sheet cannot be entered. Nothing was saved: correct "
                 "them and send the sheet again.")

    def __init__(self, rows: dict[int, str]):
        self.row_codes = rows
        super().__init__(errors={"rows": {i: [ROW_REASONS[c]] for i, c in rows.items()}})


class NothingTicked(ValidationError):
    code = "paper_nothing_ticked"
    message = _l("Nothing is ticked: tick check-in or check-out for at least one person.")


class PaperNotOpen(Conflict):
    code = "paper_not_open"
    message = _l("This activity's attendance cannot be entered: it has not started, was "
                 "cancelled, or is a draft.")


class PaperNonceReused(Conflict):
    code = "paper_nonce_reused"
    message = _l("This batch's number was already used for another sheet. Reload the page "
                 "and enter the sheet again.")


class PeopleCheckedIn(Conflict):
    code = "people_checked_in"
    message = _l("People have checked in to this activity, so it took place: finish it "
                 "instead of cancelling it, and their hours will be reviewed as usual.")


class MayNotScan(Forbidden):
    """Scanning for an activity one does not organise or oversee: refused, and nothing is
    written to its scan log (any account could otherwise fill another's log with rows)."""
    code = "scan_not_allowed"
    message = _l("You may not scan for this activity.")
