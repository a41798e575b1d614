"""Refusals of a whole file, with stable codes, and the reasons a single row is refused."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, NotFound, TooLarge, ValidationError


class ImportNotFound(NotFound):
    code = "import_not_found"
    message = _l("This import does not exist, or it is not yours to see.")


class NotAWorkbook(ValidationError):
    code = "import_not_xlsx"
    field = "file"
    message = _l("This is not an Excel workbook (.xlsx). Save the roster as .xlsx from "
                 "Excel or WPS and upload it again.")


class UnsafeWorkbook(ValidationError):
    code = "import_unsafe_xlsx"
    field = "file"
    message = _l("This workbook unpacks to far more than its size (or holds too many parts) "
                 "and was not opened. Copy the rows into the template and upload that.")


class FileTooLarge(TooLarge):
    code = "import_too_large"
    field = "file"
    message = _l("The file is larger than %(mb)s MB. Split the roster into several files.")


class TooManyRows(ValidationError):
    code = "import_too_many_rows"
    field = "file"
    message = _l("A sheet has more than %(rows)s rows. Split the roster into several files.")


class EmptyWorkbook(ValidationError):
    code = "import_empty"
    field = "file"
    message = _l("No volunteers were found: the first sheet needs a header row (姓名, 手机号, "
                 "社区) and at least one row below it. Download the template to see how.")


class MissingColumns(ValidationError):
    code = "import_missing_columns"
    field = "file"
    message = _l("The header row lacks these columns: %(columns)s. Download the template "
                 "to see how.")


class AlreadyConfirmed(Conflict):
    code = "import_already_confirmed"
    message = _l("This import has already been confirmed. Upload the file again to check "
                 "it against what is there now.")


class NotChecked(Conflict):
    code = "import_not_checked"
    message = _l("This file has not been checked yet, or it could not be read: confirm it "
                 "once its preview is shown.")


class CheckFailed(ValidationError):
    code = "import_check_failed"
    field = "file"
    message = _l("This file could not be checked. Upload it again; if that fails too, "
                 "split the roster into several files.")


# Why a row is refused: shown on the preview and in the rejected rows' workbook.
REASONS = {
    "bad_phone": _l("Not a mainland mobile number (11 digits starting with 1)"),
    "bad_name": _l("The name is missing or not a name"),
    "duplicate_person": _l("The same phone number is on an earlier row"),
    "name_mismatch": _l("This phone number belongs to an account under another name"),
    "unknown_community": _l("No such community in your area"),
    "ambiguous_community": _l("Several communities in your area have this name"),
    "bad_id_number": _l("The ID number is not valid"),
    "unknown_skill": _l("A skill is not one of the listed skills"),
    "unknown_person": _l("This phone number is neither on the volunteers sheet nor "
                         "registered"),
    "person_refused": _l("The volunteers sheet's row for this phone number was refused: "
                         "its name is not the account's"),
    "no_activity": _l("Hours without an activity: no activity with this title on this day "
                      "in your area"),
    "activity_cancelled": _l("The activity has been cancelled"),
    "ambiguous_activity": _l("Several activities in your area have this title on this day"),
    "bad_date": _l("The date is missing or not a date"),
    "bad_hours": _l("The hours are missing, not a number, or longer than the activity"),
    "duplicate_hours": _l("The same person and activity are on an earlier row"),
    "already_recorded": _l("This person's hours for this activity are already recorded"),
}
