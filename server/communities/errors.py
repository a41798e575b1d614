from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, NotFound, ValidationError


class NodeNotFound(NotFound):
    code = "node_not_found"
    message = _l("This place is not in the community tree.")


class BadParent(ValidationError):
    code = "bad_parent"
    field = "parent_id"
    message = _l("A district sits at the top, streets and towns under a district, "
                 "communities and villages under a street or town.")


class NameTaken(Conflict):
    code = "name_taken"
    field = "name"
    message = _l("Another entry here already has this name.")


class OrganisationNotFound(NotFound):
    code = "organisation_not_found"
    message = _l("This organisation does not exist.")


class NodeInUse(Conflict):
    code = "node_in_use"
    message = _l("This place still has places, organisations or people under it.")


class UnknownKind(ValidationError):
    code = "unknown_kind"
    field = "kind"
    message = _l("Choose a kind from the list.")


class InvalidContactPhone(ValidationError):
    code = "invalid_contact_phone"
    field = "contact_phone"
    message = _l("Enter a mobile number of 11 digits, or a landline with its area code, "
                 "e.g. 010-12345678.")
