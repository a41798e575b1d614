"""Rotating SECRET_KEY: the new one signs and encrypts, the old ones (SECRET_KEY_FALLBACKS)
still verify and decrypt what they made, and `flask keys rotate` moves the stored ID numbers
to the new one. Each check is also made without the fallback, to show it would fail."""

from __future__ import annotations

import pytest

from server.accounts import identity
from server.checkin import codes
from server.extensions import db
from server.hours import certificates as certs
from server.settings import SettingsError, load_settings
from tests.hours.test_certificates import ID_NUMBER, _issued, w  # noqa: F401 - the fixture
from tests.pages import login, text

# the tests' own key is the old one (fixtures encrypt with it); the new one replaces it
OLD, NEW = "testing-secret", "n" * 40


@pytest.fixture
def keys_as(app):
    saved = app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"]
    assert saved == (OLD, [])

    def use(current: str, *fallbacks: str) -> None:
        app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = current, list(fallbacks)
    yield use
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = saved


def test_a_certificate_issued_before_the_rotation_still_verifies(w, keys_as):  # noqa: F811
    keys_as(OLD)
    cert = _issued(w)
    pdf = certs.pdf_bytes(cert)
    keys_as(NEW, OLD)
    assert certs.verify(cert.number, cert.signature).status == "valid"
    assert certs.verify_pdf(pdf).status == "valid"
    assert certs.pdf_bytes(cert) == pdf  # re-rendered byte for byte
    keys_as(NEW)  # the old key dropped: nothing vouches for it any more
    assert certs.verify(cert.number, cert.signature).status == "invalid"


def test_new_certificates_are_signed_with_the_new_key(w, keys_as):  # noqa: F811
    keys_as(NEW, OLD)
    cert = _issued(w)
    keys_as(NEW)
    assert certs.verify(cert.number, cert.signature).status == "valid"


def test_id_numbers_read_through_the_rotation_and_move_to_the_new_key(w, keys_as, app,  # noqa: F811
                                                                      now):
    keys_as(OLD)
    identity.set_identity(w.volunteer, id_type="resident_id", id_number=ID_NUMBER, now=now)
    db.session.commit()
    keys_as(NEW, OLD)
    assert identity.decrypt(w.volunteer.id_number_encrypted) == ID_NUMBER
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 ID numbers" in result.output
    db.session.expire_all()
    keys_as(NEW)  # once rotated, the old key is not needed to read it
    assert identity.decrypt(w.volunteer.id_number_encrypted) == ID_NUMBER
    again = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert "re-encrypted 0 ID numbers; 1 were already under the current key" in again.output


def test_a_number_no_key_reads_is_reported(w, keys_as, app, now):  # noqa: F811
    keys_as(OLD)
    identity.set_identity(w.volunteer, id_type="resident_id", id_number=ID_NUMBER, now=now)
    db.session.commit()
    keys_as(NEW)  # the old secret is lost
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code != 0 and "1 could not be read by any key" in result.output


def test_a_printed_venue_poster_keeps_working(app, keys_as, make_activity, now):
    activity = make_activity()
    keys_as(OLD)
    poster = codes.poster_mac(activity.id)
    keys_as(NEW, OLD)
    assert codes.check_venue(activity.id, "poster", poster, now=now) is None
    assert codes.poster_mac(activity.id) != poster  # new posters carry the new key
    keys_as(NEW)
    assert codes.check_venue(activity.id, "poster", poster, now=now) == "invalid_code"


def test_a_login_survives_the_rotation(client, make_user, keys_as):
    keys_as(OLD)
    person = make_user(name="李秀英")
    login(client, person)
    keys_as(NEW, OLD)
    assert "李秀英" in text(client.get("/me"))


def test_production_refuses_a_weak_or_repeated_fallback():
    base = {"WUSHE_ENV": "production", "SECRET_KEY": NEW,
            "DATABASE_URL": "postgresql://x@localhost/y"}
    old = "o" * 40
    assert load_settings(environ={**base, "SECRET_KEY_FALLBACKS": f'["{old}"]'})[
        "SECRET_KEY_FALLBACKS"] == [old]
    for bad in ('["short"]', f'["{NEW}"]'):
        with pytest.raises(SettingsError):
            load_settings(environ={**base, "SECRET_KEY_FALLBACKS": bad})
