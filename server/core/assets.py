"""Static files the way phones need them, in the embedded server as behind nginx.

web/build.mjs writes every asset twice, under its own name and under a content-hashed one
(app.3f2a1c9b0d.css, listed in static/manifest.json), each with .br and .gz twins. Pages
link the hashed names (url_for('static', filename='dist/app.css') is rewritten here), and
those are sent with a year of immutable caching: a phone asks for them once per release.
Files asked for by their plain name (the service worker, the decoder's .wasm) are
revalidated instead (no-cache, with an ETag). Either way the compressed twin goes to a
browser that accepts it. HTML and JSON are compressed as they are made (Flask-Compress).

/sw.js is the service worker (web/src/sw.js), at the root so that it may look after the
scanner and 我的码 pages; /manifest.webmanifest lets a phone add Wushe to its home screen.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from flask import Flask, Response, current_app, request, send_from_directory
from flask_compress import Compress

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# what the build compresses, and so what may have a .br or .gz twin
COMPRESSED_TYPES = {".css", ".js", ".json", ".svg", ".wasm", ".map", ".txt", ".html"}
mimetypes.add_type("image/svg+xml", ".svg")
compress = Compress()


def _manifest(app: Flask) -> dict[str, str]:
    path = Path(app.static_folder) / "manifest.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # assets not built yet (`make assets`): plain names, still served


def _encoding(filename: str) -> str | None:
    """The twin to send: brotli if the browser takes it, else gzip, if the build made it."""
    if Path(filename).suffix not in COMPRESSED_TYPES:
        return None
    accepted = request.accept_encodings
    folder = Path(current_app.static_folder)
    for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
        if accepted[encoding] and (folder / (filename + suffix)).is_file():
            return encoding
    return None


def send_static(filename: str) -> Response:
    hashed = filename in current_app.extensions["wushe_hashed"]
    encoding = _encoding(filename)
    suffix = {"br": ".br", "gzip": ".gz"}.get(encoding or "", "")
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if filename.endswith(".wasm"):
        mimetype = "application/wasm"
    response = send_from_directory(current_app.static_folder, filename + suffix,
                                   mimetype=mimetype, max_age=None, conditional=True)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    # a file the page loads needs no name to save it under (send_file's would end in .br);
    # a hashed one is never revalidated, so its date is bytes on every first visit
    del response.headers["Content-Disposition"]
    if hashed:
        del response.headers["Last-Modified"]
    if Path(filename).suffix in COMPRESSED_TYPES:
        response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = IMMUTABLE if hashed else REVALIDATE
    return response


def service_worker() -> Response:
    """The service worker, at the root: it may look after any page of the site."""
    response = send_static("dist/sw.js")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = REVALIDATE
    return response


def web_manifest() -> Response:
    """The web app manifest: "add to home screen" opens Wushe like an app."""
    from flask import url_for
    from flask_babel import gettext as _
    body = {
        "name": _("Wushe: volunteering in your community"),
        "short_name": "五社通",
        "lang": "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ededed",
        "theme_color": "#07a150",
        "icons": [{"src": url_for("static", filename="dist/icon.svg"), "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"}],
    }
    response = Response(json.dumps(body, ensure_ascii=False),
                        mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def install(app: Flask) -> None:
    manifest = _manifest(app)
    app.extensions["wushe_manifest"] = manifest
    app.extensions["wushe_hashed"] = frozenset(manifest.values())

    @app.url_defaults
    def _hashed_name(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    app.add_url_rule("/sw.js", "service_worker", service_worker)
    app.add_url_rule("/manifest.webmanifest", "web_manifest", web_manifest)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # a streamed export stays streamed (and small in memory): not compressed here
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/html", "application/json", "text/css", "text/javascript",
        "application/javascript", "text/csv", "image/svg+xml", "application/xml"])
    compress.init_app(app)
