"""The donations API: public fund pages and ledger, pledging and my pledges."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from server.donations.models import Pledge
from server.extensions import db
from tests.donations.api_helpers import BOOKS
from tests.donations.api_helpers import counts as _counts
from tests.donations.api_helpers import error as _error
from tests.donations.api_helpers import raw as _raw

# --- public ------------------------------------------------------------------------------------

def test_public_fund_page_works_without_login(as_user, make_fund, pledge_money, pledge_goods,
                                              receive, make_user):
    fund, coordinator = make_fund()
    donor = make_user(name="王小红", phone="13812345678")
    receive(pledge_money(fund, "500.10", donor=donor), coordinator, amount="500.10")
    receive(pledge_goods(fund, 50), coordinator, accepted=48, rejected=2, reason="破损")
    pledge_money(fund, "100.00")
    anon = as_user()

    listed = anon.get("/api/v1/funds")
    assert listed.status_code == 200
    [item] = [f for f in listed.get_json() if f["id"] == fund.id]
    assert item["progress"]["received"] == "500.10"

    resp = anon.get(f"/api/v1/funds/{fund.id}")
    page = resp.get_json()
    assert resp.status_code == 200
    assert (page["title"], page["purpose"], page["criteria"], page["how_to_give"]) == (
        "赵庄子爱心救助基金", "大病救助", "本村大病患者家庭", "村委会一楼")
    assert page["host_name"] and page["status"] == "open"
    assert page["target_amount"] == "210000.00"
    progress = page["progress"]
    assert (progress["pledged"], progress["received"], progress["distributed"],
            progress["balance"], progress["in_kind_received"]) == (
        "600.10", "500.10", "0.00", "500.10", "480.00")
    assert progress["pledges"] == 3
    [books] = progress["goods"]
    assert (books["category"], books["unit"], books["pledged"], books["received"],
            books["distributed"]) == ("picture_books", "book", 50, 48, 0)
    assert page["ledger_count"] == 2 and len(page["recent"]) == 2
    goods_row = next(r for r in page["recent"] if r["kind"] == "goods_in")
    assert (goods_row["quantity"], goods_row["value"], goods_row["unit"]) == (48, "480.00", "book")
    assert "破损" in goods_row["note"]
    text = resp.get_data(as_text=True)
    assert "13812345678" not in text and "138****5678" not in text
    assert "donor_id" not in text and "donor_phone" not in text and "王小红" not in text


@pytest.mark.parametrize(("display", "extra", "shown"), [
    ("anonymous", {}, "Anonymous"),
    ("surname", {"title": "ms"}, "王女士"),
    ("full_name", {}, "王小红"),
    ("organisation", {"donor_org": "红星商贸公司"}, "红星商贸公司"),
])
def test_the_public_sees_donors_only_as_they_consented(as_user, make_fund, make_user,
                                                       display, extra, shown):
    fund, coordinator = make_fund()
    donor = as_user(make_user(name="王小红"))
    made = donor.post(f"/api/v1/funds/{fund.id}/pledges",
                      json={"kind": "money", "amount": "50.00", "display": display, **extra})
    assert made.status_code == 201, made.get_json()
    desk = as_user(coordinator)
    pledge = made.get_json()
    assert desk.post(f"/api/v1/desk/pledges/{pledge['id']}/receipts",
                     json={"version": 0, "amount": "50.00", "receipt_waived": True}
                     ).status_code == 201

    page = as_user().get(f"/api/v1/funds/{fund.id}?lang=en")
    [row] = page.get_json()["recent"]
    assert row["donor"] == shown
    if display != "full_name":
        assert "王小红" not in page.get_data(as_text=True)
    ledger = as_user().get(f"/api/v1/funds/{fund.id}/ledger?lang=en").get_json()
    assert ledger["items"][0]["donor"] == shown


def test_the_default_is_anonymous(as_user, make_fund, make_user):
    fund, _ = make_fund()
    made = as_user(make_user(name="王小红")).post(
        f"/api/v1/funds/{fund.id}/pledges?lang=en", json={"kind": "money", "amount": "10"})
    assert (made.get_json()["display"], made.get_json()["public_name"]) == (
        "anonymous", "Anonymous")


def test_ledger_pages_newest_first(as_user, make_fund, pledge_money, receive):
    fund, coordinator = make_fund()
    for amount in ("1.00", "2.00", "3.00"):
        receive(pledge_money(fund, amount), coordinator, amount=amount)
    anon = as_user()
    first = anon.get(f"/api/v1/funds/{fund.id}/ledger?per_page=2").get_json()
    assert [r["amount"] for r in first["items"]] == ["3.00", "2.00"]
    assert (first["total"], first["page"], first["per_page"], first["pages"]) == (3, 1, 2, 2)
    second = anon.get(f"/api/v1/funds/{fund.id}/ledger?per_page=2&page=2").get_json()
    assert [r["amount"] for r in second["items"]] == ["1.00"]
    row = second["items"][0]
    assert not {"donor_id", "donor_phone", "pledge_id", "donor_name"} & set(row)
    body = _error(anon.get(f"/api/v1/funds/{fund.id}/ledger?per_page=101"), 422,
                  "validation_error")
    assert "per_page" in body["errors"]


def test_unknown_and_closed_funds(as_user, make_fund):
    fund, coordinator = make_fund()
    anon = as_user()
    _error(anon.get("/api/v1/funds/999999"), 404, "fund_not_found")
    _error(anon.get("/api/v1/funds/999999/ledger"), 404, "fund_not_found")
    assert as_user(coordinator).post(f"/api/v1/desk/funds/{fund.id}/close").status_code == 200
    assert fund.id not in [f["id"] for f in anon.get("/api/v1/funds").get_json()]
    # a closed fund's page and ledger stay public: what it received and gave out is on record
    page = anon.get(f"/api/v1/funds/{fund.id}").get_json()
    assert page["status"] == "closed"


# --- pledging ----------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", ['"50.10"', "50.10", '"50.1"', '"¥50.10"'])
def test_money_is_stored_exactly(as_user, make_fund, make_user, amount):
    fund, _ = make_fund()
    donor = as_user(make_user())
    resp = _raw(donor, f"/api/v1/funds/{fund.id}/pledges",
                f'{{"kind": "money", "amount": {amount}}}')
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    assert made["amount"] == "50.10" and len(made["reference"]) == 6
    assert made["state"] == "submitted" and made["received_amount"] == "0.00"
    db.session.expire_all()
    assert db.session.get(Pledge, made["id"]).amount == Decimal("50.10")


@pytest.mark.parametrize(("body", "field"), [
    ('{"kind": "money", "amount": -5}', "amount"),
    ('{"kind": "money", "amount": "-5"}', "amount"),
    ('{"kind": "money", "amount": 0}', "amount"),
    ('{"kind": "money", "amount": "0.00"}', "amount"),
    ('{"kind": "money", "amount": "1.234"}', "amount"),
    ('{"kind": "money", "amount": 1.234}', "amount"),
    ('{"kind": "money", "amount": "abc"}', "amount"),
    ('{"kind": "money", "amount": 1e12}', "amount"),
    ('{"kind": "money", "amount": 1000000000000}', "amount"),
    ('{"kind": "money", "amount": "NaN"}', "amount"),
    ('{"kind": "money", "amount": true}', "amount"),
    ('{"kind": "goods", "lines": [LINE]}'.replace("LINE", json.dumps({**BOOKS, "quantity": 0})),
     "lines"),
    ('{"kind": "goods", "lines": [LINE]}'.replace("LINE", json.dumps({**BOOKS, "quantity": -1})),
     "lines"),
    ('{"kind": "goods", "lines": [LINE]}'.replace(
        "LINE", json.dumps({**BOOKS, "quantity": 100001})), "lines"),
    ('{"kind": "goods", "lines": [LINE]}'.replace(
        "LINE", json.dumps({**BOOKS, "unit": "斤"}, ensure_ascii=False)), "lines"),
    ('{"kind": "gold"}', "kind"),
])
def test_bad_input_is_refused_and_nothing_is_written(as_user, make_fund, make_user, body,
                                                     field):
    fund, _ = make_fund()
    donor = as_user(make_user())
    before = _counts()
    resp = _error(_raw(donor, f"/api/v1/funds/{fund.id}/pledges", body.encode()), 422,
                  "validation_error")
    # flat, dotted paths: "lines.0.quantity"
    found = {name.split(".")[0] for name in resp["errors"]}
    assert field in found
    if field == "lines":
        assert {name.split(".")[-1] for name in resp["errors"]} & {"quantity", "unit"}
    assert _counts() == before


@pytest.mark.parametrize("body", [b'{"kind": "money", "amount": ', b'\xff\xfe{}', b"[1, 2"])
def test_a_broken_body_is_a_bad_request(as_user, make_fund, make_user, body):
    fund, _ = make_fund()
    donor = as_user(make_user())
    before = _counts()
    _error(_raw(donor, f"/api/v1/funds/{fund.id}/pledges", body), 400, "invalid_json")
    assert _counts() == before


def test_an_unknown_unit_says_what_to_do(as_user, make_fund, make_user):
    fund, _ = make_fund()
    resp = as_user(make_user()).post(f"/api/v1/funds/{fund.id}/pledges?lang=en", json={
        "kind": "goods", "lines": [{**BOOKS, "unit": "斤"}]})
    body = _error(resp, 422, "validation_error")
    assert body["errors"]["lines.0.unit"] == [
        "Choose a unit from the list."]


def test_service_refusals_write_nothing(as_user, make_fund, make_user):
    fund, coordinator = make_fund(accepts_goods=False)
    donor = as_user(make_user())
    before = _counts()
    _error(donor.post(f"/api/v1/funds/{fund.id}/pledges",
                      json={"kind": "goods", "lines": [BOOKS]}), 422, "kind_not_accepted")
    _error(donor.post(f"/api/v1/funds/{fund.id}/pledges", json={"kind": "money"}), 422,
           "amount_required")
    _error(donor.post(f"/api/v1/funds/{fund.id}/pledges",
                      json={"kind": "money", "amount": "5", "display": "surname"}), 422,
           "title_required")
    _error(donor.post("/api/v1/funds/999999/pledges", json={"kind": "money", "amount": "5"}),
           404, "fund_not_found")
    as_user(coordinator).post(f"/api/v1/desk/funds/{fund.id}/close")
    _error(donor.post(f"/api/v1/funds/{fund.id}/pledges", json={"kind": "money", "amount": "5"}),
           409, "fund_closed")
    assert {k: v for k, v in _counts().items() if k != "funds"} == {
        k: v for k, v in before.items() if k != "funds"}


def test_pledging_needs_a_login(as_user, make_fund):
    fund, _ = make_fund()
    _error(as_user().post(f"/api/v1/funds/{fund.id}/pledges",
                          json={"kind": "money", "amount": "5"}), 401, "login_required")
    _error(as_user().get("/api/v1/me/pledges"), 401, "login_required")


# --- my pledges --------------------------------------------------------------------------------

def test_my_pledges_and_what_my_gift_funded(as_user, make_fund, make_user):
    fund, coordinator = make_fund(title="图书捐赠")
    me = make_user(name="王小红", phone="13812345678")
    mine = as_user(me)
    made = mine.post(f"/api/v1/funds/{fund.id}/pledges",
                     json={"kind": "goods", "lines": [BOOKS], "display": "surname",
                           "title": "ms"}).get_json()
    assert made["donor_phone"] == "13812345678"  # my own phone, to me
    desk = as_user(coordinator)
    line_id = made["lines"][0]["id"]
    assert desk.post(f"/api/v1/desk/pledges/{made['id']}/receipts", json={
        "version": 0, "receipt_waived": True, "lines": [{
            "pledge_line_id": line_id, "accepted": 48, "rejected": 2, "reject_reason": "破损",
            "unit_value": "10.00"}]}).status_code == 201
    assert desk.post(f"/api/v1/desk/funds/{fund.id}/distributions", json={
        "kind": "goods", "recipient_kind": "organisation", "recipient_name": "白玉县小学",
        "purpose": "送书", "signed_by": "张老师", "nonce": "give-books-1",
        "lines": [{"category": "picture_books", "item": "儿童绘本", "unit": "book",
                   "quantity": 30}]}).status_code == 201

    [listed] = mine.get("/api/v1/me/pledges").get_json()
    assert (listed["reference"], listed["state"], listed["received_value"]) == (
        made["reference"], "fulfilled", "480.00")
    detail = mine.get(f"/api/v1/me/pledges/{made['id']}").get_json()
    assert detail["lines"][0]["delivered"] == 50 and detail["lines"][0]["accepted"] == 48
    [got] = detail["fulfilments"]
    assert (got["lines"][0]["accepted"], got["lines"][0]["rejected"],
            got["lines"][0]["reject_reason"]) == (48, 2, "破损")
    funded = detail["funded_by"]
    [use] = funded["uses"]
    assert (use["kind"], use["quantity"], use["recipient"], use["purpose"]) == (
        "goods_out", 30, "白玉县小学", "送书")
    assert funded["held_goods"] == [{"item": "儿童绘本", "unit": "book",
                                     "unit_label": funded["held_goods"][0]["unit_label"],
                                     "quantity": 18}]


def test_my_money_pledge_shows_what_it_paid_for(as_user, make_fund, make_user):
    fund, coordinator = make_fund()
    mine = as_user(make_user())
    made = mine.post(f"/api/v1/funds/{fund.id}/pledges",
                     json={"kind": "money", "amount": "500.00"}).get_json()
    desk = as_user(coordinator)
    desk.post(f"/api/v1/desk/pledges/{made['id']}/receipts",
              json={"version": 0, "amount": "500.00", "receipt_no": "JZ-2026-001"})
    assert desk.post(f"/api/v1/desk/funds/{fund.id}/distributions", json={
        "kind": "money", "amount": "300.00", "recipient_kind": "household",
        "recipient_name": "张三丰", "decision_ref": "村委会〔2026〕3号", "purpose": "大病救助",
        "signed_by": "张三丰", "nonce": "payout-1"}).status_code == 201
    detail = mine.get(f"/api/v1/me/pledges/{made['id']}").get_json()
    assert detail["state"] == "fulfilled" and detail["received_amount"] == "500.00"
    assert detail["fulfilments"][0]["receipt_no"] == "JZ-2026-001"
    [use] = detail["funded_by"]["uses"]
    assert (use["amount"], use["recipient"]) == ("300.00", "张**家")
    assert detail["funded_by"]["held_amount"] == "200.00"
    assert "张三丰" not in mine.get(f"/api/v1/me/pledges/{made['id']}").get_data(as_text=True)


def test_someone_elses_pledge_does_not_exist_for_me(as_user, make_fund, make_user,
                                                    pledge_money):
    fund, coordinator = make_fund()
    theirs = pledge_money(fund, "50.00", donor=make_user(name="别人"))
    me = as_user(make_user(name="我"))
    url = f"/api/v1/me/pledges/{theirs.id}"
    _error(me.get(url), 404, "pledge_not_found")
    _error(me.patch(url, json={"amount": "1.00"}), 404, "pledge_not_found")
    _error(me.put(f"{url}/display", json={"display": "full_name"}), 404, "pledge_not_found")
    _error(me.post(f"{url}/withdraw", json={"reason": "不想捐了"}), 404, "pledge_not_found")
    # not even its fund's coordinator changes a donor's pledge through "mine"
    _error(as_user(coordinator).patch(url, json={"amount": "1.00"}), 404, "pledge_not_found")
    _error(me.get("/api/v1/me/pledges/999999"), 404, "pledge_not_found")
    db.session.expire_all()
    assert (theirs.amount, theirs.display, theirs.end_state) == (
        Decimal("50.00"), "anonymous", None)


def test_edit_until_something_arrives(as_user, make_fund, make_user):
    fund, coordinator = make_fund()
    mine = as_user(make_user())
    made = mine.post(f"/api/v1/funds/{fund.id}/pledges",
                     json={"kind": "money", "amount": "100.00"}).get_json()
    url = f"/api/v1/me/pledges/{made['id']}"
    edited = mine.patch(url, json={"amount": 80.5, "note": "月底前转账"})
    assert edited.status_code == 200, edited.get_json()
    assert (edited.get_json()["amount"], edited.get_json()["note"]) == ("80.50", "月底前转账")
    _error(mine.patch(url, json={"amount": "1.234"}), 422, "validation_error")
    desk = as_user(coordinator)
    receipt = {"amount": "30.00", "receipt_waived": True}
    # the donor changed the promise after the desk loaded it: the desk must look again
    _error(desk.post(f"/api/v1/desk/pledges/{made['id']}/receipts",
                     json={"version": 0, **receipt}), 409, "pledge_changed")
    assert desk.post(f"/api/v1/desk/pledges/{made['id']}/receipts",
                     json={"version": 1, **receipt}).status_code == 201
    _error(mine.patch(url, json={"amount": "10.00"}), 409, "pledge_locked")
    _error(mine.post(f"{url}/withdraw", json={"reason": "算了"}), 409, "pledge_bad_transition")
    db.session.expire_all()
    assert db.session.get(Pledge, made["id"]).amount == Decimal("80.50")


def test_changing_my_name_display_changes_the_ledger_at_once(as_user, make_fund, make_user):
    fund, coordinator = make_fund()
    mine = as_user(make_user(name="欧阳娜娜"))
    made = mine.post(f"/api/v1/funds/{fund.id}/pledges",
                     json={"kind": "money", "amount": "20"}).get_json()
    as_user(coordinator).post(f"/api/v1/desk/pledges/{made['id']}/receipts",
                              json={"version": 0, "amount": "20", "receipt_waived": True})
    resp = mine.put(f"/api/v1/me/pledges/{made['id']}/display",
                    json={"display": "surname", "title": "ms"})
    assert resp.status_code == 200 and resp.get_json()["public_name"] == "欧阳女士"
    [row] = as_user().get(f"/api/v1/funds/{fund.id}/ledger").get_json()["items"]
    assert row["donor"] == "欧阳女士"
    _error(mine.put(f"/api/v1/me/pledges/{made['id']}/display",
                    json={"display": "organisation"}), 422, "organisation_required")


def test_withdraw_needs_a_reason_and_ends_the_pledge(as_user, make_fund, make_user):
    fund, _ = make_fund()
    mine = as_user(make_user())
    made = mine.post(f"/api/v1/funds/{fund.id}/pledges",
                     json={"kind": "money", "amount": "20"}).get_json()
    url = f"/api/v1/me/pledges/{made['id']}/withdraw"
    assert "reason" in _error(mine.post(url, json={}), 422, "validation_error")["errors"]
    done = mine.post(url, json={"reason": "重复提交"})
    assert done.status_code == 200
    assert (done.get_json()["state"], done.get_json()["end_reason"]) == ("withdrawn", "重复提交")
    _error(mine.post(url, json={"reason": "再来一次"}), 409, "pledge_ended")
