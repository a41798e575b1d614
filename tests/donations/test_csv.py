"""The public ledger as CSV: opens in Excel, exact amounts, consent and masking, no formulas."""

from __future__ import annotations

import csv
import io

import pytest
from flask_babel import force_locale

from server.donations.services import csv_export, distribute, intake
from server.donations.vocab import CATEGORY, LEDGER_KIND, UNIT

HEADER_EN = ["No.", "Date", "Kind", "Category", "Item", "Quantity", "Not accepted", "Unit",
             "Cash amount (yuan)", "In-kind value (yuan)", "Purpose", "Donor", "Recipient",
             "Note", "Reversal of No."]


def _download(client, fund, lang="en"):
    resp = client.get(f"/api/v1/funds/{fund.id}/ledger.csv?lang={lang}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp


def _rows(resp) -> list[dict[str, str]]:
    text = resp.get_data().decode("utf-8-sig")
    head, *body = list(csv.reader(io.StringIO(text)))
    return [dict(zip(head, r, strict=True)) for r in body]


def test_the_download_opens_in_excel(client, make_fund, pledge_money, receive):
    fund, coordinator = make_fund()
    receive(pledge_money(fund, "50.10", display="surname", title="ms"), coordinator,
            amount="50.10")
    resp = _download(client, fund)
    assert resp.mimetype == "text/csv" and resp.mimetype_params["charset"] == "utf-8"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    data = resp.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel this is UTF-8
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[0] == HEADER_EN
    [row] = _rows(resp)
    assert (row["Kind"], row["Cash amount (yuan)"], row["In-kind value (yuan)"],
            row["Donor"], row["Reversal of No."]) == (
        "Donation received", "50.10", "", "王女士", "")
    assert len(row["Date"]) == 10 and row["Date"][4] == "-"  # ISO day: 2026-11-05


def test_chinese_first(app, client, make_fund, pledge_goods, receive):
    fund, coordinator = make_fund()
    receive(pledge_goods(fund, 5), coordinator, accepted=5)
    resp = client.get(f"/api/v1/funds/{fund.id}/ledger.csv")  # no language asked for
    head, row = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    with force_locale("zh_CN"):
        assert head == csv_export.header()
        assert row[2:8] == [str(LEDGER_KIND["goods_in"]), str(CATEGORY["picture_books"]),
                            "儿童绘本", "5", "", str(UNIT["book"])]


@pytest.mark.parametrize(("display", "extra", "shown"), [
    ("anonymous", {}, "Anonymous"),
    ("surname", {"title": "mr"}, "王先生"),
    ("full_name", {}, "王小红"),
    ("organisation", {"donor_org": "红星商贸公司"}, "红星商贸公司"),
])
def test_donors_appear_only_as_they_consented(client, make_fund, make_user, pledge_money,
                                              receive, display, extra, shown):
    fund, coordinator = make_fund()
    donor = make_user(name="王小红", phone="13812345678")
    receive(pledge_money(fund, "20.00", donor=donor, display=display, **extra), coordinator,
            amount="20.00")
    resp = _download(client, fund)
    [row] = _rows(resp)
    assert row["Donor"] == shown
    text = resp.get_data().decode("utf-8-sig")
    assert "5678" not in text
    if display != "full_name":
        assert "王小红" not in text


def test_amounts_are_exact_and_reversals_stay_numbers(client, make_fund, pledge_money,
                                                     pledge_goods, receive, now):
    fund, coordinator = make_fund()
    got = receive(pledge_money(fund, "50.10"), coordinator, amount="50.10")
    intake.reverse(got, actor=coordinator, reason="录错了", now=now)
    receive(pledge_goods(fund, 3), coordinator, accepted=3, unit_value="33.33")
    rows = _rows(_download(client, fund))
    assert [(r["Kind"], r["Cash amount (yuan)"], r["In-kind value (yuan)"], r["Quantity"])
            for r in rows] == [("Goods received", "", "99.99", "3"),
                               ("Donation received", "-50.10", "", ""),
                               ("Donation received", "50.10", "", "")]
    reversal, original = rows[1], rows[2]
    assert reversal["Reversal of No."] == original["No."]
    assert reversal["Note"] == "录错了"
    assert (rows[0]["Category"], rows[0]["Unit"], rows[0]["Item"]) == (
        "Children's picture books", "book(s)", "儿童绘本")


def test_households_are_masked(client, make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    receive(pledge_money(fund, "500.00"), coordinator, amount="500.00")
    distribute.distribute(fund.id, {
        "kind": "money", "amount": "300.00", "recipient_kind": "household",
        "recipient_name": "张三丰", "decision_ref": "〔2026〕3号", "purpose": "大病救助",
        "signed_by": "张三丰"}, actor=coordinator, now=now)
    resp = _download(client, fund)
    payout = _rows(resp)[0]
    assert (payout["Kind"], payout["Cash amount (yuan)"], payout["Recipient"],
            payout["Purpose"]) == ("Payout", "-300.00", "张**家", "大病救助")
    assert "张三丰" not in resp.get_data().decode("utf-8-sig")


def test_text_cannot_become_a_formula(client, make_fund, pledge_goods, receive, now):
    fund, coordinator = make_fund()
    evil = '=HYPERLINK("http://evil.example","点我")'
    receive(pledge_goods(fund, 4, item=evil, display="organisation", donor_org="@SUM(A1:A9)"),
            coordinator, accepted=4)
    given = distribute.distribute(fund.id, {
        "kind": "goods", "recipient_kind": "organisation", "recipient_name": "+白玉县小学",
        "purpose": "=1+1", "signed_by": "张老师",
        "lines": [{"category": "picture_books", "item": evil, "unit": "book", "quantity": 1}]},
        actor=coordinator, now=now)
    distribute.reverse(given, actor=coordinator, reason="-2+3", now=now)
    back, out, came_in = _rows(_download(client, fund))
    assert (came_in["Item"], came_in["Donor"]) == ("'" + evil, "'@SUM(A1:A9)")
    assert (out["Purpose"], out["Recipient"]) == ("'=1+1", "'+白玉县小学")
    assert back["Note"] == "'-2+3"
    # numbers keep their minus sign: they are amounts, not text
    assert (out["Quantity"], out["In-kind value (yuan)"]) == ("-1", "-10.00")
    assert (back["Quantity"], back["In-kind value (yuan)"]) == ("1", "10.00")


@pytest.mark.parametrize(("text", "safe"), [
    ("=1+2", "'=1+2"), ("+86", "'+86"), ("-x", "'-x"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
    ("王女士", "王女士"), ("", ""), (None, ""), ("a=b", "a=b"),
])
def test_safe_text(text, safe):
    assert csv_export.safe_text(text) == safe


def test_a_long_ledger_is_streamed_in_chunks(client, make_fund, pledge_money, receive,
                                             monkeypatch):
    monkeypatch.setattr(csv_export, "CHUNK", 3)
    fund, coordinator = make_fund()
    for i in range(1, 8):  # all on the same day: the chunks must not skip or repeat rows
        receive(pledge_money(fund, f"{i}.00"), coordinator, amount=f"{i}.00")
    resp = client.get(f"/api/v1/funds/{fund.id}/ledger.csv?lang=en", buffered=False)
    assert resp.is_streamed
    rows = _rows(resp)
    assert len(resp.response) == 3  # the chunks as sent: 3 + 3 + 1 rows
    assert [r["Cash amount (yuan)"] for r in rows] == [f"{i}.00" for i in range(7, 0, -1)]


def test_unknown_fund(client):
    resp = client.get("/api/v1/funds/999999/ledger.csv")
    assert resp.status_code == 404 and resp.get_json()["code"] == "fund_not_found"
