"""Application factory: settings → extensions → domains → errors → CLI."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Flask, g, has_request_context, request
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.routing import IntegerConverter

from server.core import assets, boundary, cookies, http, limits, metrics, outbox, security
from server.core.api import API_SETTINGS, api
from server.extensions import babel, csrf, db, limiter, login_manager, migrate
from server.settings import PROJECT_DIR, load_settings

ROOT = Path(PROJECT_DIR)


class DbIdConverter(IntegerConverter):
    """ASCII digits only (werkzeug's \\d would take ١٢ as 12), within the integer column."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


SYNC_KEPT = 2048  # functions whose ensure_sync answer is kept (about 340 views and hooks)


class WusheFlask(Flask):
    """Flask whose views run inside the unit of work (server.core.http), and whose static
    files go out compressed and cached as phones need (server.core.assets)."""

    unit_of_work: http.UnitOfWork

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict = {}  # each hook and view, as ensure_sync answered for it

    def ensure_sync(self, func):
        """Flask asks inspect whether each hook and view is a coroutine function, about a
        dozen times a request; the answer does not change, so it is kept. The hooks and
        views are a fixed set; a function made per request (after_this_request) would be
        a new key each time, so the map starts over past a bound."""
        try:
            known = self._sync.get(func)
        except TypeError:  # a callable that cannot be a key
            return super().ensure_sync(func)
        if known is None:
            if len(self._sync) >= SYNC_KEPT:
                self._sync.clear()
            known = self._sync[func] = super().ensure_sync(func)
        return known

    def dispatch_request(self):
        return self.unit_of_work(super().dispatch_request)

    def preprocess_request(self):
        return self.unit_of_work.before(super().preprocess_request)

    def send_static_file(self, filename: str):
        return assets.send_static(filename)

    def process_response(self, response):
        response = super().process_response(response)
        if request.endpoint in ("static", "service_worker", "web_manifest"):
            # the same file whoever asks: a cache may keep one copy (Flask-Login's look at
            # the session made Flask add Cookie)
            kept = [v for v in response.vary if v.lower() != "cookie"]
            if kept:
                response.headers["Vary"] = ", ".join(kept)
            else:
                response.headers.pop("Vary", None)
        return response


@functools.cache
def _parsed(tag: str) -> Locale:
    """flask-babel parses what the selector returns on every request, unless it is a Locale
    already: each language is parsed once per process (Locale objects are not changed)."""
    return Locale.parse(tag)


def _select_locale() -> Locale:
    from flask import current_app
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and scheduler jobs
        return _parsed(current_app.config["BABEL_DEFAULT_LOCALE"])
    # (the query string parsed only if there is one: a scan has none)
    chosen = (request.args.get("lang") if request.query_string else None) or \
        request.cookies.get("lang")
    if chosen in languages:
        return _parsed(chosen)
    # the person's own language: known already to a view that checked the login itself
    # (a scan, checkin.api), else from the logged-in person
    if "login_locale" in g:
        if g.login_locale in languages:
            return _parsed(g.login_locale)
    elif current_user and current_user.is_authenticated and current_user.locale in languages:
        return _parsed(current_user.locale)
    if _prefers_english(request.headers.get("Accept-Language", "")):
        return _parsed("en")
    return _parsed(current_app.config["BABEL_DEFAULT_LOCALE"])


@functools.lru_cache(maxsize=256)
def _prefers_english(accept_language: str) -> bool:
    """Whether the browser's languages put English before Chinese (zh_CN first: a browser
    saying "zh" or "zh-CN" matches it). Phones send a handful of different headers: each
    is parsed once per process."""
    best = parse_accept_header(accept_language, LanguageAccept).best_match(
        ["zh_CN", "zh", "zh-CN", "en"])
    return bool(best and best.startswith("en"))


def _log_where_gunicorn_logs() -> None:
    """Under gunicorn, the app's warnings (a retried deadlock, say) go to its error log."""
    served = logging.getLogger("gunicorn.error")
    ours = logging.getLogger("server")
    if served.handlers and not ours.handlers:
        ours.handlers = list(served.handlers)
        ours.setLevel(logging.INFO)


def _show_logged_messages(settings: dict[str, Any]) -> None:
    """The logging adapter (development, the demo) writes what would have gone out, an SMS
    code to reset a password say, to the `wushe.outgoing` log: it must reach the console
    (flask run) or gunicorn's error log. Unless logging was set up otherwise (tests do)."""
    if "logging" not in (settings["NOTIFY_SMS"], settings["NOTIFY_WECHAT"],
                         settings["NOTIFY_EMAIL"]):
        return
    outgoing = logging.getLogger("wushe.outgoing")
    if outgoing.handlers or logging.getLogger().handlers:
        return
    outgoing.handlers = list(logging.getLogger("gunicorn.error").handlers) or [
        logging.StreamHandler()]
    outgoing.setLevel(logging.INFO)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    _log_where_gunicorn_logs()
    _show_logged_messages(settings)
    app = WusheFlask("server", template_folder=str(ROOT / "web" / "templates"),
                static_folder=str(ROOT / "static"), static_url_path="/static",
                instance_path=str(ROOT / "instance"))
    # <int:...> in every route: ids beyond the database's integer are simply not found
    app.url_map.converters["int"] = DbIdConverter
    app.config.update(settings)
    app.config.update(API_SETTINGS)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    app.config["SQLALCHEMY_ECHO"] = settings["SQL_ECHO"]
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(
        days=settings["REMEMBER_COOKIE_DURATION_DAYS"])
    # the remember-me cookie opens a login as the session cookie does: the same care
    app.config["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = settings["SESSION_COOKIE_SAMESITE"]
    app.config["WTF_CSRF_HEADERS"] = ["X-CSRFToken", "X-CSRF-Token"]
    app.session_interface = cookies.CheckedOnceSessions()
    if settings["DATABASE_URL"].startswith("sqlite"):
        Path(app.instance_path).mkdir(exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    else:
        # no ping on every checkout (a round trip per request): core.postgres pings a
        # connection that was idle, and connections are renewed hourly
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_recycle": 3600}

    app.wsgi_app = outbox.AfterResponse(app.wsgi_app)  # the work left for after a response
    if settings["PROXY_FIX_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        count = settings["PROXY_FIX_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    db.init_app(app)
    from server.core import postgres, sqlite
    sqlite.install(app)
    postgres.install(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(ROOT / "server" / "translations"))
    csrf.init_app(app)
    limiter.init_app(app)
    limits.only_where_limited(app, limiter)
    login_manager.init_app(app)
    api.init_app(app)

    from server import domains
    domains.register(app, api)
    http.register(app)
    boundary.register(app)
    app.unit_of_work = http.UnitOfWork(app)
    assets.install(app)
    metrics.install(app)
    security.install(app)  # last: it wraps views the others added
    return app
