"""What can go wrong with an export."""

from flask_babel import lazy_gettext as _l

from server.core.errors import Conflict, NotFound, ValidationError


class ExportNotFound(NotFound):
    code = "export_not_found"
    message = _l("No such export, or it is not yours.")


class UnknownExportKind(ValidationError):
    code = "export_kind_unknown"
    field = "kind"
    message = _l("There is no export of that kind.")


class ExportNotReady(Conflict):
    code = "export_not_ready"
    message = _l("The file is not ready yet: wait until the export has finished.")


class ExportExpired(Conflict):
    code = "export_expired"
    message = _l("This file is no longer kept: ask for the export again.")


class ExportFailed(Conflict):
    code = "export_failed"
    message = _l("The export could not be finished: ask for it again, or choose a shorter "
                 "period or a smaller area.")


class ExportTooLargeForDirect(ValidationError):
    code = "export_too_large_direct"
    message = _l("This export has about %(rows)s rows, too many to wait for: ask for it as a "
                 "background export and download it when it is ready.")


class TooManyExports(Conflict):
    code = "exports_busy"
    message = _l("You already have %(n)s exports waiting: wait until they have finished.")
