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


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return json.loads(raw)
    return raw


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
                from_env[key] = _coerce(environ[name], settings.get(key, ""))
    layers.append(("environment", from_env))
    layers.append(("overrides", overrides))

    for source, layer in layers:
        unknown = set(layer) - known
        if unknown:
            raise SettingsError(f"unknown setting(s) in {source}: {', '.join(sorted(unknown))}")
        settings.update(layer)
    settings["ENV"] = env_name

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
