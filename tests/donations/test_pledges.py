"""Pledges: the state machine (derived from fulfilments, hand-set ends), the schedule lock,
the donor's consent to be named, and who may do what."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import lazy_gettext as _l

from server.core.clock import local
from server.core.errors import WusheError
from server.donations.services import donor_display, funds, intake, ledger, pledges
from server.donations.vocab import ENDS, PLEDGE_STATE

# DOMAIN.md: which states each hand-set action starts from
ALLOWED = {
    "accept": {"submitted"},
    "reject": {"submitted", "accepted"},
    "cancel": {"submitted", "accepted"},
    "release": {"partial"},
    "withdraw": {"submitted", "accepted"},
}
STATES = ("submitted", "accepted", "partial", "fulfilled", *ENDS)
ANONYMOUS = _l("Anonymous")  # str() inside each test: translated in the app's locale


@pytest.fixture
def money(make_fund, pledge_money, make_user):
    """A fund, its coordinator and a donor's pledge of 500 yuan."""
    fund, coordinator = make_fund()
    donor = make_user(name="王小红")
    return fund, coordinator, donor, pledge_money(fund, "500.00", donor=donor)


@pytest.fixture
def in_state(money, receive, now):
    """A pledge of 500 yuan brought to a given state through the services."""
    fund, coordinator, donor, _ = money

    def make(state):
        p = pledges.create_pledge(fund, {"kind": "money", "amount": Decimal("500.00")},
                                  actor=donor, now=now)
        if state in ("accepted", "rejected", "cancelled"):
            pledges.transition(p, "accept", actor=coordinator, now=now)
        if state in ("partial", "released"):
            receive(p, coordinator, amount="200.00")
        if state == "fulfilled":
            receive(p, coordinator, amount="500.00")
        if state in ENDS:
            action = {"rejected": "reject", "cancelled": "cancel", "released": "release",
                      "withdrawn": "withdraw"}[state]
            actor = donor if action == "withdraw" else coordinator
            pledges.transition(p, action, actor=actor, now=now, reason="测试")
        assert pledges.state(p) == state
        return p
    return make


