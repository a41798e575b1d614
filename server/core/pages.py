"""What every page view needs: read a form through a schema, turn a refusal into
text next to the form, and redirect only inside the site.

Forms send strings; schemas expect types. A blank box means "nothing": None where
the field allows it, "" for text, and otherwise it is left out so that defaults
and "required" apply. Unticked checkboxes are absent from a form, so a Boolean or List field the
form carries but did not send is False or [].
"""

from __future__ import annotations

from urllib.parse import urlsplit

import marshmallow as ma
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from server.core import boundary, errors
from server.extensions import db


class DuplicateField(errors.ValidationError):
    code = "duplicate_field"
    message = _l("A field was sent twice. Send the form again from the page.")


# Errors a person can fix on the form they just sent; others go to the error page.
FORM_ERRORS = (ma.ValidationError, errors.ValidationError, errors.Conflict,
               boundary.CharactersRemoved)


# what a page never writes back into itself, whatever sent it back: any password, an ID
# number (身份证), an SMS code; a form holding one is filled in again
SECRET_FIELDS = frozenset({"id_number", "code"})


def is_secret(name: str) -> bool:
    return name in SECRET_FIELDS or "password" in name.lower()


def kept_values(form: MultiDict) -> dict:
    """A refused form's values to show again, secrets left out (SECRET_FIELDS)."""
    return {k: v for k, v in form.items() if not is_secret(k)}


def me():
    """The logged-in person as a plain object (services compare ids, not proxies)."""
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(default: str) -> str:
    """A `next` target on this site only (no //host or scheme: no open redirect)."""
    raw = request.values.get("next") or ""
    # browsers drop tabs and newlines inside URLs: "/\t/evil.org" would become "//evil.org"
    target = "".join(ch for ch in raw if ch >= " " and ch != "\x7f").strip()
    parts = urlsplit(target)
    if (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not parts.scheme and not parts.netloc):
        return target
    return default


def form_input(schema: ma.Schema, source: MultiDict | None = None, *,
               strict: bool = True) -> dict:
    """The raw form, shaped for `schema`: only its fields, blanks and checkboxes resolved.
    strict: a field sent twice is refused (forms); filters in a URL take the first."""
    source = request.form if source is None else source
    if strict:
        # the boundary took characters that cannot be stored out of this form: said beside
        # the fields, the form shown again as it now is (server.core.boundary)
        boundary.refuse_cleaned_form()
    data: dict = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        if strict and not isinstance(field, ma.fields.List) and len(source.getlist(name)) > 1:
            # one box, two values: which one the person meant is anybody's guess
            raise DuplicateField(errors={name: ["invalid"]})
        if isinstance(field, ma.fields.List):
            data[name] = [v for v in source.getlist(name) if v.strip()]
        elif isinstance(field, ma.fields.Boolean):
            data[name] = source.get(name, "") not in ("", "0", "false", "off")
        elif name not in source:
            continue
        elif source.get(name, "").strip() == "":
            if field.allow_none:
                data[name] = None
            elif isinstance(field, ma.fields.String):
                data[name] = ""  # a cleared text; Length(min=1) speaks if it is required
        else:
            data[name] = source.get(name)
    return data


def load_form(schema: ma.Schema, source: MultiDict | None = None) -> dict:
    return schema.load(form_input(schema, source), unknown=ma.EXCLUDE)


def load_args(schema: ma.Schema) -> dict:
    """Query-string filters: a value that does not parse is ignored, not an error."""
    data = form_input(schema, request.args, strict=False)
    try:
        return schema.load(data, unknown=ma.EXCLUDE)
    except ma.ValidationError as exc:
        for name in exc.messages:
            data.pop(name, None)
        return schema.load(data, unknown=ma.EXCLUDE)


def problem(exc: Exception) -> tuple[str, dict, int]:
    """(message, {field: [texts]}, status) for re-rendering a form after `exc`.

    Rolls back first: the service may have flushed part of its work before it said no,
    and the page re-rendered next must not show (or a redirect commit) half of it. A
    refusal declared `keeps_work` (a wrong SMS code counts as a try) commits instead.
    Schema messages are ours and translated (server.core.messages); a refusal's field
    comes from its declaration (server.core.errors). A refusal that a concurrent change
    caused (`retry`, as a deadlock) is not the person's to fix: it goes on to the unit of
    work, which runs the view again, as it does for the API.
    """
    if getattr(exc, "retry", False):
        raise exc
    if getattr(exc, "keeps_work", False):
        db.session.commit()
    else:
        db.session.rollback()
    if isinstance(exc, ma.ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return (_("Some fields need your attention."),
                errors.field_texts(messages, errors.REASONS["invalid"]), 422)
    message = exc.text()
    return message, errors.field_texts(exc.errors, message), exc.status
