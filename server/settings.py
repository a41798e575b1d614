"""Settings: config/default.toml, then config/<ENV>.toml, then the file WUSHE_CONFIG names
(a deployment's own, e.g. /etc/wushe/wushe.toml), then environment, then overrides.

Unknown keys are refused so that a typo in a production file is an error, not a
silently ignored setting.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
PROJECT_DIR = CONFIG_DIR.parent
# Keys Flask or its extensions understand that default.toml need not list.
EXTRA_KEYS = {"TESTING", "DEBUG", "SERVER_NAME"}
DEV_SECRET = "dev-only-not-secret"


class SettingsError(RuntimeError):
    """The configuration cannot be used."""


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
# intervals something waits or divides by, and limits that refuse everything at 0: at
# least 1 (an int setting not named here may be 0, e.g. no grace, no HSTS)
AT_LEAST_ONE = frozenset({
    "SCHEDULER_TICK_SECONDS", "SCHEDULER_LEASE_SECONDS", "SCHEDULER_BEAT_SECONDS",
    "EXPORT_POLL_SECONDS", "IMPORT_POLL_SECONDS", "ROTATING_CODE_STEP_SECONDS",
    "EXPORT_INLINE_ROWS", "EXPORT_DIRECT_MAX_ROWS", "IMPORT_INLINE_ROWS", "EXPORT_KEEP_HOURS",
    "MAX_CONTENT_LENGTH", "MAX_JSON_BYTES", "PHONE_CODE_MINUTES", "PHONE_CODE_MAX_TRIES",
    "PHONE_CODE_PER_HOUR", "PHONE_CODE_PER_DAY", "PHONE_CODE_PER_ADDRESS_HOUR",
    "LOGIN_SESSION_HOURS", "REMEMBER_COOKIE_DURATION_DAYS", "WTF_CSRF_TIME_LIMIT",
    "NOTIFY_TIMEOUT_SECONDS", "NOTIFY_MAX_ATTEMPTS", "BACKUP_KEEP", "SMTP_PORT"})
HOUR_OF_DAY = frozenset({"DIGEST_HOUR", "PLEDGE_REMINDER_HOUR"})


def _coerce(name: str, raw: str, default: Any) -> Any:
    """An environment variable's text as the setting's type; a value that is not one
    ("ture", "60s", a list that is not JSON) is refused, not read as false or default."""
    if isinstance(default, bool):
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            raise SettingsError(f"{name} must be true or false, not {raw!r}")
        return word in _TRUE
    try:
        if isinstance(default, int):
            return int(raw.strip())
        if isinstance(default, list):
            value = json.loads(raw)
            if not isinstance(value, list):
                raise ValueError("not a list")
            return value
    except ValueError as exc:
        kind = "a whole number" if isinstance(default, int) else "a JSON list"
        raise SettingsError(f"{name} must be {kind}, not {raw!r}") from exc
    return raw


def _check(source: str, layer: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Each value of a file or override has its default's type and a sensible range, so
    that `SCHEDULER_TICK_SECONDS = "60"` or `= 0` stops the start instead of the
    scheduler (a mistyped production file is an error, like an unknown key)."""
    for key, value in layer.items():
        if key not in defaults:
            continue
        default = defaults[key]
        kind = type(default)
        if type(value) is not kind:  # 60.0 or "60" where a whole number goes, too
            raise SettingsError(f"{key} in {source} must be {kind.__name__}, "
                                f"not {type(value).__name__} ({value!r})")
        if kind is not int:
            continue
        low, high = (1, None) if key in AT_LEAST_ONE else (0, None)
        if key in HOUR_OF_DAY:
            high = 23
        if key == "SMTP_PORT":
            high = 65535
        if value < low or (high is not None and value > high):
            limits = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise SettingsError(f"{key} in {source} must be {limits}, not {value!r}")


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL and anchor relative SQLite paths at the project."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        url = prefix + str(PROJECT_DIR / url[len(prefix):])
    return url


def load_settings(overrides: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    settings = _read(CONFIG_DIR / "default.toml")
    defaults = dict(settings)
    known = set(settings) | EXTRA_KEYS

    env_name = overrides.get("ENV") or environ.get("WUSHE_ENV") or settings["ENV"]
    env_file = CONFIG_DIR / f"{env_name}.toml"
    layers: list[tuple[str, dict[str, Any]]] = []
    if env_file.exists():
        layers.append((env_file.name, _read(env_file)))
    # a deployment's own file, outside the release (e.g. /etc/wushe/wushe.toml)
    own = environ.get("WUSHE_CONFIG")
    if own:
        path = Path(own)
        if not path.is_file():
            raise SettingsError(f"WUSHE_CONFIG names {own}, which is not a file")
        layers.append((str(path), _read(path)))

    from_env: dict[str, Any] = {}
    for key in known:
        for name in (f"WUSHE_{key}",
                     key if key in {"DATABASE_URL", "SECRET_KEY", "SECRET_KEY_FALLBACKS"}
                     else None):
            if name and name in environ:
                from_env[key] = _coerce(name, environ[name], settings.get(key, ""))
    layers.append(("environment", from_env))
    layers.append(("overrides", overrides))

    for source, layer in layers:
        unknown = set(layer) - known
        if unknown:
            raise SettingsError(f"unknown setting(s) in {source}: {', '.join(sorted(unknown))}")
        _check(source, layer, defaults)
        settings.update(layer)
    settings["ENV"] = env_name
    if settings["SCHEDULER_BEAT_SECONDS"] * 2 >= settings["SCHEDULER_LEASE_SECONDS"]:
        # the leader renews its lease every beat: one late or missed renewal must not let
        # the lease lapse and another process take over (server.scheduler.runner)
        raise SettingsError("SCHEDULER_BEAT_SECONDS must be under half of "
                            "SCHEDULER_LEASE_SECONDS")

    if env_name == "production":
        explicit = {k for _, layer in layers for k in layer}
        if "SECRET_KEY" not in explicit or settings["SECRET_KEY"] == DEV_SECRET:
            raise SettingsError("production needs its own SECRET_KEY")
        if "DATABASE_URL" not in explicit:
            raise SettingsError("production needs its own DATABASE_URL")
        if len(settings["SECRET_KEY"]) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters in production")
        if any(len(old) < 32 or old == DEV_SECRET for old in settings["SECRET_KEY_FALLBACKS"]):
            raise SettingsError("each of SECRET_KEY_FALLBACKS must be an old production key")
        if settings["SECRET_KEY"] in settings["SECRET_KEY_FALLBACKS"]:
            raise SettingsError("SECRET_KEY is also in SECRET_KEY_FALLBACKS: rotate to a new one")

    settings["DATABASE_URL"] = normalise_database_url(settings["DATABASE_URL"])
    return settings
