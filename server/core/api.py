"""The /api/v1 surface: flask-smorest, with our error envelope in place of its own."""

from __future__ import annotations

import marshmallow as ma
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
