"""The donations API's desk: the queue, recording gifts once, payouts, ends, funds, and
who may do each."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from server.donations.models import Fund, Pledge
from server.donations.movements import Fulfilment, LedgerEntry
from server.extensions import db
from tests.donations.api_helpers import counts as _counts
from tests.donations.api_helpers import error as _error
from tests.donations.api_helpers import raw as _raw

# --- the desk ----------------------------------------------------------------------------------

def test_the_queue_masks_phones_and_the_detail_shows_them_in_full(as_user, make_fund,
                                                                  make_user, pledge_money):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "50.00", donor=make_user(name="王小红", phone="13812345678"))
    desk = as_user(coordinator)
    resp = desk.get("/api/v1/desk/pledges")
    assert resp.status_code == 200
    [row] = resp.get_json()["items"]
    assert (row["reference"], row["donor_name"], row["donor_phone"], row["state"]) == (
        p.reference, "王小红", "138****5678", "submitted")
    assert "13812345678" not in resp.get_data(as_text=True)
    detail = desk.get(f"/api/v1/desk/pledges/{p.id}").get_json()
    assert (detail["donor_phone"], detail["version"], detail["fulfilments"]) == (
        "13812345678", 0, [])
    # the public never sees it, masked or not
    for url in (f"/api/v1/funds/{fund.id}", f"/api/v1/funds/{fund.id}/ledger",
                f"/api/v1/funds/{fund.id}/ledger.csv", "/api/v1/funds"):
        text = as_user().get(url).get_data(as_text=True)
        assert "5678" not in text and "王小红" not in text, url


def test_the_queue_filters(as_user, make_fund, make_user, pledge_money, receive):
    fund, coordinator = make_fund()
    waiting = pledge_money(fund, "50.00", donor=make_user(name="李四"))
    partly = pledge_money(fund, "50.00", donor=make_user(name="赵六"))
    receive(partly, coordinator, amount="10.00")
    desk = as_user(coordinator)

    def refs(query):
        resp = desk.get(f"/api/v1/desk/pledges?{query}")
        assert resp.status_code == 200, resp.get_json()
        return [r["reference"] for r in resp.get_json()["items"]]

    assert refs(f"fund_id={fund.id}") == [waiting.reference, partly.reference]
    assert refs("state=partial") == [partly.reference]
    assert refs("state=submitted&state=partial") == [waiting.reference, partly.reference]
    assert refs(f"q={waiting.reference.lower()}") == [waiting.reference]
    assert refs("q=赵") == [partly.reference]
    assert refs("overdue=true") == []
    _error(desk.get("/api/v1/desk/pledges?state=lost"), 422, "validation_error")


def test_find_by_reference(as_user, make_fund, pledge_money):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "50.00")
    desk = as_user(coordinator)
    code = f" {p.reference[:3].lower()} {p.reference[3:]} "
    found = desk.get(f"/api/v1/desk/pledges/by-reference/{code}")
    assert found.status_code == 200 and found.get_json()["id"] == p.id
    body = _error(desk.get("/api/v1/desk/pledges/by-reference/ZZZZZZ"), 404,
                  "reference_not_found")
    assert "ZZZZZZ" in body["message"]


def test_recording_money_exactly_once(as_user, make_fund, pledge_money):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "50.10")
    desk = as_user(coordinator)
    url = f"/api/v1/desk/pledges/{p.id}/receipts"
    body = {"version": 0, "amount": 50.10, "receipt_no": "JZ-001", "nonce": "tablet-1-0001"}
    first = desk.post(url, json=body)  # the app's JSON provider sends the Decimal as text
    assert first.status_code == 201, first.get_json()
    again = _raw(desk, url, '{"version": 0, "amount": 50.10, "receipt_no": "JZ-001", '
                            '"nonce": "tablet-1-0001"}')
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    got = first.get_json()
    assert (got["amount"], got["receipt_no"], got["pledge_reference"]) == (
        "50.10", "JZ-001", p.reference)
    assert got["recorded_by_name"] == "协调员王芳"
    assert db.session.scalar(select(func.count(Fulfilment.id))) == 1
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 1
    # the same token on another pledge is a client's mistake, not a replay
    other = pledge_money(fund, "5.00")
    _error(desk.post(f"/api/v1/desk/pledges/{other.id}/receipts", json={**body, "version": 0}),
           409, "nonce_reused")
    db.session.expire_all()
    assert db.session.scalar(select(Fulfilment.amount)) == Decimal("50.10")
    detail = desk.get(f"/api/v1/desk/pledges/{p.id}").get_json()
    assert (detail["state"], detail["version"], detail["received_amount"]) == (
        "fulfilled", 1, "50.10")


def test_a_stale_version_is_refused(as_user, make_fund, pledge_money):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "100.00")
    desk = as_user(coordinator)
    url = f"/api/v1/desk/pledges/{p.id}/receipts"
    assert desk.post(url, json={"version": 0, "amount": "40.00",
                                "receipt_waived": True}).status_code == 201
    before = _counts()
    _error(desk.post(url, json={"version": 0, "amount": "40.00", "receipt_waived": True}), 409,
           "pledge_changed")
    assert _counts() == before
    _error(desk.post(url, json={"amount": "40.00", "receipt_waived": True}), 422,
           "validation_error")
    _error(desk.post(url, json={"version": 1, "amount": "40.00"}), 422, "receipt_required")
    assert _counts() == before


def test_goods_accepted_and_rejected(as_user, make_fund, pledge_goods):
    fund, coordinator = make_fund(title="图书捐赠")
    p = pledge_goods(fund, 50, display="surname", title="ms")
    desk = as_user(coordinator)
    url = f"/api/v1/desk/pledges/{p.id}/receipts"
    line = {"pledge_line_id": p.lines[0].id, "accepted": 48, "rejected": 2, "unit_value": "12.50"}
    _error(desk.post(url, json={"version": 0, "receipt_waived": True, "lines": [line]}), 422,
           "reject_reason_required")
    resp = desk.post(url, json={"version": 0, "receipt_waived": True,
                                "lines": [{**line, "reject_reason": "破损"}]})
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert (got["in_kind_value"], got["amount"], got["lines"][0]["accepted"],
            got["lines"][0]["rejected"]) == ("600.00", None, 48, 2)
    stock = desk.get(f"/api/v1/desk/funds/{fund.id}/stock").get_json()
    assert [(s["item"], s["quantity"], s["value"]) for s in stock] == [("儿童绘本", 48, "600.00")]
    [row] = as_user().get(f"/api/v1/funds/{fund.id}/ledger").get_json()["items"]
    assert (row["donor"], row["quantity"], row["value"]) == ("王女士", 48, "600.00")


def test_a_batch_that_does_not_match_records_nothing(as_user, make_fund, pledge_money):
    fund, coordinator = make_fund()
    a, b = pledge_money(fund, "50.00"), pledge_money(fund, "20.00")
    desk = as_user(coordinator)
    url = f"/api/v1/desk/funds/{fund.id}/batches"
    items = [{"reference": a.reference, "amount": "50.00"},
             {"reference": b.reference, "amount": "20.00"}]
    before = _counts()
    body = _error(desk.post(url, json={"expected_count": 2, "expected_total": "75.00",
                                       "receipt_waived": True, "items": items}), 422,
                  "batch_mismatch")
    assert "¥70.00" in body["message"]
    _error(desk.post(url, json={"expected_count": 3, "receipt_waived": True, "items": items}),
           422, "batch_mismatch")
    _error(desk.post(url, json={"expected_count": 1, "receipt_waived": True, "items": [
        {"reference": "ZZZZZZ", "amount": "5.00"}]}), 404, "reference_not_found")
    assert _counts() == before
    done = desk.post(url, json={"expected_count": 2, "expected_total": 70.00,
                                "receipt_waived": True, "items": items})
    assert done.status_code == 201, done.get_json()
    assert [(f["pledge_reference"], f["amount"]) for f in done.get_json()] == [
        (a.reference, "50.00"), (b.reference, "20.00")]
    assert len({f["batch_id"] for f in done.get_json()}) == 1


def test_a_reversal_is_a_new_row_and_totals_net_out(as_user, make_fund, pledge_money):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "50.10")
    desk = as_user(coordinator)
    got = desk.post(f"/api/v1/desk/pledges/{p.id}/receipts",
                    json={"version": 0, "amount": "50.10", "receipt_waived": True}).get_json()
    url = f"/api/v1/desk/fulfilments/{got['id']}/reverse"
    _error(desk.post(url, json={"reason": ""}), 422, "validation_error")
    undo = desk.post(url, json={"reason": "录错了捐赠人"})
    assert undo.status_code == 201, undo.get_json()
    assert (undo.get_json()["amount"], undo.get_json()["reverses_id"]) == ("-50.10", got["id"])
    rows = as_user().get(f"/api/v1/funds/{fund.id}/ledger").get_json()["items"]
    assert [(r["amount"], r["note"]) for r in rows] == [("-50.10", "录错了捐赠人"),
                                                        ("50.10", "")]
    assert rows[0]["reverses_id"] == rows[1]["id"]
    progress = as_user().get(f"/api/v1/funds/{fund.id}").get_json()["progress"]
    assert (progress["received"], progress["balance"]) == ("0.00", "0.00")
    _error(desk.post(url, json={"reason": "再撤一次"}), 409, "already_reversed")
    _error(desk.post(f"/api/v1/desk/fulfilments/{undo.get_json()['id']}/reverse",
                     json={"reason": "撤销撤销"}), 409, "cannot_reverse_reversal")
    _error(desk.post("/api/v1/desk/fulfilments/999999/reverse", json={"reason": "x"}), 404,
           "fulfilment_not_found")


def test_never_give_out_more_than_the_fund_holds(as_user, make_fund, pledge_money,
                                                 pledge_goods, receive):
    fund, coordinator = make_fund()
    receive(pledge_money(fund, "100.00"), coordinator, amount="100.00")
    receive(pledge_goods(fund, 10), coordinator, accepted=10)
    desk = as_user(coordinator)
    url = f"/api/v1/desk/funds/{fund.id}/distributions"
    payout = {"kind": "money", "amount": "100.01", "recipient_kind": "household",
              "recipient_name": "张三丰", "decision_ref": "〔2026〕1号", "purpose": "大病救助",
              "signed_by": "张三丰", "nonce": "payout-1"}
    goods = {"kind": "goods", "recipient_kind": "household", "recipient_name": "李四",
             "purpose": "冬季送暖", "signed_by": "李四", "nonce": "goods-1",
             "lines": [{"category": "picture_books", "item": "儿童绘本", "unit": "book",
                        "quantity": 11}]}
    before = _counts()
    _error(desk.post(url, json=payout), 409, "insufficient_funds")
    short = _error(desk.post(url, json=goods), 409, "insufficient_stock")
    # told beside the line that asks too much (in `two`, the second: the first is in stock)
    two = {**goods, "nonce": "goods-2", "lines": [{**goods["lines"][0], "quantity": 1},
                                                  {**goods["lines"][0], "item": "童话书"}]}
    assert list(short["errors"]) == ["lines.0.quantity"]
    assert "儿童绘本" in short["errors"]["lines.0.quantity"][0]
    other = _error(desk.post(url, json=two), 409, "insufficient_stock")
    assert list(other["errors"]) == ["lines.1.quantity"]
    assert "童话书" in other["errors"]["lines.1.quantity"][0]
    _error(desk.post(url, json={**payout, "amount": "10.00", "decision_ref": None}), 422,
           "decision_required")
    assert _counts() == before
    assert desk.post(url, json={**payout, "amount": "100.00"}).status_code == 201
    done = desk.post(url, json={**goods, "lines": [{**goods["lines"][0], "quantity": 10}]})
    assert done.status_code == 201
    assert desk.get(f"/api/v1/desk/funds/{fund.id}/stock").get_json() == []

    # managers see recipients in full; the public sees households masked
    listed = desk.get(url).get_json()
    assert [(d["recipient_name"], d["recipient_public"]) for d in listed] == [
        ("李四", "李*家"), ("张三丰", "张**家")]
    public = as_user().get(f"/api/v1/funds/{fund.id}/ledger")
    assert {r["recipient_public"] for r in public.get_json()["items"]} >= {"李*家", "张**家"}
    assert "张三丰" not in public.get_data(as_text=True)

    undo = desk.post(f"/api/v1/desk/distributions/{done.get_json()['id']}/reverse",
                     json={"reason": "登记错了户"})
    assert undo.status_code == 201 and undo.get_json()["lines"][0]["quantity"] == -10
    assert [s["quantity"] for s in desk.get(f"/api/v1/desk/funds/{fund.id}/stock").get_json()
            ] == [10]
    _error(desk.post("/api/v1/desk/distributions/999999/reverse", json={"reason": "x"}), 404,
           "distribution_not_found")


def test_hand_set_ends(as_user, make_fund, pledge_money, receive):
    fund, coordinator = make_fund()
    desk = as_user(coordinator)
    a, b, c = (pledge_money(fund, "10.00") for _ in range(3))
    accepted = desk.post(f"/api/v1/desk/pledges/{a.id}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "accepted"
    _error(desk.post(f"/api/v1/desk/pledges/{a.id}/accept"), 409, "pledge_bad_transition")
    _error(desk.post(f"/api/v1/desk/pledges/{a.id}/reject", json={}), 422, "validation_error")
    rejected = desk.post(f"/api/v1/desk/pledges/{a.id}/reject", json={"reason": "重复登记"})
    assert rejected.get_json()["state"] == "rejected"
    assert desk.post(f"/api/v1/desk/pledges/{b.id}/cancel",
                     json={"reason": "联系不上"}).get_json()["state"] == "cancelled"
    _error(desk.post(f"/api/v1/desk/pledges/{c.id}/release", json={"reason": "余款不来"}), 409,
           "pledge_bad_transition")
    receive(c, coordinator, amount="4.00")
    released = desk.post(f"/api/v1/desk/pledges/{c.id}/release", json={"reason": "余款不来"})
    assert released.status_code == 200 and released.get_json()["state"] == "released"
    detail = desk.get(f"/api/v1/desk/pledges/{a.id}").get_json()
    assert (detail["end_reason"], detail["ended_by_name"]) == ("重复登记", "协调员王芳")


def test_a_pledge_taken_down_for_someone_else(as_user, make_fund, make_user):
    fund, coordinator = make_fund()
    desk = as_user(coordinator)
    made = desk.post(f"/api/v1/desk/funds/{fund.id}/pledges", json={
        "kind": "money", "amount": "200.00", "donor_name": "赵奶奶", "donor_phone": "13900001111",
        "display": "surname", "title": "ms"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["donor_name"], body["donor_phone"], body["public_name"],
            body["created_by_id"]) == ("赵奶奶", "13900001111", "赵女士", coordinator.id)
    db.session.expire_all()
    assert db.session.get(Pledge, body["id"]).donor_id is None
    _error(desk.post(f"/api/v1/desk/funds/{fund.id}/pledges",
                     json={"kind": "money", "amount": "1", "donor_phone": "12345"}), 422,
           "validation_error")  # no donor_name
    short = _error(desk.post(f"/api/v1/desk/funds/{fund.id}/pledges", json={
        "kind": "money", "amount": "1", "donor_name": "钱大爷", "donor_phone": "12345"}),
        422, "invalid_phone")
    assert list(short["errors"]) == ["donor_phone"]
    # the phone as people type it, in its one form; another script's digits refused
    typed = desk.post(f"/api/v1/desk/funds/{fund.id}/pledges", json={
        "kind": "money", "amount": "1", "donor_name": "钱大爷",
        "donor_phone": "+86 １３９ 0000 2222"})
    assert typed.status_code == 201 and typed.get_json()["donor_phone"] == "13900002222"
    bad = _error(desk.post(f"/api/v1/desk/funds/{fund.id}/pledges", json={
        "kind": "money", "amount": "1", "donor_name": "钱大爷", "donor_phone": "13٨00002222"}),
        422, "invalid_phone")
    assert list(bad["errors"]) == ["donor_phone"]
    _error(as_user(make_user()).post(f"/api/v1/desk/funds/{fund.id}/pledges", json={
        "kind": "money", "amount": "1", "donor_name": "某人"}), 403, "not_fund_manager")


def test_running_funds(as_user, make_fund, make_org):
    fund, coordinator = make_fund()
    desk = as_user(coordinator)
    charity = fund.host
    created = desk.post("/api/v1/desk/funds", json={
        "kind": "campaign", "title": "冬衣募集", "purpose": "给独居老人送羽绒服",
        "host_id": charity.id, "node_id": fund.node_id, "target_amount": 36000,
        "accepts_money": False})
    assert created.status_code == 201, created.get_json()
    new = created.get_json()
    assert (new["target_amount"], new["accepts_money"], new["status"]) == (
        "36000.00", False, "open")
    _error(desk.post("/api/v1/desk/funds", json={
        "kind": "fund", "title": "x", "purpose": "y", "host_id": make_org().id,
        "node_id": fund.node_id}), 422, "host_not_charity")
    patched = desk.patch(f"/api/v1/desk/funds/{new['id']}",
                         json={"goods_wanted": "羽绒服 200 件", "target_amount": "40000.50"})
    assert patched.status_code == 200, patched.get_json()
    assert (patched.get_json()["goods_wanted"], patched.get_json()["target_amount"],
            patched.get_json()["purpose"], patched.get_json()["accepts_money"]) == (
        "羽绒服 200 件", "40000.50", "给独居老人送羽绒服", False)  # the rest left alone
    _error(desk.patch(f"/api/v1/desk/funds/{new['id']}", json={"accepts_goods": False}), 422,
           "accepts_nothing")
    assert desk.post(f"/api/v1/desk/funds/{new['id']}/close").get_json()["status"] == "closed"
    listed = desk.get("/api/v1/desk/funds").get_json()
    assert [(f["id"], f["status"]) for f in listed] == [(fund.id, "open"),
                                                        (new["id"], "closed")]
    assert desk.post(f"/api/v1/desk/funds/{new['id']}/reopen").get_json()["status"] == "open"


def test_the_desk_is_for_managers(as_user, make_fund, make_user, pledge_money, receive):
    fund_a, coordinator_a = make_fund(title="A基金")
    fund_b, coordinator_b = make_fund(title="B基金")
    theirs = pledge_money(fund_b, "50.00")
    got = receive(theirs, coordinator_b, amount="50.00")
    a = as_user(coordinator_a)
    # funds are public: naming another's fund is a plain "not yours"
    for method, url, body in (
            ("GET", f"/api/v1/desk/pledges?fund_id={fund_b.id}", None),
            ("GET", f"/api/v1/desk/funds/{fund_b.id}/stock", None),
            ("GET", f"/api/v1/desk/funds/{fund_b.id}/distributions", None),
            ("POST", f"/api/v1/desk/funds/{fund_b.id}/batches", {
                "expected_count": 1, "receipt_waived": True,
                "items": [{"reference": theirs.reference, "amount": "1.00"}]}),
            ("PATCH", f"/api/v1/desk/funds/{fund_b.id}", {"title": "改名"}),
            ("POST", f"/api/v1/desk/funds/{fund_b.id}/close", None)):
        _error(a.open(url, method=method, json=body), 403, "not_fund_manager")
    # pledges and receipts hold donors' details: another fund's do not exist for A
    for method, url, body, code in (
            ("GET", f"/api/v1/desk/pledges/{theirs.id}", None, "pledge_not_found"),
            ("GET", f"/api/v1/desk/pledges/by-reference/{theirs.reference}", None,
             "reference_not_found"),
            ("POST", f"/api/v1/desk/pledges/{theirs.id}/cancel", {"reason": "x"},
             "pledge_not_found"),
            ("POST", f"/api/v1/desk/pledges/{theirs.id}/receipts",
             {"version": 1, "amount": "1.00", "receipt_waived": True}, "pledge_not_found"),
            ("POST", f"/api/v1/desk/fulfilments/{got.id}/reverse", {"reason": "x"},
             "fulfilment_not_found")):
        _error(a.open(url, method=method, json=body), 404, code)
    assert a.get("/api/v1/desk/pledges").get_json()["items"] == []
    assert [f["id"] for f in a.get("/api/v1/desk/funds").get_json()] == [fund_a.id]
    # residents have no desk at all; nobody logged in is asked to log in
    resident = as_user(make_user(name="居民"))
    _error(resident.get("/api/v1/desk/pledges"), 403, "not_fund_manager")
    _error(resident.get("/api/v1/desk/funds"), 403, "not_fund_manager")
    _error(as_user().get("/api/v1/desk/pledges"), 401, "login_required")
    db.session.expire_all()
    assert (db.session.get(Fund, fund_b.id).title, theirs.end_state) == ("B基金", None)


def test_nobody_confirms_their_own_gift(as_user, make_fund, pledge_money):
    fund, coordinator = make_fund()
    own = pledge_money(fund, "10.00", donor=coordinator)
    _error(as_user(coordinator).post(f"/api/v1/desk/pledges/{own.id}/receipts", json={
        "version": 0, "amount": "10.00", "receipt_waived": True}), 403, "own_pledge")
