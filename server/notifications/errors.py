from flask_babel import lazy_gettext as _l

from server.core.errors import NotFound, ValidationError


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    message = _l("This message does not exist.")


class UnknownChoice(ValidationError):
    code = "unknown_notification_choice"
    message = _l("Choose among the kinds of message and the channels offered.")
