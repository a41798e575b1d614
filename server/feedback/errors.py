"""What can go wrong with feedback."""

from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, Forbidden, NotFound


class FeedbackNotYet(Conflict):
    code = "feedback_not_yet"
    message = _l("You can rate this activity once it has ended.")


class FeedbackNotOpen(Conflict):
    code = "feedback_not_open"
    message = _l("This activity did not take place, so there is nothing to rate.")


class FeedbackNotAttended(Forbidden):
    code = "feedback_not_attended"
    message = _l("Only people who took part in this activity (checked in, or with "
                 "recorded hours) can rate it.")


class FeedbackClosed(Conflict):
    code = "feedback_closed"
    message = _l("Feedback for this activity has closed.")


class FeedbackLocked(Conflict):
    code = "feedback_locked"
    message = _l("Your feedback can no longer be changed: changes are possible for "
                 "%(days)s days after you give it.")


class FeedbackNotFound(NotFound):
    code = "feedback_not_found"
    message = _l("You have not rated this activity yet.")
