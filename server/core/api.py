"""The /api/v1 surface: flask-smorest, with our error envelope in place of its own."""

from __future__ import annotations

import json
from decimal import Decimal

import marshmallow as ma
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request


class ErrorSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "stable machine-readable code"})
    status = ma.fields.Integer()
    message = ma.fields.String(metadata={"description": "translated, for people"})
    errors = ma.fields.Dict(metadata={"description": "field -> list of messages"})


class Api(_Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # server.core.http registers the single envelope for the whole app
        pass


api = Api()


# a JSON number longer than this is nobody's amount or count; refused before it is parsed,
# since Decimal("1e1000000") would later become a million-digit integer
NUMBER_CHARS = 40


def _number(text: str, kind):
    if len(text) > NUMBER_CHARS:
        raise json.JSONDecodeError("number too long", text, 0)
    value = kind(text)
    if isinstance(value, Decimal) and abs(value.adjusted()) > NUMBER_CHARS:
        raise json.JSONDecodeError("number out of range", text, 0)
    return value


class DecimalParser(FlaskParser):
    """JSON numbers with a fraction become Decimal, never float: a pledge of 50.10 yuan
    stays exactly 50.10. (webargs would use json.loads as it is.) Numbers are bounded in
    length, and a body that is not JSON is a 400 with our envelope."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return webargs_core.missing
        # strictly UTF-8 (a BOM allowed): bytes in another encoding are a 400, not text
        # quietly turned into "�"
        return json.loads(req.get_data(cache=True).decode("utf-8-sig"),
                          parse_float=lambda t: _number(t, Decimal),
                          parse_int=lambda t: _number(t, int),
                          parse_constant=_refuse_constant)


def _refuse_constant(name: str):
    raise json.JSONDecodeError(f"{name} is not a number", name, 0)


class Blueprint(_Blueprint):
    """A flask-smorest blueprint whose JSON arguments never pass through float."""

    ARGUMENTS_PARSER = DecimalParser()

API_SETTINGS = {
    "API_TITLE": "Wushe 五社通 API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    # self-hosted: web/build.mjs copies swagger-ui-dist here; no CDN
    "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
}
