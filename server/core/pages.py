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
from flask_babel.speaklater import LazyString
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from server.core import errors
from server.core.fields import Shown
from server.extensions import db

# Errors a person can fix on the form they just sent; others go to the error page.
FORM_ERRORS = (ma.ValidationError, errors.ValidationError, errors.Conflict)

# Stable codes raised without a field: the field the message belongs next to.
CODE_FIELD = {
    "invalid_phone": "phone",
    "phone_taken": "phone",
    "weak_password": "password",
    "consent_required": "accept_privacy",
    "guardian_consent_required": "guardian_name",
    "place_outside_organisation": "node_id",
    "capacity_below_confirmed": "capacity",
    "bad_role": "role",
    "role_exists": "role",
    "name_taken": "name",
    "bad_parent": "parent_id",
}


def _code_texts() -> dict[str, str]:
    return {
        "required": _("This is required."),
        "length": _("This is too long or too short."),
        "range": _("This number is out of range."),
        "future": _("This date cannot be in the future."),
        "past": _("This time has already passed."),
        "after_start": _("The end must come after the start."),
        "window": _("Sign-up must open before it closes, and close by the end."),
        "unknown": _("Choose one of the options."),
    }


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


def form_input(schema: ma.Schema, source: MultiDict | None = None) -> dict:
    """The raw form, shaped for `schema`: only its fields, blanks and checkboxes resolved."""
    source = request.form if source is None else source
    data: dict = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
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
    data = form_input(schema, request.args)
    try:
        return schema.load(data, unknown=ma.EXCLUDE)
    except ma.ValidationError as exc:
        for name in exc.messages:
            data.pop(name, None)
        return schema.load(data, unknown=ma.EXCLUDE)


def _flatten(messages: dict, prefix: str = ""):
    """{"lines": {0: {"quantity": [...]}}} -> ("lines.0.quantity", [...]): nested forms
    (goods lines) get their messages next to the right box."""
    for name, found in messages.items():
        key = f"{prefix}{name}"
        if isinstance(found, dict):
            yield from _flatten(found, key + ".")
        else:
            yield key, found if isinstance(found, list) else [found]


def problem(exc: Exception, extra: dict[str, str] | None = None) -> tuple[str, dict, int]:
    """(message, {field: [texts]}, status) for re-rendering a form after `exc`.

    Rolls back first: the service may have flushed part of its work before it said no,
    and the page re-rendered next must not show (or a redirect commit) half of it.
    """
    db.session.rollback()
    texts = _code_texts()
    fields: dict[str, list[str]] = {}
    if isinstance(exc, ma.ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        for name, found in _flatten(messages):
            missing = any("Missing data" in str(m) for m in found)
            # our own field messages are translated (lazy strings): show them as they are
            ours = [str(m) for m in found if isinstance(m, LazyString | Shown)]
            fields[name] = ([texts["required"]] if missing else ours[:1]
                            or [_("Check this entry.")])
        return _("Some fields need your attention."), fields, 422
    message = exc.text()
    for name, found in (exc.errors or {}).items():
        first = found[0] if isinstance(found, list | tuple) and found else found
        fields[name] = [texts.get(first, message) if isinstance(first, str) else message]
    where = {**CODE_FIELD, **(extra or {})}.get(exc.code)
    if where and where not in fields:
        fields[where] = [message]
    return message, fields, exc.status
