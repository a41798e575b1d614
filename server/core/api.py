"""The /api/v1 surface: flask-smorest, with our error envelope in place of its own."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
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


class DecimalParser(FlaskParser):
    """Reads JSON bodies through the app's JSON provider (numbers with a fraction become
    Decimal). webargs would use the standard json module, which turns a pledge of 50.10
    into a float before the money field ever sees it."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return webargs_core.missing
        # the same errors as json.loads: webargs answers a broken body with a 400
        return current_app.json.loads(req.get_data(cache=True))


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
