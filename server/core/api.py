"""The /api/v1 surface: flask-smorest, with our error envelope in place of its own."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Api as _Api


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
