"""Hostile input is refused at the boundary, once, before any view sees it.

- Text: NUL and other control characters (tab, newline and carriage return excepted),
  lone surrogates, bidirectional overrides and the non-characters U+FFFE/U+FFFF are
  refused in the path, the query string, form fields, file names and every JSON string
  and key. PostgreSQL cannot store NUL, Excel files cannot hold control characters, and a
  lone surrogate cannot be encoded at all: each used to surface as a 500 somewhere deep.
- JSON: strictly UTF-8 (a BOM allowed), at most MAX_JSON_BYTES, nested at most
  MAX_DEPTH levels, each key once per object, numbers of bounded length parsed as Decimal
  or int (never float), no NaN or Infinity. Parsed once per request and cached.
- Size: MAX_CONTENT_LENGTH for every body (Flask answers 413), smaller for JSON.

A refusal names the fields that held such text. A page's form is not answered with a bare
error page, which would lose what the person typed: the boundary takes the characters out
of its fields and notes which they were, and the view runs with the cleaned form. Its
first read of the form (server.core.pages.load_form) refuses it as a field error, so the
view's ordinary form-error path shows the form again, cleaned, with the message beside
each field. A view that never read the form that way is refused afterwards as before, its
work rolled back (refuse_unread): the characters never reach a service unannounced.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict

from server.core.errors import TooLarge, WusheError

MAX_DEPTH = 32
# a JSON number longer than this is nobody's amount or count; refused before it is
# parsed, since Decimal("1e1000000") would later become a million-digit integer
NUMBER_CHARS = 40
# and the bidirectional embeddings and overrides: they make text read in another order
# than it is stored ("Trojan Source"). The marks (U+200E/F) and isolates (U+2066-2069,
# which messaging apps put around a name copied from them) stay; names drop them
# (server.core.fields.visible)
BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff"
                       "\u202a-\u202e]")
_UNSET = object()


class InvalidCharacters(WusheError):
    code = "invalid_characters"
    message = _l("The text contains characters that cannot be stored (control characters "
                 "or broken ones). Remove them and try again.")


class CharactersRemoved(InvalidCharacters):
    """A page's form held such characters: they were taken out of the fields named, which
    the form shows again (the same code; a field error, as a schema's)."""
    status = 422
    message = _l("Some text held characters that cannot be stored (control characters, "
                 "which text pasted from Word or Excel can carry): nothing was saved. Check "
                 "the text and send it again.")


class InvalidJson(WusheError):
    code = "invalid_json"
    message = _l("What was sent is not valid JSON (UTF-8, numbers of reasonable size). "
                 "Check the request body.")


class DuplicateKey(WusheError):
    code = "duplicate_key"
    message = _l("A field was sent twice. Send each field once.")


class UnreadableForm(WusheError):
    code = "unreadable_form"
    message = _l("The form could not be read (a file name or text that is not UTF-8). "
                 "Rename the file with ordinary letters and send it again.")


class TooDeep(WusheError):
    code = "too_deep"
    message = _l("What was sent is nested too deeply.")


def check_text(value: str, where: str | None = None) -> str:
    if BAD_CHARS.search(value):
        raise InvalidCharacters(errors={where: ["characters"]} if where else None)
    return value


def _number(text: str, kind):
    if len(text) > NUMBER_CHARS:
        raise InvalidJson()
    value = kind(text)
    if isinstance(value, Decimal) and abs(value.adjusted()) > NUMBER_CHARS:
        raise InvalidJson()
    return value


def _refuse_constant(name: str):
    raise InvalidJson()


def _object(pairs: list[tuple[str, Any]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(errors={key: ["invalid"]})
        result[key] = value
    return result


def _screen(value: Any) -> None:
    """Depth and text of a parsed document, without recursion. The refusal names each
    field that held such text by its path ("title", "lines.0.note"); a key that holds it
    is named by the object it is in."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    bad: list[str] = []
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            if BAD_CHARS.search(item):
                bad.append(path)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise TooDeep()
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and BAD_CHARS.search(key):
                    bad.append(path)
                    continue
                stack.append((child, depth + 1, f"{path}.{key}" if path else str(key)))
    if bad:
        raise InvalidCharacters(errors={p: ["characters"] for p in sorted(set(bad)) if p})


def parse_json(raw: bytes) -> Any:
    if len(raw) > current_app.config["MAX_JSON_BYTES"]:
        raise TooLarge()
    try:
        text = raw.decode("utf-8-sig")
        document = json.loads(text, object_pairs_hook=_object,
                              parse_float=lambda t: _number(t, Decimal),
                              parse_int=lambda t: _number(t, int),
                              parse_constant=_refuse_constant)
    except RecursionError:
        raise TooDeep() from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidJson() from None
    _screen(document)
    return document


def json_body(*, silent: bool = False) -> Any:
    """The request's JSON document, checked once and cached; None when there is none.
    silent: None instead of an error (for code that only peeks, like rate-limit keys)."""
    cached = g.get("_wushe_json", _UNSET)
    if cached is _UNSET:
        try:
            if not request.is_json:
                cached = None
            else:
                length = request.content_length
                if length is not None and length > current_app.config["MAX_JSON_BYTES"]:
                    raise TooLarge()
                cached = parse_json(request.get_data(cache=True))
        except WusheError as exc:
            cached = exc
        g._wushe_json = cached
    if isinstance(cached, WusheError):
        if silent:
            return None
        raise cached
    return cached


def _screen_request() -> None:
    check_text(request.path)
    for key, values in request.args.lists():
        check_text(key)
        for value in values:
            check_text(value, key)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if request.mimetype == "multipart/form-data" and request.content_length and not (
                request.form or request.files):
            # werkzeug drops a whole multipart body it cannot decode; without this the
            # person would be told their session expired (the CSRF token went with it)
            raise UnreadableForm()
        bad = []
        for key, values in request.form.lists():
            check_text(key)
            if any(BAD_CHARS.search(value) for value in values):
                bad.append(key)
        for key, upload in request.files.items(multi=True):
            check_text(key)
            check_text(upload.filename or "", key)
        if bad:
            _clean_page_form(bad)


def _clean_page_form(fields: list[str]) -> None:
    """A page's form: the characters out, the fields noted for the view's first read of
    the form to refuse (module docstring). An API client is refused here and now."""
    from server.core.http import wants_json  # which imports this module
    if wants_json():
        raise InvalidCharacters(errors={name: ["characters"] for name in fields})
    request.form = ImmutableMultiDict(
        [(key, BAD_CHARS.sub("", value)) for key, values in request.form.lists()
         for value in values])
    request.__dict__.pop("values", None)  # args and form together, read again from these
    g._wushe_bad_fields = fields
    g._wushe_bad_read = False
    g._wushe_session = copy.deepcopy(dict(session))  # a flash appends to a list in it


def refuse_cleaned_form() -> None:
    """The view reads its form: if the boundary cleaned it, that is a field error."""
    fields = g.get("_wushe_bad_fields")
    if fields:
        g._wushe_bad_read = True
        raise CharactersRemoved(errors={name: ["characters_removed"] for name in fields})


def refuse_unread() -> None:
    """After the view, before its work commits: a cleaned form the view never read through
    load_form is refused as it was sent, the work rolled back by the caller and the
    session (a login, a logout, its messages) as it was before the view."""
    fields = g.get("_wushe_bad_fields")
    if fields and not g.get("_wushe_bad_read"):
        session.clear()
        session.update(g._wushe_session)
        raise InvalidCharacters(errors={name: ["characters"] for name in fields})


def register(app: Flask) -> None:
    # first of all the hooks: nothing else reads a request that holds such text
    app.before_request_funcs.setdefault(None, []).insert(0, _screen_request)
