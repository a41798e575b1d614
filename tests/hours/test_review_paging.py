"""The review queue a page of activities at a time: the same groups, entries and rules,
with page links and totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.core import clock
from server.hours import deadlines, ledger, review
from tests.hours.test_api import make_held  # noqa: F401 - the shared fixture
from tests.pages import EN, login, text


def _three_more(w, make_activity, give_place, now):
    """Three more finished activities of the organiser's, each with one 补录 waiting."""
    person = w.people["王小红"]
    made = []
    for i in range(3):
        past = make_activity(org=w.org, starts_in=timedelta(days=-3 - i), hours=2,
                             status="finished", title=f"往期活动{i}")
        give_place(past, person)
        ledger.file_for(actor=w.organiser, activity=past, phone=person.phone, minutes=60,
                        evidence="签到表为证", now=now)
        made.append(past)
    return made


def test_the_queue_pages_by_activity_soonest_due_first(make_held, make_activity,  # noqa: F811
                                                       give_place, now):
    w = make_held()
    older = _three_more(w, make_activity, give_place, now)
    first = review.queue(w.coordinator, today=clock.today(), per_page=2)
    assert (first.total, first.pages) == (4, 2)
    assert [g.activity.id for g in first.groups] == [older[2].id, older[1].id]
    last = review.queue(w.coordinator, today=clock.today(), page=2, per_page=2)
    assert [g.activity.id for g in last.groups] == [older[0].id, w.activity.id]
    # the held activity's group keeps all its entries, and what "approve all" would take
    [held] = [g for g in last.groups if g.activity.id == w.activity.id]
    assert sorted(e.user.name for e in held.entries) == ["李大伟", "王小红"]
    assert len(review.bulk_approvable(held.entries, w.coordinator, held.helped)) == 2
    assert review.queue(w.coordinator, today=clock.today(), page=3, per_page=2).groups == []


def test_a_shared_due_date_keeps_the_order_of_the_ends_on_a_page_and_across_pages(
        make_held, make_activity, give_place, now):  # noqa: F811
    # ended on Saturday 14 and Sunday 15 November 2026 (10:00 in Beijing): both due ten
    # working days later, on Friday 27 November; the Sunday one made first (the lower id)
    w = make_held()
    person = w.people["王小红"]
    ended = {}
    for day in (15, 14):
        start = datetime(2026, 11, day, 0, 0, tzinfo=UTC)
        ended[day] = make_activity(org=w.org, starts_in=start - now, hours=2,
                                   status="finished", title=f"十一月{day}日")
        give_place(ended[day], person)
        ledger.file_for(actor=w.organiser, activity=ended[day], phone=person.phone,
                        minutes=60, evidence="签到表为证", now=now)
    assert deadlines.due_date(ended[14]) == deadlines.due_date(ended[15])
    today = clock.today()
    both = review.queue(w.coordinator, today=today, per_page=2)
    assert [g.activity.id for g in both.groups] == [ended[14].id, ended[15].id]
    one_by_one = [review.queue(w.coordinator, today=today, page=p, per_page=1).groups[0]
                  for p in (1, 2)]
    assert [g.activity.id for g in one_by_one] == [ended[14].id, ended[15].id]


def test_the_page_and_the_api_link_and_count_the_pages(app, api, make_held,  # noqa: F811
                                                       make_activity, give_place, now):
    w = make_held()
    _three_more(w, make_activity, give_place, now)
    client = app.test_client()
    login(client, w.coordinator)
    page = text(client.get("/review/hours?per_page=3", headers=EN))
    group = '<section class="review-group'
    assert "Page 1 of 2" in page and "page=2" in page and page.count(group) == 3
    second = text(client.get("/review/hours?per_page=3&page=2", headers=EN))
    assert "Page 2 of 2" in second and second.count(group) == 1
    assert f'id="group-{w.activity.id}"' in second
    api.login(w.coordinator)
    body = api.get("/api/v1/hours/review?per_page=3&page=2").get_json()
    assert (body["total"], body["page"], body["per_page"], body["pages"]) == (4, 2, 3, 2)
    assert [g["activity"]["id"] for g in body["groups"]] == [w.activity.id]
    assert len(body["groups"][0]["entries"]) == 2
