"""Who may call which staff or mutating endpoint, on their own part of the tree and another's.

The tree:                       大兴区 (district)  ← admin_district
                      ┌────────────┴────────────┐
     coordinator_a →  A街道 (street)            B街道 (street)  ← admin_b
                      │                          │
                      A社区 (community)          B社区 (community)
                      org A ← organiser_a        org B
                      charity A ← organiser_a    charity B
                      fund A (hosted by charity A, serving A社区)
                                                 fund B (charity B, B社区)

Each row of MATRIX is (actor, method, url_factory, expected_status); url_factory takes
the world and returns the URL, and BODIES gives the JSON to send for writes.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from server.accounts import family
from server.activities import signups
from server.donations.services import funds, intake, pledges
from server.extensions import db

ACTORS = ("anon", "resident", "organiser_a", "coordinator_a", "admin_district", "admin_b")
NEWCOMER_PHONE = "13512340000"


@pytest.fixture
def world(make_node, make_org, make_user, make_activity, grant, now):
    w = SimpleNamespace(now=now)
    w.district = make_node(name="大兴区", kind="district")
    w.street_a = make_node(name="A街道", kind="street", parent=w.district)
    w.street_b = make_node(name="B街道", kind="street", parent=w.district)
    w.community_a = make_node(name="A社区", parent=w.street_a)
    w.community_b = make_node(name="B社区", parent=w.street_b)
    w.org_a = make_org(name="A社工站", node=w.community_a)
    w.org_b = make_org(name="B志愿队", node=w.community_b)

    w.anon = None
    w.resident = make_user(name="居民甲", home_node=w.community_a)
    w.resident_b = make_user(name="居民乙", home_node=w.community_b)
    w.organiser_a = make_user(name="组织者A")
    grant(w.organiser_a, "organiser", w.community_a, organisation=w.org_a)
    w.coordinator_a = make_user(name="协调员A")
    grant(w.coordinator_a, "coordinator", w.street_a)
    w.admin_district = make_user(name="区管理员")
    grant(w.admin_district, "admin", w.district)
    w.admin_b = make_user(name="B街道管理员")
    grant(w.admin_b, "admin", w.street_b)
    w.newcomer = make_user(name="新人", phone=NEWCOMER_PHONE)
    w.grant_a = grant(make_user(name="A社区协调员"), "coordinator", w.community_a)
    w.grant_b = grant(make_user(name="B社区协调员"), "coordinator", w.community_b)

    for side, org, days in (("a", w.org_a, 3), ("b", w.org_b, 4)):
        setattr(w, f"act_{side}", make_activity(org=org, title=f"讲堂{side}",
                                                starts_in=timedelta(days=days)))
        setattr(w, f"draft_{side}", make_activity(org=org, status="draft"))
        setattr(w, f"started_{side}", make_activity(org=org, starts_in=timedelta(hours=-1)))
        volunteer = make_user(name=f"志愿者{side}", home_node=org.node)
        setattr(w, f"signup_{side}", signups.sign_up(
            getattr(w, f"act_{side}").id, user=volunteer, now=now))
    w.own_signup = signups.sign_up(w.act_a.id, user=w.resident, now=now)
    w.member = family.add_member(w.resident, name="居民甲的孩子", relation="child",
                                 birth_date=None, now=now, consent=True)

    # donations: a fund on each side; organiser_a also organises for fund A's host charity
    w.charity_a = make_org(name="A慈善会", node=w.community_a, kind="charity")
    w.charity_b = make_org(name="B慈善会", node=w.community_b, kind="charity")
    grant(w.organiser_a, "organiser", w.community_a, organisation=w.charity_a)
    donor = make_user(name="捐赠人")
    for side, runner in (("a", w.coordinator_a), ("b", w.admin_b)):
        fund = funds.create_fund(
            {"kind": "fund", "title": f"基金{side}", "purpose": "救助",
             "host_id": getattr(w, f"charity_{side}").id,
             "node_id": getattr(w, f"community_{side}").id}, actor=runner, now=now)
        setattr(w, f"fund_{side}", fund)
        setattr(w, f"pledge_{side}", pledges.create_pledge(
            fund, {"kind": "money", "amount": Decimal("50.00")}, actor=donor, now=now))
        paid = pledges.create_pledge(fund, {"kind": "money", "amount": Decimal("50.00")},
                                     actor=donor, now=now)
        setattr(w, f"receipt_{side}", intake.record(
            paid, {"version": 0, "amount": Decimal("50.00"), "receipt_waived": True},
            actor=runner, now=now))
    w.own_pledge = pledges.create_pledge(w.fund_a, {"kind": "money", "amount": Decimal("20")},
                                         actor=w.resident, now=now)
    db.session.flush()
    return w


def _activity_body(w, org):
    start = w.now + timedelta(days=10)
    return {"organisation_id": org.id, "title": "入户走访", "kind": "home_visit",
            "place": "社区服务站", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 5}


# the JSON each write sends, by (method, url template); reads send nothing
BODIES = {
    ("POST", "/api/v1/activities"): lambda w, url: _activity_body(
        w, w.org_a if url.endswith("#a") else w.org_b),
    ("PATCH", "/api/v1/activities/{}"): lambda w, url: {"capacity": 12},
    ("POST", "/api/v1/residents"): lambda w, url: {
        "name": "刘奶奶", "phone": "13600001111", "consent": True,
        "home_node_id": (w.community_a if url.endswith("#a") else w.community_b).id},
    ("POST", "/api/v1/activities/{}/signups"): lambda w, url: {
        "member_id": w.member.id} if url.endswith("#member") else {},
    ("POST", "/api/v1/activities/{}/cancel"): lambda w, url: {"reason": "场地维修"},
    ("POST", "/api/v1/signups/{}/remove"): lambda w, url: {"reason": "重复报名"},
    ("POST", "/api/v1/roles"): lambda w, url: {
        "user_phone": NEWCOMER_PHONE, "role": "coordinator",
        "node_id": (w.community_a if url.endswith("#a") else w.community_b).id},
    ("POST", "/api/v1/nodes"): lambda w, url: {
        "parent_id": None if url.endswith("#root") else (
            w.street_a if url.endswith("#a") else w.street_b).id,
        "kind": "district" if url.endswith("#root") else "community", "name": "新社区"},
    ("PATCH", "/api/v1/nodes/{}"): lambda w, url: {"platform_name": "社工站"},
    ("POST", "/api/v1/organisations"): lambda w, url: {
        "node_id": (w.community_a if url.endswith("#a") else w.community_b).id,
        "kind": "volunteer_team", "name": "新志愿队"},
    ("PATCH", "/api/v1/organisations/{}"): lambda w, url: {"description": "改过了"},
    ("POST", "/api/v1/funds/{}/pledges"): lambda w, url: {"kind": "money", "amount": "10"},
    ("POST", "/api/v1/me/pledges/{}/withdraw"): lambda w, url: {"reason": "重复提交"},
    ("POST", "/api/v1/desk/funds"): lambda w, url: {
        "kind": "campaign", "title": "冬衣募集", "purpose": "送羽绒服",
        "host_id": (w.charity_a if url.endswith("#a") else w.charity_b).id,
        "node_id": (w.community_a if url.endswith("#a") else w.community_b).id},
    ("PATCH", "/api/v1/desk/funds/{}"): lambda w, url: {"title": "改名"},
    ("POST", "/api/v1/desk/funds/{}/pledges"): lambda w, url: {
        "kind": "money", "amount": "10", "donor_name": "赵奶奶"},
    ("POST", "/api/v1/desk/funds/{}/batches"): lambda w, url: {
        "expected_count": 1, "receipt_waived": True,
        "items": [{"reference": w.pledge_a.reference, "amount": "50.00"}]},
    ("POST", "/api/v1/desk/funds/{}/distributions"): lambda w, url: {
        "kind": "money", "amount": "10.00", "recipient_kind": "household",
        "recipient_name": "张三", "decision_ref": "〔2026〕1号", "purpose": "救助",
        "signed_by": "张三", "nonce": url},
    ("POST", "/api/v1/desk/pledges/{}/cancel"): lambda w, url: {"reason": "联系不上"},
    ("POST", "/api/v1/desk/pledges/{}/receipts"): lambda w, url: {
        "version": 0, "amount": "50.00", "receipt_waived": True},
    ("POST", "/api/v1/desk/fulfilments/{}/reverse"): lambda w, url: {"reason": "录错了"},
}


def expect(method, url_factory, **statuses):
    """One endpoint's row for every actor; refuses a row that forgets someone."""
    assert set(statuses) == set(ACTORS), url_factory
    return [(actor, method, url_factory, statuses[actor]) for actor in ACTORS]


