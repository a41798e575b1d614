"""What can go wrong with programmes."""

from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, NotFound


class ProgrammeNotFound(NotFound):
    code = "programme_not_found"
    message = _l("This programme does not exist.")


class ProgrammeNameTaken(Conflict):
    code = "programme_name_taken"
    field = "name"
    message = _l("This organisation already has a programme of this name.")
