"""Settings refuse what would be unsafe or mistyped."""

from __future__ import annotations

import pytest

from server.settings import SettingsError, load_settings


def test_defaults_are_for_a_developer_machine():
    settings = load_settings(environ={})
    assert settings["ENV"] == "development"
    assert settings["DATABASE_URL"].startswith("sqlite:////")
    assert settings["BABEL_DEFAULT_LOCALE"] == "zh_CN"


def test_production_refuses_without_its_own_secret_and_database():
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings(environ={"WUSHE_ENV": "production"})
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings(environ={"WUSHE_ENV": "production", "SECRET_KEY": "x" * 40})
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings(environ={"WUSHE_ENV": "production", "SECRET_KEY": "short",
                               "DATABASE_URL": "postgresql://db/wushe"})
    ok = load_settings(environ={"WUSHE_ENV": "production", "SECRET_KEY": "x" * 40,
                                "DATABASE_URL": "postgresql://u@db/wushe"})
    assert ok["DATABASE_URL"] == "postgresql+psycopg://u@db/wushe"


def test_unknown_keys_are_refused():
    with pytest.raises(SettingsError, match="SECRT_KEY"):
        load_settings(overrides={"SECRT_KEY": "typo"}, environ={})


def test_environment_values_are_typed():
    settings = load_settings(environ={"WUSHE_GUARDIAN_CONSENT_AGE": "16",
                                      "WUSHE_STAR_THRESHOLDS_HOURS": "[1, 2, 3, 4, 5]",
                                      "WUSHE_SESSION_COOKIE_SECURE": "true"})
    assert settings["GUARDIAN_CONSENT_AGE"] == 16
    assert settings["STAR_THRESHOLDS_HOURS"] == [1, 2, 3, 4, 5]
    assert settings["SESSION_COOKIE_SECURE"] is True
