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


@pytest.mark.parametrize(("raw", "message"), [
    ("ture", "SESSION_COOKIE_SECURE must be true or false, not 'ture'"),
    ("yes please", "must be true or false"),
])
def test_a_mistyped_switch_is_refused_not_read_as_off(raw, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ={"WUSHE_SESSION_COOKIE_SECURE": raw})


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("WUSHE_SCHEDULER_TICK_SECONDS", "60s", "must be a whole number, not '60s'"),
    ("WUSHE_SCHEDULER_TICK_SECONDS", "1.5", "must be a whole number"),
    ("WUSHE_STAR_THRESHOLDS_HOURS", "[1, 2", "must be a JSON list"),
    ("WUSHE_STAR_THRESHOLDS_HOURS", '{"a": 1}', "must be a JSON list"),
    ("WUSHE_SCHEDULER_TICK_SECONDS", "0", "SCHEDULER_TICK_SECONDS in environment must be "
                                          "at least 1, not 0"),
    ("WUSHE_EXPORT_POLL_SECONDS", "-3", "at least 1"),
    ("WUSHE_DIGEST_HOUR", "24", "DIGEST_HOUR in environment must be from 0 to 23, not 24"),
    ("WUSHE_ARRIVE_EARLY_MINUTES", "-1", "at least 0"),
])
def test_environment_values_out_of_type_or_range_are_refused(name, raw, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ={name: raw})


@pytest.mark.parametrize(("overrides", "message"), [
    ({"SCHEDULER_TICK_SECONDS": "60"}, "SCHEDULER_TICK_SECONDS in overrides must be int, "
                                       r"not str \('60'\)"),
    ({"SCHEDULER_TICK_SECONDS": 60.0}, "must be int, not float"),
    ({"SESSION_COOKIE_SECURE": 1}, "must be bool, not int"),
    ({"FAMILY_MEMBERS_MAX": True}, "must be int, not bool"),
    ({"LANGUAGES": "zh_CN"}, "must be list, not str"),
    ({"SMTP_PORT": 70000}, "from 1 to 65535"),
    ({"SCHEDULER_BEAT_SECONDS": 15, "SCHEDULER_LEASE_SECONDS": 30},
     "SCHEDULER_BEAT_SECONDS must be under half of SCHEDULER_LEASE_SECONDS"),
])
def test_file_and_override_values_must_have_their_defaults_type_and_range(overrides, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(overrides=overrides, environ={})


def test_a_production_file_with_a_mistyped_value_is_refused(tmp_path):
    own = tmp_path / "wushe.toml"
    own.write_text('SCHEDULER_TICK_SECONDS = "60"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=f"SCHEDULER_TICK_SECONDS in {own} must be int"):
        load_settings(environ={"WUSHE_CONFIG": str(own)})


def test_zero_stays_allowed_where_it_means_none():
    settings = load_settings(environ={"WUSHE_HSTS_MAX_AGE_SECONDS": "0",
                                      "WUSHE_CHECKIN_EXIT_GRACE_MINUTES": "0",
                                      "WUSHE_DIGEST_HOUR": "0",
                                      "WUSHE_SESSION_COOKIE_SECURE": "off"})
    assert settings["HSTS_MAX_AGE_SECONDS"] == 0
    assert settings["CHECKIN_EXIT_GRACE_MINUTES"] == 0
    assert settings["DIGEST_HOUR"] == 0
    assert settings["SESSION_COOKIE_SECURE"] is False
