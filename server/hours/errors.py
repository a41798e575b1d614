from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, Forbidden, NotFound, ValidationError


class EntryNotFound(NotFound):
    code = "entry_not_found"
    message = _l("This hours entry does not exist.")


class OwnHours(Forbidden):
    code = "own_hours"
    message = _l("Nobody reviews their own hours: ask another reviewer.")


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    message = _l("This entry has already been reviewed.")


class NotReviewer(Forbidden):
    code = "not_reviewer"
    message = _l("Only the organising body and coordinators above it review these hours.")


class OverCap(ValidationError):
    code = "over_cap"
    message = _l("At most %(cap)s minutes: the length of the activity.")


class EvidenceRequired(ValidationError):
    code = "evidence_required"
    message = _l("Say what you did and who can confirm it.")


class NotYetHappened(Conflict):
    code = "not_yet_happened"
    message = _l("Hours can only be filed for an activity that has taken place.")


class AlreadyRecorded(Conflict):
    code = "already_recorded"
    message = _l("Hours for this activity are already recorded for this person.")


class CorrectionOpen(Conflict):
    code = "correction_open"
    message = _l("A correction request for this entry is already waiting for an answer.")
