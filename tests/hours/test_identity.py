"""Identity documents for certificates: checked, encrypted at rest, shown masked."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.accounts import identity
from server.core.errors import ValidationError
from server.extensions import db

# GB 11643's own examples, and one built here
VALID = ("11010519491231002X", "440524188001010014")


def _with_check(first17: str) -> str:
    return first17 + identity.check_character(first17)


@pytest.mark.parametrize("number", VALID)
def test_check_digit_of_known_numbers(number):
    assert identity.check_character(number[:17]) == number[17]


def test_a_valid_number_passes():
    assert identity.validate("resident_id", VALID[0]) == VALID[0]
    built = _with_check("32058319981124301")
    assert identity.validate("resident_id", built) == built


def test_every_wrong_check_digit_is_refused():
    first17 = "11010520000101123"
    good = _with_check(first17)
    for ch in "0123456789X":
        if ch != good[-1]:
            with pytest.raises(ValidationError) as exc:
                identity.validate("resident_id", first17 + ch)
            assert exc.value.code == "invalid_id_number"


@pytest.mark.parametrize("number", [
    _with_check("11010520000230123"),  # 30 February
    _with_check("99010520000101123"),  # no such province
    _with_check("11010518000101123"),  # born before 1900
    "1101052000010112",                # too short
    "11010520000101123Y",
])
def test_malformed_resident_ids_are_refused(number):
    with pytest.raises(ValidationError) as exc:
        identity.validate("resident_id", number)
    assert exc.value.code == "invalid_id_number"


def test_input_is_normalised():
    # a lower-case x, spaces and full-width digits from a Chinese keyboard
    assert identity.validate("resident_id", " 110105 1949 1231 002x ") == "11010519491231002X"
    assert identity.validate("resident_id", "１１０１０５１９４９１２３１００２Ｘ") == (
        "11010519491231002X")


def test_other_documents_get_a_looser_check():
    assert identity.validate("hk_macao_permit", "h12345678") == "H12345678"
    assert identity.validate("hk_macao_permit", "M1234567890") == "M1234567890"
    assert identity.validate("passport", "E12345678") == "E12345678"
    for id_type, bad in (("hk_macao_permit", "X12345678"), ("hk_macao_permit", "H123"),
                         ("passport", "E1"), ("passport", "护照12345")):
        with pytest.raises(ValidationError) as exc:
            identity.validate(id_type, bad)
        assert exc.value.code == "invalid_id_number"
    with pytest.raises(ValidationError) as exc:
        identity.validate("driving_licence", "E12345678")
    assert exc.value.code == "unknown_id_type"


def test_masking():
    assert identity.mask("11010519491231002X") == "110***********002X"
    assert identity.mask("110105194912311234") == "110***********1234"
    assert identity.mask("H12345678") == "H******78"
    assert identity.mask("") == ""


def test_the_number_is_encrypted_at_rest(make_user, now):
    user = make_user(name="李小梅")
    identity.set_identity(user, id_type="resident_id", id_number="11010519491231002X", now=now)
    db.session.flush()
    stored = db.session.execute(text("SELECT id_type, id_number_encrypted FROM users "
                                     "WHERE id = :id"), {"id": user.id}).one()
    assert stored.id_type == "resident_id"
    assert "11010519491231002X" not in stored.id_number_encrypted
    assert "19491231" not in stored.id_number_encrypted
    assert identity.decrypt(stored.id_number_encrypted) == "11010519491231002X"
    assert identity.masked_number(user) == "110***********002X"
    assert identity.has_identity(user)


def test_another_secret_cannot_read_it(app, make_user, now):
    user = make_user()
    identity.set_identity(user, id_type="passport", id_number="E12345678", now=now)
    token = user.id_number_encrypted
    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret"
    try:
        assert identity.decrypt(token) is None
    finally:
        app.config["SECRET_KEY"] = old
    assert identity.decrypt(token) == "E12345678"


def test_an_invalid_number_is_not_stored(make_user, now):
    user = make_user()
    with pytest.raises(ValidationError):
        identity.set_identity(user, id_type="resident_id", id_number="110105194912310021",
                              now=now)
    assert user.id_number_encrypted is None and user.id_type is None