def _code(call, *args, **kwargs) -> str:
    with pytest.raises(WusheError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value.code


# --- the derived states ----------------------------------------------------------------------

def test_money_pledge_goes_submitted_accepted_partial_fulfilled(money, receive, now):
    fund, coordinator, donor, p = money
    assert pledges.state(p) == "submitted"
    assert len(p.reference) == 6 and p.version == 0
    later = now + timedelta(hours=1)
    pledges.transition(p, "accept", actor=coordinator, now=later)
    assert pledges.state(p) == "accepted"
    assert (p.accepted_at, p.accepted_by_id, p.end_state) == (later, coordinator.id, None)
    receive(p, coordinator, amount="200.00")
    assert pledges.state(p) == "partial"
    receive(p, coordinator, amount="300.00")
    assert pledges.state(p) == "fulfilled"
    # nothing but the hand-set ends is stored: the rest is what arrived
    assert p.end_state is None and p.version == 2


def test_receiving_on_a_submitted_pledge_accepts_it(money, receive, now):
    fund, coordinator, donor, p = money
    receive(p, coordinator, amount="100.00")
    assert (p.accepted_at, p.accepted_by_id) == (now, coordinator.id)
    assert pledges.state(p) == "partial"


def test_the_allowed_table_is_domain_md():
    assert {action: set(starts) for action, (starts, _) in pledges.ACTIONS.items()} == ALLOWED


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("start", STATES)
def test_hand_set_transitions_only_from_allowed_states(in_state, money, action, start, now):
    fund, coordinator, donor, _ = money
    p = in_state(start)
    actor = donor if action == "withdraw" else coordinator
    at = now + timedelta(minutes=5)
    if start in ALLOWED[action]:
        pledges.transition(p, action, actor=actor, now=at, reason="  核实后处理  ")
        if action == "accept":
            assert pledges.state(p) == "accepted" and p.accepted_by_id == coordinator.id
            return
        assert pledges.state(p) == pledges.END_OF[action]
        assert (p.end_reason, p.ended_by_id, p.ended_at) == ("核实后处理", actor.id, at)
    else:
        expected = "pledge_ended" if start in ENDS else "pledge_bad_transition"
        version, end = p.version, p.end_state
        assert _code(pledges.transition, p, action, actor=actor, now=at,
                     reason="x") == expected
        assert (pledges.state(p), p.version, p.end_state) == (start, version, end)


@pytest.mark.parametrize("action", ["reject", "cancel", "withdraw"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_an_end_needs_a_reason(money, action, reason, now):
    fund, coordinator, donor, p = money
    actor = donor if action == "withdraw" else coordinator
    assert _code(pledges.transition, p, action, actor=actor, now=now,
                 reason=reason) == "reason_required"
    assert pledges.state(p) == "submitted" and p.ended_at is None


def test_release_needs_a_reason_too(in_state, money, now):
    _, coordinator, _, _ = money
    p = in_state("partial")
    assert _code(pledges.transition, p, "release", actor=coordinator, now=now) == (
        "reason_required")


@pytest.mark.parametrize("end", ENDS)
def test_an_ended_pledge_refuses_receipts(in_state, money, receive, end):
    _, coordinator, _, _ = money
    p = in_state(end)
    assert _code(receive, p, coordinator, amount="50.00") == "pledge_ended"
    assert pledges.received(p).count == (1 if end == "released" else 0)


def test_only_the_donor_withdraws(money, make_user, now):
    fund, coordinator, donor, p = money
    assert _code(pledges.transition, p, "withdraw", actor=coordinator, now=now,
                 reason="代为撤回") == "pledge_not_found"
    assert _code(pledges.transition, p, "withdraw", actor=make_user(), now=now,
                 reason="x") == "pledge_not_found"
    pledges.transition(p, "withdraw", actor=donor, now=now, reason="家里有事")
    assert pledges.state(p) == "withdrawn" and p.ended_by_id == donor.id


def test_the_donor_cannot_take_a_managers_action(money, now):
    fund, coordinator, donor, p = money
    for action in ("accept", "reject", "cancel"):
        assert _code(pledges.transition, p, action, actor=donor, now=now,
                     reason="x") == "not_fund_manager"
    assert pledges.state(p) == "submitted"


def test_overdue_is_computed_and_never_a_state(make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    today = local(now).date()
    p = pledge_money(fund, "500.00", due_on=today + timedelta(days=3))
    assert not pledges.is_overdue(p, now=now)
    assert not pledges.is_overdue(p, now=now + timedelta(days=3))  # due today: not yet
    later = now + timedelta(days=4)
    assert pledges.is_overdue(p, now=later) and pledges.state(p) == "submitted"
    receive(p, coordinator, amount="100.00")
    assert pledges.is_overdue(p, now=later) and pledges.state(p) == "partial"
    receive(p, coordinator, amount="400.00")
    assert not pledges.is_overdue(p, now=later)  # fulfilled
    ended = pledge_money(fund, "50.00", due_on=today)
    pledges.transition(ended, "cancel", actor=coordinator, now=now, reason="联系不上")
    assert not pledges.is_overdue(ended, now=later)
    assert not pledges.is_overdue(pledge_money(fund, "50.00"), now=later)  # no due date
    assert "overdue" not in PLEDGE_STATE


def test_a_due_date_in_the_past_is_refused(make_fund, pledge_money, now):
    fund, _ = make_fund()
    assert _code(pledge_money, fund, "50.00",
                 due_on=local(now).date() - timedelta(days=1)) == "due_in_past"


# --- the schedule lock ------------------------------------------------------------------------

@pytest.mark.parametrize("change", [
    {"amount": Decimal("800.00")}, {"due_on": "later"}, {"note": "只改备注"}])
@pytest.mark.parametrize("start", ["partial", "fulfilled"])
def test_nothing_changes_once_something_arrived(in_state, money, change, start, now):
    _, _, donor, _ = money
    p = in_state(start)
    if change.get("due_on") == "later":
        change = {"due_on": local(now).date() + timedelta(days=9)}
    assert _code(pledges.edit_pledge, p, change, actor=donor, now=now) == "pledge_locked"
    assert p.amount == Decimal("500.00") and p.due_on is None


def test_goods_lines_lock_too(make_fund, pledge_goods, receive, now):
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50)
    receive(p, coordinator, accepted=10)
    new_lines = [{"category": "books", "item": "农科种植", "unit": "book", "quantity": 5}]
    assert _code(pledges.edit_pledge, p, {"lines": new_lines}, actor=p.donor,
                 now=now) == "pledge_locked"
    assert [(x.item, x.quantity) for x in p.lines] == [("儿童绘本", 50)]


def test_a_reversed_receipt_still_locks_the_schedule(make_fund, pledge_goods, receive, now):
    """The reversed intake's lines point at the pledge's lines: they stay as promised."""
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50)
    intake.reverse(receive(p, coordinator, accepted=10), actor=coordinator, reason="录错",
                   now=now)
    assert pledges.state(p) == "accepted"
    new_lines = [{"category": "books", "item": "经典文学", "unit": "book", "quantity": 5}]
    assert _code(pledges.edit_pledge, p, {"lines": new_lines}, actor=p.donor,
                 now=now) == "pledge_locked"
    assert [(x.item, x.quantity) for x in p.lines] == [("儿童绘本", 50)]
    receive(p, coordinator, accepted=50)  # what was promised can still arrive
    assert pledges.state(p) == "fulfilled"


@pytest.mark.parametrize("end", ENDS)
def test_an_ended_pledge_cannot_be_edited(in_state, money, end, now):
    _, _, donor, _ = money
    p = in_state(end)
    assert _code(pledges.edit_pledge, p, {"amount": Decimal("1.00")}, actor=donor,
                 now=now) == "pledge_ended"


def test_editing_an_accepted_pledge_sends_it_back(money, now):
    fund, coordinator, donor, p = money
    pledges.transition(p, "accept", actor=coordinator, now=now)
    pledges.edit_pledge(p, {"note": "下午送到"}, actor=donor, now=now)
    assert pledges.state(p) == "accepted"  # a note is not the schedule
    later = now + timedelta(hours=2)
    pledges.edit_pledge(p, {"amount": Decimal("800.00")}, actor=donor, now=later)
    assert pledges.state(p) == "submitted"
    assert (p.amount, p.accepted_at, p.accepted_by_id, p.updated_at) == (
        Decimal("800.00"), None, None, later)


def test_editing_goods_lines_before_anything_arrived(make_fund, pledge_goods, now):
    fund, _ = make_fund()
    p = pledge_goods(fund, 50)
    pledges.edit_pledge(p, {"lines": [
        {"category": "books", "item": "经典文学", "unit": "book", "quantity": 30},
        {"category": "stationery", "item": "铅笔", "unit": "box", "quantity": 2}]},
        actor=p.donor, now=now)
    assert [(x.item, x.unit, x.quantity) for x in p.lines] == [
        ("经典文学", "book", 30), ("铅笔", "box", 2)]


def test_a_stranger_cannot_edit(money, make_user, now):
    _, _, _, p = money
    assert _code(pledges.edit_pledge, p, {"amount": Decimal("1.00")}, actor=make_user(),
                 now=now) == "pledge_not_found"


@pytest.mark.parametrize("start", ["submitted", "fulfilled", "withdrawn", "released"])
def test_consent_can_change_at_any_time(in_state, money, start, now):
    _, _, donor, _ = money
    p = in_state(start)
    later = now + timedelta(days=2)
    donor_display.set_display(p, {"display": "full_name"}, actor=donor, now=later)
    assert (p.display, p.display_set_at) == ("full_name", later)
    assert donor_display.public_name(p) == "王小红"


def test_only_the_donor_sets_consent(money, now):
    _, coordinator, _, p = money
    assert _code(donor_display.set_display, p, {"display": "full_name"}, actor=coordinator,
                 now=now) == "pledge_not_found"
    assert p.display == "anonymous"


def test_the_ledger_names_the_donor_as_consent_says_now(money, receive, now):
    fund, coordinator, donor, p = money
    donor_display.set_display(p, {"display": "surname", "title": "ms"}, actor=donor, now=now)
    receive(p, coordinator, amount="500.00")
    [row] = ledger.entries(fund)
    assert donor_display.public_name(row.pledge) == "王女士"
    donor_display.set_display(p, {"display": "anonymous"}, actor=donor, now=now)
    [row] = ledger.entries(fund)
    assert donor_display.public_name(row.pledge) == str(ANONYMOUS)


# --- consent display rules --------------------------------------------------------------------

@pytest.mark.parametrize("name, data, shown", [
    ("王小红", {}, ANONYMOUS),
    ("王小红", {"display": "anonymous"}, ANONYMOUS),
    ("王小红", {"display": "surname", "title": "ms"}, "王女士"),
    ("欧阳修", {"display": "surname", "title": "mr"}, "欧阳先生"),
    ("司马光", {"display": "surname", "title": "mr"}, "司马先生"),
    ("王小红", {"display": "full_name"}, "王小红"),
    ("王小红", {"display": "organisation", "donor_org": "梨园合作社"}, "梨园合作社"),
])
def test_how_the_donor_is_shown(make_fund, make_user, name, data, shown, now):
    fund, _ = make_fund()
    p = pledges.create_pledge(fund, {"kind": "money", "amount": Decimal("10.00"), **data},
                              actor=make_user(name=name), now=now)
    assert p.display == (data.get("display") or "anonymous")
    assert donor_display.public_name(p) == str(shown)


@pytest.mark.parametrize("data, code", [
    ({"display": "surname"}, "title_required"),
    ({"display": "surname", "title": None}, "title_required"),
    ({"display": "organisation"}, "organisation_required"),
    ({"display": "organisation", "donor_org": ""}, "organisation_required"),
])
def test_incomplete_consent_is_refused(make_fund, pledge_money, money, data, code, now):
    fund, _ = make_fund()
    assert _code(pledge_money, fund, "10.00", **data) == code
    _, _, donor, p = money
    assert _code(donor_display.set_display, p, data, actor=donor, now=now) == code
    assert p.display == "anonymous"


# --- permissions ------------------------------------------------------------------------------

def test_a_coordinator_of_another_street_is_refused(money, make_node, make_user, grant,
                                                    receive, now):
    fund, _, _, p = money
    other = make_user(name="外街协调员")
    grant(other, "coordinator", make_node(name="别的街道", kind="street"))
    assert not funds.can_manage(other, fund)
    assert _code(receive, p, other, amount="500.00") == "not_fund_manager"
    assert _code(pledges.transition, p, "accept", actor=other, now=now) == "not_fund_manager"
    assert _code(funds.set_status, fund, "closed", actor=other) == "not_fund_manager"
    assert fund not in funds.managed_funds(other)
    assert pledges.state(p) == "submitted" and fund.status == "open"


def test_the_host_charitys_organiser_manages(money, make_user, grant, receive):
    fund, _, _, p = money
    organiser = make_user(name="慈善协会干事")
    grant(organiser, "organiser", fund.host.node, fund.host)
    assert funds.can_manage(organiser, fund) and fund in funds.managed_funds(organiser)
    receive(p, organiser, amount="500.00")
    assert pledges.state(p) == "fulfilled"


def test_an_organiser_of_another_organisation_does_not(money, make_user, make_org, grant,
                                                       receive):
    fund, _, _, p = money
    organiser = make_user(name="别的组织者")
    grant(organiser, "organiser", fund.node, make_org(node=fund.node))
    assert _code(receive, p, organiser, amount="500.00") == "not_fund_manager"


def test_the_donor_cannot_confirm_their_own_pledge(make_fund, pledge_money, receive):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "300.00", donor=coordinator)
    assert _code(receive, p, coordinator, amount="300.00") == "own_pledge"
    assert pledges.received(p).count == 0 and ledger.count(fund) == 0


def test_only_managers_take_a_pledge_down_for_someone_else(make_fund, make_user, now):
    fund, coordinator = make_fund()
    data = {"kind": "money", "amount": Decimal("1000.00"), "for_someone_else": True,
            "donor_name": "赵国良", "donor_phone": "13912345678"}
    assert _code(pledges.create_pledge, fund, data, actor=make_user(), now=now) == (
        "not_fund_manager")
    p = pledges.create_pledge(fund, data, actor=coordinator, now=now)
    assert (p.donor_id, p.donor_name, p.created_by_id) == (None, "赵国良", coordinator.id)


def test_a_closed_fund_takes_no_pledges_but_still_receives(money, receive, pledge_money):
    fund, coordinator, _, p = money
    funds.set_status(fund, "closed", actor=coordinator)
    assert _code(pledge_money, fund, "10.00") == "fund_closed"
    receive(p, coordinator, amount="500.00")
    assert pledges.state(p) == "fulfilled"


@pytest.mark.parametrize("accepts, kind, code", [
    ({"accepts_money": False}, "money", "kind_not_accepted"),
    ({"accepts_goods": False}, "goods", "kind_not_accepted"),
])
def test_a_fund_takes_only_what_it_accepts(make_fund, pledge_money, pledge_goods, accepts,
                                          kind, code):
    fund, _ = make_fund(**accepts)
    make = pledge_money if kind == "money" else pledge_goods
    assert _code(make, fund) == code


def test_perishable_goods_need_an_expiry_date(make_fund, pledge_goods, make_user, now):
    fund, _ = make_fund()
    assert _code(pledge_goods, fund, 5, category="grain_oil", item="玉米油",
                 unit="barrel") == "expiry_required"
    lines = [{"category": "grain_oil", "item": "玉米油", "unit": "barrel", "quantity": 5,
              "expires_on": local(now).date()}]
    assert _code(pledges.create_pledge, fund, {"kind": "goods", "lines": lines},
                 actor=make_user(), now=now) == "already_expired"
    lines[0]["expires_on"] = local(now).date() + timedelta(days=180)
    p = pledges.create_pledge(fund, {"kind": "goods", "lines": lines}, actor=make_user(),
                              now=now)
    assert p.lines[0].expires_on == lines[0]["expires_on"]


def test_create_fund_needs_a_charity_host_and_a_node_the_actor_oversees(
        make_node, make_org, make_user, grant, now):
    village = make_node(name="魏庄村", kind="village")
    coordinator = make_user(name="镇协调员")
    grant(coordinator, "coordinator", village.parent)
    charity = make_org(name="魏善庄镇慈善协会", node=village.parent, kind="charity")
    data = {"kind": "campaign", "title": "冬衣暖心行动", "purpose": "冬衣", "node_id": village.id,
            "host_id": charity.id}
    social = make_org(node=village.parent, kind="social_org")
    assert _code(funds.create_fund, {**data, "host_id": social.id}, actor=coordinator,
                 now=now) == "host_not_charity"
    charity_off = make_org(node=village.parent, kind="charity")
    charity_off.active = False
    assert _code(funds.create_fund, {**data, "host_id": charity_off.id}, actor=coordinator,
                 now=now) == "host_not_charity"
    elsewhere = make_node(name="别的村", kind="village")
    assert _code(funds.create_fund, {**data, "node_id": elsewhere.id}, actor=coordinator,
                 now=now) == "not_fund_manager"
    resident = make_user()
    assert _code(funds.create_fund, data, actor=resident, now=now) == "not_fund_manager"
    assert _code(funds.create_fund, {**data, "accepts_money": False, "accepts_goods": False},
                 actor=coordinator, now=now) == "accepts_nothing"
    fund = funds.create_fund(data, actor=coordinator, now=now)
    assert (fund.host_id, fund.node_id, fund.status) == (charity.id, village.id, "open")
    assert funds.get_fund(fund.id) is fund
    assert _code(funds.get_fund, fund.id + 1000) == "fund_not_found"


def test_references_are_found_however_they_are_typed(money):
    _, _, _, p = money
    typed = " " + "-".join([p.reference[:3], p.reference[3:]]).lower() + " "
    assert pledges.by_reference(typed) is p
    assert _code(pledges.by_reference, "ZZZZZ1") == "reference_not_found"
    assert _code(pledges.by_reference, "") == "reference_not_found"
    assert set(p.reference) <= set(pledges.ALPHABET)
