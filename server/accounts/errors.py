from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, Forbidden, NotFound, Unauthorised, ValidationError


class PhoneTaken(Conflict):
    code = "phone_taken"
    message = _l("This mobile number is already registered. Log in instead.")


class InvalidPhone(ValidationError):
    code = "invalid_phone"
    message = _l("Enter a mainland China mobile number of 11 digits, starting with 1.")


class WeakPassword(ValidationError):
    code = "weak_password"
    message = _l("Use a password of at least 8 characters with letters and digits.")


class ConsentRequired(ValidationError):
    code = "consent_required"
    message = _l("Please read and accept the privacy notice to register.")


class GuardianConsentRequired(ValidationError):
    code = "guardian_consent_required"
    message = _l("Under 14: a parent or guardian must give their name and consent.")


class BadCredentials(Unauthorised):
    code = "bad_credentials"
    message = _l("The mobile number or password is wrong.")


class AccountDisabled(Forbidden):
    code = "account_disabled"
    message = _l("This account is disabled. Contact your community.")


class RoleExists(Conflict):
    code = "role_exists"
    message = _l("This person already holds that role there.")


class BadRole(ValidationError):
    code = "bad_role"
    message = _l("An organiser role needs an organisation; other roles must not have one.")


class InvalidName(ValidationError):
    code = "invalid_name"
    message = _l("Enter a name in letters (Chinese or other), up to 40 characters.")


class UserNotFound(NotFound):
    code = "user_not_found"
    message = _l("Nobody has registered with this mobile number yet. Ask them to register first.")


class BirthDateLocked(Conflict):
    code = "birth_date_locked"
    message = _l("Your birth date is already recorded. Ask your community worker to correct it.")
