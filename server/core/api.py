"""The /api/v1 surface: flask-smorest, with our error envelope in place of its own."""

from __future__ import annotations

import re

import marshmallow as ma
from flask_login import login_required
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import CombinedMultiDict

from server.core.boundary import json_body
from server.core.errors import UnsupportedMediaType


class ErrorSchema(ma.Schema):
    code = ma.fields.String(metadata={
        "description": "stable machine-readable code: one of the list in the API's "
                       "description"})
    status = ma.fields.Integer()
    message = ma.fields.String(metadata={"description": "translated, for people"})
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                            metadata={"description": "field (dotted path for nested "
                                                     "fields) -> messages for people"})


def _msgid(message) -> str:
    args = getattr(message, "_args", None)
    return str(args[0]) if args else str(message)


def document_errors(api: Api) -> None:
    """Every declared code goes into the document: the Error schema's enum, and a table
    (code, status, field, message) in the description. Call after the domains load."""
    from server.core.errors import declared
    codes = declared()
    api.spec.components.schemas["Error"]["properties"]["code"]["enum"] = list(codes)
    document_answers(api, codes)
    rows = [f"| `{code}` | {cls.status} | {cls.field or ''} | {_msgid(cls.message)} |"
            for code, cls in codes.items()]
    api.spec.options.setdefault("info", {})["description"] = "\n".join([
        "Errors share one envelope `{code, status, message, errors}`; `message` and the "
        "texts in `errors` are in the reader's language (zh_CN by default, `en` with "
        "`?lang=en` or Accept-Language). The codes:", "",
        "| code | status | field | message (English) |", "|---|---|---|---|", *rows])


def decimal_text(self, field, **kwargs) -> dict:
    """A Decimal dumped as text ("12.5") is a string with a decimal in it; apispec calls
    every Decimal a number, which a client would then read wrongly."""
    if isinstance(field, ma.fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal"}
    return {}


# --- the errors each operation documents --------------------------------------------------
# Derived from the views themselves, not written by hand beside each one: 401 where the view
# needs a login, 404 (with the domain's not-found code) where the path names an object.
# Conflicts (409) and refusals (403) depend on the service's rules: the `default` answer
# and the API description's table of codes cover them.

# flask_login wraps every view in one and the same inner function: its code object marks a
# view that needs a login, through any decorators stacked above or below it
_LOGIN_CODE = login_required(lambda: None).__code__
# a path parameter whose name is not its domain's (activity_id -> activity_not_found)
NOT_FOUND_NAMES = {"org": "organisation", "note": "notification", "cert": "certificate",
                   "job": "export", "invitation": "team_invitation",
                   "membership": "team_membership", "figure": "unknown_figure",
                   "code": "reference"}


def needs_login(view) -> bool:
    """Whether the view refuses an anonymous request with login_required: flask_login's
    decorator, or one of ours marked `needs_login = True`."""
    while view is not None:
        if getattr(view, "__code__", None) is _LOGIN_CODE or getattr(view, "needs_login",
                                                                      False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def not_found(*codes: str):
    """For a view whose missing object answers a code its path parameters do not name
    (a node_id whose 404 is stats_place_not_found)."""
    def mark(view):
        view.not_found_codes = codes
        return view
    return mark


def not_found_codes(view, parameters, codes) -> list[str]:
    """The codes a missing object named by these path parameters answers with; none for
    a parameter that names no object (a file format)."""
    while view is not None:
        if getattr(view, "not_found_codes", None):
            return list(view.not_found_codes)
        view = getattr(view, "__wrapped__", None)
    found = []
    for name in parameters:
        if not name.endswith("_id") and name not in NOT_FOUND_NAMES:
            continue
        stem = NOT_FOUND_NAMES.get(name.removesuffix("_id"), name.removesuffix("_id"))
        code = stem if stem in codes else f"{stem}_not_found"
        if code in codes and codes[code].status == 404 and code not in found:
            found.append(code)
    return found


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document_answers(api: Api, codes: dict) -> None:
    """401 and 404 on every operation they apply to, from its view and its path."""
    paths = api.spec._paths  # apispec keeps the document's paths here, as registered
    for rule in api._app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        if path not in paths:
            continue
        view = api._app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = paths[path].get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if needs_login(view):
                responses.setdefault("401", _error("Not logged in: `login_required`."))
            missing = not_found_codes(view, sorted(rule.arguments), codes)
            if missing:
                listed = ", ".join(f"`{code}`" for code in missing)
                responses.setdefault("404", _error(f"Not found: {listed}."))


class Api(_Api):
    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(decimal_text)

    def _register_error_handlers(self):
        # server.core.http registers the single envelope for the whole app
        pass


api = Api()


class DecimalParser(FlaskParser):
    """JSON bodies through the boundary's one parser (server.core.boundary): strict
    UTF-8, no duplicate keys, bounded depth and numbers, and numbers with a fraction as
    Decimal, never float, so a pledge of 50.10 yuan stays exactly 50.10."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[ma.Schema], ma.Schema] = {}

    def _get_schema(self, argmap, req):
        # `@blp.arguments(SomeIn)` passes the class, and webargs would build a new instance
        # (binding every field) on every request: one instance per class instead. A
        # Schema's load keeps no state on the instance (no context in marshmallow 4).
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    # "multipart": a form with files (an upload and the fields beside it), read as one
    # schema and documented as one multipart/form-data body
    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)

    def _raw_load_json(self, req):
        if not is_json_request(req):
            if req.content_length or req.headers.get("Transfer-Encoding"):
                # a body the endpoint would not read: say so, rather than change nothing
                raise UnsupportedMediaType()
            return webargs_core.missing
        return json_body()


class Blueprint(_Blueprint):
    """A flask-smorest blueprint whose JSON arguments never pass through float."""

    ARGUMENTS_PARSER = DecimalParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**_Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "multipart": "multipart/form-data"}

API_SETTINGS = {
    "API_TITLE": "Wushe 五社通 API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    # self-hosted: web/build.mjs copies swagger-ui-dist here; no CDN
    "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
    "OPENAPI_SWAGGER_UI_CONFIG": {"docExpansion": "none"},
}
