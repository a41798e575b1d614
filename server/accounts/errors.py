from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, Forbidden, NotFound, Unauthorised, ValidationError


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
