from flask_babel import lazy_gettext as _l

from server.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorised,
    ValidationError,
)


class PhoneTaken(Conflict):
    code = "phone_taken"
    field = "phone"
    message = _l("This mobile number is already registered. Log in instead.")


class InvalidPhone(ValidationError):
    code = "invalid_phone"
    field = "phone"
    message = _l("Enter a mainland China mobile number of 11 digits, starting with 1.")


class WeakPassword(ValidationError):
    code = "weak_password"
    field = "password"
    message = _l("Use a password of at least 8 characters with letters and digits.")


class ConsentRequired(ValidationError):
    code = "consent_required"
    field = "accept_privacy"
    message = _l("Please read and accept the privacy notice to register.")


class GuardianConsentRequired(ValidationError):
    code = "guardian_consent_required"
    field = "guardian_name"
    message = _l("Under 14: a parent or guardian must give their name and consent.")


class BadCredentials(Unauthorised):
    code = "bad_credentials"
    message = _l("The mobile number or password is wrong.")


class AccountDisabled(Forbidden):
    code = "account_disabled"
    message = _l("This account is disabled. Contact your community.")


class RoleExists(Conflict):
    code = "role_exists"
    field = "role"
    message = _l("This person already holds that role there.")


class BadRole(ValidationError):
    code = "bad_role"
    field = "role"
    message = _l("An organiser role needs an organisation; other roles must not have one.")


class InvalidName(ValidationError):
    code = "invalid_name"
    field = "name"
    message = _l("Enter a name in letters (Chinese or other), up to 40 characters.")


class UserNotFound(NotFound):
    code = "user_not_found"
    message = _l("Nobody has registered with this mobile number yet. Ask them to register first.")


class ResidentNotFound(NotFound):
    code = "resident_not_found"
    message = _l("No resident of the places you serve is registered with this mobile number. "
                 "Register them first, or ask them to sign up themselves.")


class BirthDateLocked(Conflict):
    code = "birth_date_locked"
    field = "birth_date"
    message = _l("Your birth date is already recorded. Ask your community worker to correct it.")


class BirthDateInFuture(ValidationError):
    code = "birth_date_in_future"
    field = "birth_date"
    message = _l("The birth date cannot be in the future.")


class UnknownSkill(ValidationError):
    code = "unknown_skill"
    field = "skills"
    message = _l("Choose skills from the list.")


class UnknownNode(ValidationError):
    code = "unknown_node"
    field = "home_node_id"
    message = _l("Choose your community or village from the list.")


class UnknownRole(ValidationError):
    code = "unknown_role"
    field = "role"
    message = _l("Choose organiser, coordinator or administrator.")


class OwnAdminRole(Forbidden):
    code = "own_admin_role"
    message = _l("Nobody removes their own administrator role: ask another administrator.")


class GrantNotFound(NotFound):
    code = "grant_not_found"
    message = _l("This role assignment does not exist (it may have been taken back already).")


class InvalidEmail(ValidationError):
    code = "invalid_email"
    field = "email"
    message = _l("Enter an e-mail address such as name@example.com, or leave it blank.")


# --- SMS codes (accounts.phone_codes) ---------------------------------------------------------
# None of these says whether a number is registered: a number that is not gets a code row
# too (never sent), so it meets the same limits and the same answers.

class CodeTooSoon(RateLimited):
    """A code was asked for too often (per number or per address): try again later."""

    code = "code_too_soon"
    message = _l("Codes were asked for too often. Try again in %(wait)s.")


class InvalidCode(ValidationError):
    code = "invalid_code"
    field = "code"
    message = _l("Enter the six digits of the code in the SMS.")


class WrongCode(ValidationError):
    """A wrong try counts against the code (PHONE_CODE_MAX_TRIES): the unit of work keeps
    that count although it refuses the request."""

    code = "wrong_code"
    field = "code"
    message = _l("The code is wrong. Check the six digits in the latest SMS and try again.")
    keeps_work = True


class CodeExpired(ValidationError):
    code = "code_expired"
    field = "code"
    message = _l("This code has expired. Ask for a new code.")


class CodeUsed(ValidationError):
    code = "code_used"
    field = "code"
    message = _l("This code has already been used. Ask for a new code.")


class CodeTriesUsedUp(ValidationError):
    code = "code_tries_used_up"
    field = "code"
    message = _l("Too many wrong tries: this code no longer works. Ask for a new code.")


# --- family members and residents registered by staff (accounts.family) -------------------

class MemberNotFound(NotFound):
    """Someone who is not one's own family member (or nobody): the same answer for both."""

    code = "member_not_found"
    field = "member_id"
    message = _l("This person is not one of your family members.")


class MemberHasSignups(Conflict):
    code = "member_has_signups"
    message = _l("%(name)s is still signed up for “%(title)s”. Withdraw their sign-ups "
                 "first, so their places go to others.")


class TooManyMembers(Conflict):
    code = "too_many_members"
    message = _l("You can add at most %(max)s family members.")


class UnknownRelation(ValidationError):
    code = "unknown_relation"
    field = "relation"
    message = _l("Choose how this person is related to you.")


class MemberConsentRequired(ValidationError):
    code = "member_consent_required"
    field = "consent"
    message = _l("Confirm that this family member agrees to be registered.")


class MemberGuardianRequired(ValidationError):
    code = "member_guardian_required"
    field = "consent"
    message = _l("Under 14: as their parent or guardian, confirm that you consent.")


class ManagedCannotManage(Forbidden):
    code = "managed_cannot_manage"
    message = _l("A family member cannot add family members of their own.")


class ResidentConsentRequired(ValidationError):
    code = "resident_consent_required"
    field = "consent"
    message = _l("Tick the box once the resident has agreed (on paper or in person).")


class NodeOutOfScope(Forbidden):
    """A community outside the worker's subtrees (or none): not theirs to register in."""

    code = "node_out_of_scope"
    field = "home_node_id"
    message = _l("Choose a community where you work.")


class ManagesFamily(Conflict):
    code = "account_manages_family"
    message = _l("You manage family members. Hand each over to their own phone, or remove "
                 "them, before deleting your account.")


class HoldsRoles(Conflict):
    code = "account_holds_roles"
    message = _l("You hold a role (organiser, coordinator or administrator). Ask whoever "
                 "granted it to end it before deleting your account.")


class ErasureNotConfirmed(ValidationError):
    code = "erasure_not_confirmed"
    field = "confirm"
    message = _l("Tick the box to confirm that you want your account deleted.")


class ErasureRaced(Conflict):
    """Something began for the person while their account was being deleted (a place given
    at that moment): the deletion runs again, and sees it (WusheError.retry)."""

    code = "erasure_raced"
    retry = True
    message = _l("Something changed in your account while it was being deleted. Try again.")


class AccountClosed(Conflict):
    """The person's account was deleted or closed while a sign-up or a pledge for them
    waited for it (their row's lock): nothing is given to, or taken from, a closed one."""

    code = "account_closed"
    message = _l("This account has been deleted or closed.")
