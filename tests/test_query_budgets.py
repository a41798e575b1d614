"""Query budgets (issue 15): each main page and API list costs a fixed number of SQL
statements, whatever the number of rows it shows. Two worlds are built with the services
the other tests use, one with 3 of everything and one with 30; each page is requested as
the person who uses it, its statements counted (a before_cursor_execute listener), and the
count must stay within its budget and be the same in both worlds."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from server.activities import signups
from server.core import clock
from server.donations.services import distribute
from server.extensions import db
from server.hours import ledger, review
from tests.donations.conftest import make_fund, pledge_money, receive  # noqa: F401
from tests.donations.test_distribute import payout
from tests.hours.test_api import make_held  # noqa: F401
from tests.pages import EN, login

SMALL, LARGE = 3, 30
DEBUG = False
# the test's own transaction wraps each request in a savepoint: not the app's statements
HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")

# statements per request, logged-in session included (measured on both databases, then a
# little room: the activity list and the scanner belong to work in progress elsewhere).
# The login no longer joins its roles (the scan's hot path does not need them): a page that
# asks "is this person staff?" reads them in one query of its own, hence 8 and 11 below.
BUDGETS = {
    "activity list page": 9,
    "activity list API": 5,
    "activity page": 8,
    "activity API": 6,
    "my hours page": 8,  # + the family members one manages (a tab each)
    "my hours API": 5,
    "my pledges page": 8,
    "my pledges API": 7,
    "my pledge page": 13,
    "my pledge API": 12,
    "review queue page": 10,
    "review queue API": 9,
    "desk queue page": 11,
    "desk queue API": 9,
    "fund page": 12,
    "fund API": 12,
    "fund ledger page": 4,
    "fund ledger API": 4,
    "dashboard": 11,
    "scanner roster": 6,
}


@pytest.fixture
def world(make_held, make_activity, give_place, make_fund, make_user,  # noqa: F811
          pledge_money, receive, now):  # noqa: F811
    def build(n: int) -> SimpleNamespace:
        w = make_held(stays={}, also_attending=[make_user(name=f"志愿者{i}") for i in range(n)])
        volunteer = w.people["志愿者0"]
        # n more finished activities, each with 补录 filed by the organiser for two people
        for i in range(n):
            # after the held one, so that the first page shows both kinds of entries
            past = make_activity(org=w.org, starts_in=timedelta(days=-1, minutes=5 + i), hours=2,
                                 status="finished", title=f"过去的活动{i}")
            for person in (volunteer, w.people[f"志愿者{1 + i % (n - 1)}"]):
                give_place(past, person)
                entry = ledger.file_for(actor=w.organiser, activity=past, phone=person.phone,
                                        minutes=60, evidence="签到表为证", now=now)
                if i % 2 and person is volunteer:
                    review.approve(entry.id, reviewer=w.coordinator, now=now)
        # n upcoming activities; the first with n sign-ups
        w.upcoming = [make_activity(org=w.org, starts_in=timedelta(days=3 + i), capacity=n + 5,
                                    title=f"将来的活动{i}") for i in range(n)]
        for i in range(n):
            signups.sign_up(w.upcoming[0].id, user=w.people[f"志愿者{i}"], now=now)
        # n pledges of the volunteer, half received (in one fund, with payouts from them),
        # half still open, four to a fund (a person holds at most five open per fund)
        w.fund, _ = make_fund(node=w.community, coordinator=w.coordinator)
        open_funds = [w.fund]
        w.pledges = []
        for i in range(n):
            if i % 2 == 0:
                w.pledges.append(pledge_money(w.fund, "100.00", donor=volunteer))
                receive(w.pledges[-1], w.coordinator, amount="100.00")
                continue
            if (i // 2) // 4 >= len(open_funds):
                open_funds.append(make_fund(node=w.community, coordinator=w.coordinator,
                                            title=f"第{len(open_funds)}个基金")[0])
            w.pledges.append(pledge_money(open_funds[(i // 2) // 4], "100.00",
                                          donor=volunteer))
        for _ in range(n // 3 + 1):
            distribute.distribute(w.fund.id, payout("30.00"), actor=w.coordinator, now=now)
        w.volunteer = volunteer
        db.session.flush()
        return w
    return build


def _pages(w) -> dict[str, tuple]:
    """name -> (who asks, url)."""
    street = w.community.parent_id
    first, fund = w.pledges[0].id, w.fund.id
    return {
        "activity list page": (w.volunteer, "/"),
        "activity list API": (w.volunteer, "/api/v1/activities"),
        "activity page": (w.volunteer, f"/activities/{w.upcoming[0].id}"),
        "activity API": (w.volunteer, f"/api/v1/activities/{w.upcoming[0].id}"),
        "my hours page": (w.volunteer, "/hours"),
        "my hours API": (w.volunteer, "/api/v1/me/hours"),
        "my pledges page": (w.volunteer, "/pledges"),
        "my pledges API": (w.volunteer, "/api/v1/me/pledges"),
        "my pledge page": (w.volunteer, f"/pledges/{first}"),
        "my pledge API": (w.volunteer, f"/api/v1/me/pledges/{first}"),
        "review queue page": (w.coordinator, "/review/hours"),
        "review queue API": (w.coordinator, "/api/v1/hours/review"),
        "desk queue page": (w.coordinator, "/desk"),
        "desk queue API": (w.coordinator, "/api/v1/desk/pledges"),
        "fund page": (None, f"/funds/{fund}"),
        "fund API": (None, f"/api/v1/funds/{fund}"),
        "fund ledger page": (None, f"/funds/{fund}/ledger"),
        "fund ledger API": (None, f"/api/v1/funds/{fund}/ledger"),
        "dashboard": (w.coordinator, f"/stats/{street}"),
        "scanner roster": (w.organiser, f"/api/v1/activities/{w.upcoming[0].id}/scanner"),
    }


def _count_all(app, w) -> dict[str, int]:
    counted = {"n": 0}

    def count(_conn, _cursor, statement, *_args):
        if statement.startswith(HARNESS):
            return
        counted["n"] += 1
        if DEBUG:
            print("   ", statement[:150].replace("\n", " "))

    clients: dict = {}
    out = {}
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for name, (who, url) in _pages(w).items():
            key = who.id if who else None
            if key not in clients:
                clients[key] = app.test_client()
                if who is not None:
                    login(clients[key], who)
            client = clients[key]
            assert client.get(url, headers=EN).status_code == 200, (name, url)  # warm
            counted["n"] = 0
            resp = client.get(url, headers=EN)
            assert resp.status_code == 200, (name, url, resp.status_code)
            out[name] = counted["n"]
            if DEBUG:
                print(name, counted["n"])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return out


def test_every_main_page_costs_a_fixed_number_of_statements(app, world, monkeypatch):
    monkeypatch.setattr(clock, "now", clock.now)  # the real clock: nothing is frozen here
    first = world(SMALL)
    first.org.name += "（小）"  # the second world's make_held names its own the same
    second = world(LARGE)

    def alone(w, other):  # the public lists show one world's upcoming activities at a time
        for activity in w.upcoming:
            activity.status = "published"
        for activity in other.upcoming:
            activity.status = "draft"
        db.session.flush()
        return _count_all(app, w)
    small, large = alone(first, second), alone(second, first)
    shown = {name: (small[name], large[name], BUDGETS[name]) for name in BUDGETS}
    grows = {name: v for name, v in shown.items() if v[0] != v[1]}
    over = {name: v for name, v in shown.items() if v[1] > v[2]}
    assert not grows, f"statements grow with the rows shown (small, large, budget): {grows}"
    assert not over, f"over budget (small, large, budget): {over}"