MATRIX = [
    # Roster: the organisation's organisers, coordinators and admins above the place
    *expect("GET", lambda w: f"/api/v1/activities/{w.act_a.id}/roster", anon=401, resident=403,
            organiser_a=200, coordinator_a=200, admin_district=200, admin_b=403),
    *expect("GET", lambda w: f"/api/v1/activities/{w.act_b.id}/roster", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
    # Feedback summaries: as the roster (the comments carry no names, but are for staff)
    *expect("GET", lambda w: f"/api/v1/activities/{w.act_a.id}/feedback", anon=401,
            resident=403, organiser_a=200, coordinator_a=200, admin_district=200, admin_b=403),
    *expect("GET", lambda w: f"/api/v1/activities/{w.act_b.id}/feedback", anon=401,
            resident=403, organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
    # The management list: anyone holding a role (its content is checked below)
    *expect("GET", lambda w: "/api/v1/activities/manage", anon=401, resident=403,
            organiser_a=200, coordinator_a=200, admin_district=200, admin_b=200),
    # Creating an activity: organisers for their organisation, admins above it
    *expect("POST", lambda w: "/api/v1/activities#a", anon=401, resident=403,
            organiser_a=201, coordinator_a=403, admin_district=201, admin_b=403),
    *expect("POST", lambda w: "/api/v1/activities#b", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=201, admin_b=201),
    # Changing, cancelling, finishing: managers only; coordinators oversee but do not manage
    *expect("PATCH", lambda w: f"/api/v1/activities/{w.act_a.id}", anon=401, resident=403,
            organiser_a=200, coordinator_a=403, admin_district=200, admin_b=403),
    *expect("PATCH", lambda w: f"/api/v1/activities/{w.act_b.id}", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
    *expect("POST", lambda w: f"/api/v1/activities/{w.act_a.id}/cancel", anon=401,
            resident=403, organiser_a=200, coordinator_a=403, admin_district=200, admin_b=403),
    *expect("POST", lambda w: f"/api/v1/activities/{w.act_b.id}/cancel", anon=401,
            resident=403, organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
    *expect("POST", lambda w: f"/api/v1/activities/{w.started_a.id}/finish", anon=401,
            resident=403, organiser_a=200, coordinator_a=403, admin_district=200, admin_b=403),
    *expect("POST", lambda w: f"/api/v1/activities/{w.started_b.id}/finish", anon=401,
            resident=403, organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
    # Publishing a draft: a draft does not exist (404) for anyone who cannot oversee it
    *expect("POST", lambda w: f"/api/v1/activities/{w.draft_a.id}/publish", anon=401,
            resident=404, organiser_a=200, coordinator_a=403, admin_district=200, admin_b=404),
    *expect("POST", lambda w: f"/api/v1/activities/{w.draft_b.id}/publish", anon=401,
            resident=404, organiser_a=404, coordinator_a=404, admin_district=200, admin_b=200),
    # Removing someone's sign-up: managers of the activity
    *expect("POST", lambda w: f"/api/v1/signups/{w.signup_a.id}/remove", anon=401,
            resident=403, organiser_a=200, coordinator_a=403, admin_district=200, admin_b=403),
    *expect("POST", lambda w: f"/api/v1/signups/{w.signup_b.id}/remove", anon=401,
            resident=403, organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
    # Signing up: anyone logged in; withdrawing: only one's own (others' do not exist)
    *expect("POST", lambda w: f"/api/v1/activities/{w.act_b.id}/signups", anon=401,
            resident=201, organiser_a=201, coordinator_a=201, admin_district=201, admin_b=201),
    *expect("POST", lambda w: f"/api/v1/signups/{w.own_signup.id}/withdraw", anon=401,
            resident=200, organiser_a=404, coordinator_a=404, admin_district=404, admin_b=404),
    # Family members: one's own (someone else's does not exist), signed up by oneself only
    *expect("GET", lambda w: f"/api/v1/me/family/{w.member.id}", anon=401, resident=200,
            organiser_a=404, coordinator_a=404, admin_district=404, admin_b=404),
    *expect("POST", lambda w: f"/api/v1/activities/{w.act_b.id}/signups#member", anon=401,
            resident=201, organiser_a=404, coordinator_a=404, admin_district=404, admin_b=404),
    # Registering a resident on their behalf: staff, in a community of their subtree
    *expect("POST", lambda w: "/api/v1/residents#a", anon=401, resident=403, organiser_a=201,
            coordinator_a=201, admin_district=201, admin_b=403),
    *expect("POST", lambda w: "/api/v1/residents#b", anon=401, resident=403, organiser_a=403,
            coordinator_a=403, admin_district=201, admin_b=201),
    # People: coordinators and admins (who appears is checked below)
    *expect("GET", lambda w: "/api/v1/people", anon=401, resident=403, organiser_a=403,
            coordinator_a=200, admin_district=200, admin_b=200),
    # Roles: admins, on their own subtree
    *expect("GET", lambda w: "/api/v1/roles", anon=401, resident=403, organiser_a=403,
            coordinator_a=403, admin_district=200, admin_b=200),
    *expect("POST", lambda w: "/api/v1/roles#a", anon=401, resident=403, organiser_a=403,
            coordinator_a=403, admin_district=201, admin_b=403),
    *expect("POST", lambda w: "/api/v1/roles#b", anon=401, resident=403, organiser_a=403,
            coordinator_a=403, admin_district=201, admin_b=201),
    *expect("DELETE", lambda w: f"/api/v1/roles/{w.grant_a.id}", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=204, admin_b=403),
    *expect("DELETE", lambda w: f"/api/v1/roles/{w.grant_b.id}", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=204, admin_b=204),
    # The tree: admins below their node; a new district needs a top-level admin
    *expect("POST", lambda w: "/api/v1/nodes#a", anon=401, resident=403, organiser_a=403,
            coordinator_a=403, admin_district=201, admin_b=403),
    *expect("POST", lambda w: "/api/v1/nodes#b", anon=401, resident=403, organiser_a=403,
            coordinator_a=403, admin_district=201, admin_b=201),
    *expect("POST", lambda w: "/api/v1/nodes#root", anon=401, resident=403, organiser_a=403,
            coordinator_a=403, admin_district=201, admin_b=403),
    *expect("PATCH", lambda w: f"/api/v1/nodes/{w.community_a.id}", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=200, admin_b=403),
    *expect("PATCH", lambda w: f"/api/v1/nodes/{w.community_b.id}", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
    # Organisations: admins above the place
    *expect("POST", lambda w: "/api/v1/organisations#a", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=201, admin_b=403),
    *expect("POST", lambda w: "/api/v1/organisations#b", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=201, admin_b=201),
    *expect("PATCH", lambda w: f"/api/v1/organisations/{w.org_a.id}", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=200, admin_b=403),
    *expect("PATCH", lambda w: f"/api/v1/organisations/{w.org_b.id}", anon=401, resident=403,
            organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
    # Donations in public: anyone reads a fund; anyone logged in pledges; withdrawing is
    # the donor's alone (someone else's pledge does not exist)
    *expect("GET", lambda w: f"/api/v1/funds/{w.fund_b.id}", anon=200, resident=200,
            organiser_a=200, coordinator_a=200, admin_district=200, admin_b=200),
    *expect("POST", lambda w: f"/api/v1/funds/{w.fund_b.id}/pledges", anon=401, resident=201,
            organiser_a=201, coordinator_a=201, admin_district=201, admin_b=201),
    *expect("POST", lambda w: f"/api/v1/me/pledges/{w.own_pledge.id}/withdraw", anon=401,
            resident=200, organiser_a=404, coordinator_a=404, admin_district=404, admin_b=404),
    # The donations desk: a fund's managers (coordinators and admins above its place, the
    # host charity's organisers). Naming another's fund is 403; its pledges and receipts
    # hold donors' details and do not exist for others (404).
    *expect("GET", lambda w: "/api/v1/desk/pledges", anon=401, resident=403, organiser_a=200,
            coordinator_a=200, admin_district=200, admin_b=200),
    *expect("GET", lambda w: "/api/v1/desk/funds", anon=401, resident=403, organiser_a=200,
            coordinator_a=200, admin_district=200, admin_b=200),
    *expect("GET", lambda w: f"/api/v1/desk/pledges?fund_id={w.fund_a.id}", anon=401,
            resident=403, organiser_a=200, coordinator_a=200, admin_district=200, admin_b=403),
    *expect("GET", lambda w: f"/api/v1/desk/pledges/{w.pledge_a.id}", anon=401, resident=403,
            organiser_a=200, coordinator_a=200, admin_district=200, admin_b=404),
    *expect("POST", lambda w: f"/api/v1/desk/pledges/{w.pledge_a.id}/accept", anon=401,
            resident=403, organiser_a=200, coordinator_a=200, admin_district=200, admin_b=404),
    *expect("POST", lambda w: f"/api/v1/desk/pledges/{w.pledge_b.id}/cancel", anon=401,
            resident=403, organiser_a=404, coordinator_a=404, admin_district=200, admin_b=200),
    *expect("POST", lambda w: f"/api/v1/desk/pledges/{w.pledge_a.id}/receipts", anon=401,
            resident=403, organiser_a=201, coordinator_a=201, admin_district=201, admin_b=404),
    *expect("POST", lambda w: f"/api/v1/desk/fulfilments/{w.receipt_b.id}/reverse", anon=401,
            resident=403, organiser_a=404, coordinator_a=404, admin_district=201, admin_b=201),
    *expect("POST", lambda w: f"/api/v1/desk/funds/{w.fund_a.id}/batches", anon=401,
            resident=403, organiser_a=201, coordinator_a=201, admin_district=201, admin_b=403),
    *expect("POST", lambda w: f"/api/v1/desk/funds/{w.fund_b.id}/pledges", anon=401,
            resident=403, organiser_a=403, coordinator_a=403, admin_district=201, admin_b=201),
    *expect("GET", lambda w: f"/api/v1/desk/funds/{w.fund_a.id}/distributions", anon=401,
            resident=403, organiser_a=200, coordinator_a=200, admin_district=200, admin_b=403),
    *expect("POST", lambda w: f"/api/v1/desk/funds/{w.fund_b.id}/distributions", anon=401,
            resident=403, organiser_a=403, coordinator_a=403, admin_district=201, admin_b=201),
    *expect("GET", lambda w: f"/api/v1/desk/funds/{w.fund_b.id}/stock", anon=401,
            resident=403, organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
    # Opening a fund: coordinators and admins above the place (not the host's organisers)
    *expect("POST", lambda w: "/api/v1/desk/funds#a", anon=401, resident=403, organiser_a=403,
            coordinator_a=201, admin_district=201, admin_b=403),
    *expect("POST", lambda w: "/api/v1/desk/funds#b", anon=401, resident=403, organiser_a=403,
            coordinator_a=403, admin_district=201, admin_b=201),
    *expect("PATCH", lambda w: f"/api/v1/desk/funds/{w.fund_a.id}", anon=401, resident=403,
            organiser_a=200, coordinator_a=200, admin_district=200, admin_b=403),
    *expect("POST", lambda w: f"/api/v1/desk/funds/{w.fund_b.id}/close", anon=401,
            resident=403, organiser_a=403, coordinator_a=403, admin_district=200, admin_b=200),
]


def _template(url: str) -> str:
    """/api/v1/activities/12/cancel#a -> /api/v1/activities/{}/cancel"""
    path = url.split("#")[0]
    return "/".join("{}" if part.isdigit() else part for part in path.split("/"))


class _Names:
    """Stands in for the world when naming rows: each object's id is its name."""

    def __getattr__(self, name):
        return SimpleNamespace(id=name)


def _row_id(row) -> str:
    actor, method, url_factory, status = row
    return f"{actor}-{method}-{url_factory(_Names()).removeprefix('/api/v1/')}-{status}"


@pytest.mark.parametrize(("actor", "method", "url_factory", "expected"), MATRIX,
                         ids=[_row_id(row) for row in MATRIX])
def test_permission(api, world, actor, method, url_factory, expected):
    if actor != "anon":
        api.login(getattr(world, actor))
    url = url_factory(world)
    body_factory = BODIES.get((method, _template(url)))
    resp = api.open(url.split("#")[0], method=method,
                    json=body_factory(world, url) if body_factory else None)
    assert resp.status_code == expected, resp.get_json()
    if expected >= 400:
        assert resp.get_json()["status"] == expected
        assert resp.get_json()["code"] in {"login_required", "forbidden", "activity_not_found",
                                           "signup_not_found", "not_fund_manager",
                                           "pledge_not_found", "fulfilment_not_found",
                                           "member_not_found", "node_out_of_scope"}


@pytest.mark.parametrize(("actor", "visible", "hidden"), [
    ("coordinator_a", {"居民甲", "志愿者a"}, {"居民乙", "志愿者b"}),
    ("admin_b", {"居民乙", "志愿者b"}, {"居民甲", "志愿者a"}),
    ("admin_district", {"居民甲", "居民乙", "志愿者a", "志愿者b"}, set()),
])
def test_people_list_stays_inside_the_actors_tree(api, world, actor, visible, hidden):
    api.login(getattr(world, actor))
    names = {p["name"] for p in api.get("/api/v1/people").get_json()}
    assert visible <= names
    assert not names & hidden


@pytest.mark.parametrize(("actor", "visible", "hidden"), [
    ("organiser_a", {"act_a", "draft_a", "started_a"}, {"act_b", "draft_b", "started_b"}),
    ("coordinator_a", {"act_a", "draft_a", "started_a"}, {"act_b", "draft_b", "started_b"}),
    ("admin_b", {"act_b", "draft_b", "started_b"}, {"act_a", "draft_a", "started_a"}),
])
def test_manage_list_stays_inside_the_actors_tree(api, world, actor, visible, hidden):
    api.login(getattr(world, actor))
    ids = {a["id"] for a in api.get("/api/v1/activities/manage").get_json()["items"]}
    assert {getattr(world, name).id for name in visible} <= ids
    assert not ids & {getattr(world, name).id for name in hidden}
