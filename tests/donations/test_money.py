"""Money is Decimal yuan with two places: parsed strictly, stored and summed exactly on both
engines, shown as ¥1,234.50. A float never gets in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import marshmallow as ma
import pytest
from sqlalchemy import func, select, text

from server.donations.models import Fund
from server.donations.money import Yuan, fmt, yuan
from server.donations.movements import LedgerEntry
from server.donations.services import ledger
from server.extensions import db

# --- yuan() -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (50, "50.00"), ("50.5", "50.50"), (Decimal("50.10"), "50.10"), ("0.01", "0.01"),
    (Decimal("2.675"), "2.68"), ("2.675", "2.68"),  # text and Decimal round alike (half up)
    (Decimal("-20"), "-20.00"),
])
def test_yuan_gives_two_places(value, expected):
    result = yuan(value)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize("value", [50.1, 0.0, 1e3, True, False])
def test_yuan_refuses_floats_and_booleans(value):
    with pytest.raises(TypeError):
        yuan(value)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), "NaN", "-Infinity"])
def test_yuan_refuses_what_is_not_a_finite_amount(value):
    with pytest.raises((ValueError, ArithmeticError)):
        yuan(value)


def test_yuan_refuses_other_types():
    with pytest.raises(TypeError):
        yuan([50])


# --- fmt() ------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, kwargs, expected", [
    (Decimal("1234.5"), {}, "¥1,234.50"),
    (Decimal("-20"), {}, "-¥20.00"),
    (Decimal("0.01"), {}, "¥0.01"),
    (None, {}, "¥0.00"),
    (Decimal("1234567.89"), {}, "¥1,234,567.89"),
    (Decimal("5"), {"sign": True}, "+¥5.00"),
    (Decimal("-5"), {"sign": True}, "-¥5.00"),
    (Decimal("0"), {"sign": True}, "¥0.00"),
])
def test_fmt(amount, kwargs, expected):
    assert fmt(amount, **kwargs) == expected


# --- the Yuan form/JSON field -------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("50", "50.00"), ("50.5", "50.50"), ("1,234.56", "1234.56"), ("1，234.56", "1234.56"),
    ("¥20", "20.00"), (" 88.8 ", "88.80"), (Decimal("50.10"), "50.10"), (50, "50.00"),
    ("10000000.00", "10000000.00"),
])
def test_yuan_field_accepts(value, expected):
    amount = Yuan().deserialize(value)
    assert isinstance(amount, Decimal)
    assert str(amount) == expected


def _refusal(field: Yuan, value) -> str:
    with pytest.raises(ma.ValidationError) as excinfo:
        field.deserialize(value)
    messages = excinfo.value.messages  # a lazy message is kept whole, not in a list
    return str(messages[0] if isinstance(messages, list) else messages)


@pytest.mark.parametrize("value, key", [
    ("1.234", "places"), ("0.001", "places"),
    ("-5", "invalid"), ("abc", "invalid"), ("1e3", "invalid"), ("NaN", "invalid"),
    ("", "invalid"), ("1.2.3", "invalid"), ("+5", "invalid"),
    (Decimal("NaN"), "invalid"), (Decimal("-5"), "invalid"),
    (True, "invalid"), (50.1, "invalid"), (50.0, "invalid"), (None, None), ([50], "invalid"),
    ("0", "positive"), ("0.00", "positive"),
])
def test_yuan_field_refuses(value, key):
    field = Yuan()
    message = _refusal(field, value)
    if key is not None:
        assert message == str(field.error_messages[key])


def test_yuan_field_refuses_more_than_the_maximum_and_says_it():
    field = Yuan(maximum="1000.00")
    assert field.deserialize("1000") == Decimal("1000.00")
    message = _refusal(field, "1000.01")
    assert "¥1,000.00" in message
    assert _refusal(Yuan(), "10000000.01") == _refusal(Yuan(), "99999999")
    # eleven digits and more are an amount too large as well, not "not an amount"
    assert _refusal(Yuan(), "99999999999") == _refusal(Yuan(), "99999999")
    assert _refusal(Yuan(), "１２３４５６７８９０１２.5") == _refusal(Yuan(), "99999999")


def test_yuan_field_may_allow_zero_and_dumps_text():
    assert Yuan(allow_zero=True).deserialize("0") == Decimal("0.00")
    assert Yuan()._serialize(Decimal("5.5"), "amount", None) == "5.50"
    assert Yuan()._serialize(None, "amount", None) is None


# --- stored and summed exactly on both engines ------------------------------------------------

def _entry(fund, amount) -> LedgerEntry:
    if amount < 0:  # the fund never holds less than nothing (ck_fund_balances_cash_held)
        ledger.post(fund.id, "cash_in", on=date(2026, 1, 1),
                    now=datetime(2026, 1, 1, tzinfo=UTC), amount=-amount)
    entry = ledger.post(fund.id, "cash_in", on=date(2026, 1, 1),
                        now=datetime(2026, 1, 1, tzinfo=UTC), amount=amount)
    db.session.flush()
    return entry


@pytest.mark.parametrize("amount", ["0.01", "0.10", "99999999.99", "-20.05", "1234.50"])
def test_round_trip_through_the_database_is_exact(make_fund, amount):
    fund, _ = make_fund()
    entry = _entry(fund, Decimal(amount))
    db.session.expire_all()
    stored = db.session.get(LedgerEntry, entry.id).amount
    assert isinstance(stored, Decimal)
    assert stored == Decimal(amount) and str(stored) == amount


def test_what_the_cells_hold(make_fund):
    """SQLite has no decimal: whole fen there. PostgreSQL: NUMERIC(12,2)."""
    fund, _ = make_fund()
    entry = _entry(fund, Decimal("0.10"))
    raw = db.session.execute(text("SELECT amount FROM ledger_entries WHERE id = :id"),
                             {"id": entry.id}).scalar()
    if db.engine.dialect.name == "sqlite":
        assert raw == 10 and isinstance(raw, int)
    else:
        assert raw == Decimal("0.10") and isinstance(raw, Decimal)


def test_sums_in_sql_are_exact(make_fund):
    fund, _ = make_fund()
    _entry(fund, Decimal("0.10"))
    _entry(fund, Decimal("0.20"))
    total = db.session.scalar(select(func.sum(LedgerEntry.amount))
                              .where(LedgerEntry.fund_id == fund.id))
    assert isinstance(total, Decimal)
    assert total == Decimal("0.30") and str(total) == "0.30"
    assert ledger.cash_balance(fund.id) == Decimal("0.30")
    # a thousand tenths: where binary floats drift, the sum stays exact
    assert sum([0.1] * 1000) != 100.0
    for _ in range(997):
        _entry(fund, Decimal("0.10"))
    assert ledger.cash_balance(fund.id) == Decimal("100.00")


def test_the_largest_stored_amount(make_fund):
    fund, _ = make_fund(target="99999999.99")
    db.session.expire_all()
    assert db.session.get(Fund, fund.id).target_amount == Decimal("99999999.99")


@pytest.mark.parametrize("text, expected", [("1,234.56", "1234.56"), ("12,345", "12345.00"),
                                            ("1，000", "1000.00")])
def test_thousands_separators_where_they_belong(text, expected):

    assert Yuan().deserialize(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["50,5", "1,23", ",100", "1,2345.00"])
def test_a_comma_anywhere_else_is_refused(text):

    with pytest.raises(ma.ValidationError):
        Yuan().deserialize(text)


def test_a_json_number_with_an_exponent_is_its_value():
    """JSON says 1E+3 is 1000: the field reads the number, not how it was written (typed
    text with an exponent, "1e3", is still refused)."""
    from server.donations.money import Yuan
    assert Yuan().deserialize(Decimal("1E+3")) == Decimal("1000.00")
    assert Yuan().deserialize(Decimal("5E-1")) == Decimal("0.50")
