from flask_babel import lazy_gettext as _l

from server.core.errors import ValidationError

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
    "attendance_closed": _l("Attendance is closed: the activity is finished. File missing "
                            "hours as 补录"),
    "activity_full": _l("Full: no place left to admit a walk-in"),
    "nonce_reused": _l("This scan's number was already used: scan again"),
}


def result_text(result: str, direction: str = "entry") -> str:
    if result == "ok" and direction == "exit":
        return str(RESULT_TEXT["ok_exit"])
    return str(RESULT_TEXT.get(result, result))


class NeedsOneOf(ValidationError):
    code = "code_or_person_required"
    message = _l("Send either a scanned code or a person, not both.")
