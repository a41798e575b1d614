from flask_babel import lazy_gettext as _l

from server.core.errors import NotFound, ValidationError


class PlaceNotFound(NotFound):
    code = "stats_place_not_found"
    message = _l("There are no statistics of this place for you: choose one of your own "
                 "places or a place below them.")


class BadPeriodError(ValidationError):
    code = "bad_period"
    field = "period"
    message = _l("Choose a month (2026-09), a quarter (2026-Q3), a year (2026) or a run of "
                 "months (2026-03..2026-08).")


class BadFigure(NotFound):
    code = "unknown_figure"
    message = _l("There is no such figure to list.")
