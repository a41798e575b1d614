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
    field = "minutes"
    message = _l("At most %(cap)s minutes: the length of the activity.")


class EvidenceRequired(ValidationError):
    code = "evidence_required"
    field = "evidence"
    message = _l("Say what you did and who can confirm it.")


class NotYetHappened(Conflict):
    code = "not_yet_happened"
    field = "activity_id"
    message = _l("Hours can only be filed for an activity that has taken place.")


class AlreadyRecorded(Conflict):
    code = "already_recorded"
    field = "activity_id"
    message = _l("Hours for this activity are already recorded for this person.")


class CheckedIn(Conflict):
    """补录 while the activity runs, for someone its scans already count: at the finish the
    scans become the entry, and a claim beside it would count the same service twice."""

    code = "checked_in"
    field = "activity_id"
    message = _l("Checked in at this activity: the hours are recorded from the scans when "
                 "it ends.")


class RetroNeedsSignup(Conflict):
    code = "retro_needs_signup"
    field = "activity_id"
    message = _l("You can file hours only for an activity you held a place in. Ask its "
                 "organiser to file them for you.")


class PersonNotFound(NotFound):
    """Also the answer for someone registered elsewhere: a number names nobody to a worker
    who does not serve them."""
    code = "person_not_found"
    field = "phone"
    message = _l("Nobody who held a place in this activity or lives in a place you serve "
                 "is registered with this mobile number.")


class HelpedRecord(Forbidden):
    code = "helped_record"
    message = _l("You helped record these hours (you filed them, or forced, assisted or "
                 "admitted the scans): another reviewer must decide them.")


class NotCorrectable(Conflict):
    code = "not_correctable"
    message = _l("Only the entry that counts now can be reported: this one was rejected, "
                 "reversed or replaced. File retroactive hours (补录) if some are "
                 "missing.")


class CorrectionNotFound(NotFound):
    code = "correction_not_found"
    message = _l("This correction request does not exist.")


class CorrectionOpen(Conflict):
    code = "correction_open"
    message = _l("A correction request for this entry is already waiting for an answer.")


# certificates (志愿服务记录证明) -------------------------------------------------------------

class CertificateNotFound(NotFound):
    code = "certificate_not_found"
    message = _l("This certificate does not exist.")


class NotIssuer(Forbidden):
    code = "not_issuer"
    message = _l("Only the organising body's reviewers issue or revoke its certificates.")


class OwnCertificate(Forbidden):
    code = "own_certificate"
    message = _l("Nobody issues or decides their own certificate: ask another reviewer.")


class NoHoursWithOrganisation(Conflict):
    code = "no_hours_with_organisation"
    field = "organisation_id"
    message = _l("You have no approved hours at this organisation's activities yet.")


class CertificateRequestOpen(Conflict):
    code = "certificate_request_open"
    field = "organisation_id"
    message = _l("You already have a request with this organisation waiting for an answer.")


class CertificateNotRequested(Conflict):
    code = "certificate_not_requested"
    message = _l("This request has already been answered.")


class CertificateUnprintable(Conflict):
    """A name or title holds characters no font of the server can print (server.core
    pdf_text): issued, they would be boxes on an official document, never to change."""

    code = "certificate_unprintable"
    message = _l("The certificate cannot print “%(chars)s”: this server has no font for it. "
                 "Ask the platform's administrators; nothing was issued.")


class CertificateNotIssued(Conflict):
    code = "certificate_not_issued"
    message = _l("This certificate is not issued (it may have been revoked).")


class IdentityMissing(Conflict):
    code = "identity_missing"
    message = _l("The volunteer has not given an identity document number: decline and "
                 "ask them to request again with it.")


class OrganisationIncomplete(Conflict):
    code = "organisation_incomplete"
    message = _l("The organisation needs a contact phone on record before it can issue "
                 "certificates.")


class HoursRecorded(Conflict):
    code = "hours_recorded"
    message = _l("Hours are already recorded for this activity, so it took place: finish it "
                 "instead of cancelling it, or reject those hours first.")
