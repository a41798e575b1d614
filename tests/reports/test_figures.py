"""A known world, built through the services, and every figure of the dashboard checked
exactly: for each place (its subtree only, never a sibling branch), each stored period,
the period before, the children, a custom run of months, and a rebuild from scratch
giving the same rows as the incremental refresh."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from server.extensions import db
from server.hours import ledger, review
from server.reports import figures, programmes, rollups
from server.reports.models import StatValue
from server.reports.periods import parse
from server.scheduler import jobs
from tests.reports.conftest import OCTOBER


def _figures(node, period):
    return figures.read([node.id], parse(period))[node.id]


EXPECTED_SEPTEMBER = {
    # place: activities, person_times, volunteers, minutes, organisations, community_orgs,
    #        linked3
    "district": (3, 4, 3, 40 + 90 + 120 + 45, 3, 2, 2),
    "town": (2, 2, 2, 120 + 45, 2, 1, 1),
    "street": (1, 2, 2, 40 + 90, 1, 1, 1),
    "yunhe": (1, 2, 2, 130, 1, 1, 1),
    "dongzao": (0, 0, 0, 0, 0, 0, 0),
    "other": (1, 1, 1, 170, 1, 1, 0),
}


def test_every_figure_of_every_place_for_september(world):
    assert rollups.rebuild(now=OCTOBER) > 0
    for place, (acts, times, people, minutes, orgs, local, linked3) in (
            EXPECTED_SEPTEMBER.items()):
        f = _figures(getattr(world, place), "2026-09")
        got = (f.activities, f.get("person_times"), f.get("volunteers"), f.get("minutes"),
               f.get("organisations"), f.get("community_orgs"), f.get("linked3"))
        assert got == (acts, times, people, minutes, orgs, local, linked3), place
    district = _figures(world.district, "2026-09")
    assert district.by_kind["lecture"] == 1 and district.by_kind["home_visit"] == 1
    assert district.by_kind["charity_festival"] == 1 and district.by_kind["training"] == 0
    assert district.forces == {"community": 2, "social_workers": 2, "organisations": 1,
                               "volunteers": 3, "charity": 2}
    assert district.hours == Decimal("4.9")  # 295 minutes
    # money: the standing pledge only; what arrived and what went out, cash and goods apart
    assert district.yuan("money_pledged") == Decimal("500.00")
    assert district.yuan("money_received") == Decimal("200.00")
    assert district.yuan("money_distributed") == Decimal("100.00")
    assert (district.get("goods_received"), district.yuan("goods_received_value")) == (
        10, Decimal("150.00"))
    assert (district.get("goods_distributed"), district.yuan("goods_distributed_value")) == (
        4, Decimal("60.00"))
    # the fund is 魏庄村's: its street sibling sees none of it
    assert _figures(world.street, "2026-09").yuan("money_received") == 0
    assert _figures(world.town, "2026-09").yuan("money_received") == Decimal("200.00")


def test_quarter_year_the_month_before_and_a_custom_run(world):
    rollups.rebuild(now=OCTOBER)
    q3 = _figures(world.district, "2026-Q3")
    # August adds 乙 once more (a second person-time, the same person)
    assert (q3.activities, q3.get("person_times"), q3.get("volunteers")) == (4, 5, 3)
    assert q3.get("minutes") == 295 + 45
    assert _figures(world.district, "2026").get("person_times") == 5
    august = _figures(world.yunhe, "2026-08")
    assert (august.activities, august.get("person_times"), august.get("minutes")) == (1, 1, 45)
    custom = figures.read([world.district.id], parse("2026-08..2026-09"))[world.district.id]
    assert custom.values == q3.values  # the same months, added up on request
    assert _figures(world.district, "2026-10").values == {}


def test_coverage_and_children(world):
    rollups.rebuild(now=OCTOBER)
    assert (figures.coverage(world.district).places,
            figures.coverage(world.district).with_station) == (3, 2)
    assert figures.coverage(world.town).share == Decimal("50")
    found = figures.read([world.town.id, world.street.id], parse("2026-09"))
    assert found[world.town.id].activities + found[world.street.id].activities == 3


def test_the_scheduler_keeps_them_current_and_a_rebuild_agrees(world, make_user):
    first = jobs.stats(OCTOBER + timedelta(hours=1))  # the first run computes everything
    assert first.done > 0
    assert _figures(world.district, "2026-09").get("minutes") == 295
    # a decision later on: the next run recomputes September (and its quarter and year)
    later = OCTOBER + timedelta(days=1)
    entry = db.session.scalar(select(ledger.HourEntry).where(
        ledger.HourEntry.user_id == world.people["丁"].id))
    review.approve(entry.id, reviewer=world.reviewer, now=later)
    periods, _ = rollups.to_refresh(now=later + timedelta(minutes=1))
    assert {p.key for p in periods} == {"2026-09", "2026-Q3", "2026"}
    assert jobs.stats(later + timedelta(minutes=1)).done == 3
    district = _figures(world.district, "2026-09")
    assert (district.get("minutes"), district.get("person_times"),
            district.get("volunteers")) == (295 + 120, 5, 4)
    # what changed just before a run is read once more by the next (OVERLAP), then no more
    assert jobs.stats(later + timedelta(minutes=15)).done == 3
    assert jobs.stats(later + timedelta(minutes=30)).done == 0
    kept = sorted(tuple(r) for r in db.session.execute(
        select(StatValue.node_id, StatValue.period, StatValue.metric, StatValue.key,
               StatValue.value)))
    rollups.rebuild(now=later + timedelta(hours=1))
    rebuilt = sorted(tuple(r) for r in db.session.execute(
        select(StatValue.node_id, StatValue.period, StatValue.metric, StatValue.key,
               StatValue.value)))
    assert kept == rebuilt


def test_programme_figures_per_place_and_over_its_life(world):
    rollups.rebuild(now=OCTOBER)
    mums = world.mums.id

    def of(place, period):
        found = programmes.from_values(_figures(getattr(world, place), period).values)
        f = found.get(mums)
        return None if f is None else (f.activities, f.person_times, f.participants,
                                       f.minutes)
    # the September session: 甲 40 (after the adjustment) and 乙 90; 丙 rejected
    assert of("yunhe", "2026-09") == (1, 2, 2, 130)
    assert of("district", "2026-09") == (1, 2, 2, 130)
    assert of("town", "2026-09") is None  # none of it is the town's
    assert of("other", "2026-09") is None
    assert of("district", "2026-08") == (1, 1, 1, 45)
    # a quarter: 乙 came twice, so three person-times but two people
    assert of("district", "2026-Q3") == (2, 3, 2, 175)
    assert of("district", "2026-08..2026-09") == (2, 3, 2, 175)  # computed on request
    life = programmes.totals([mums])[mums]
    assert (life.activities, life.person_times, life.participants, life.minutes) == (
        2, 3, 2, 175)
    assert life.hours == Decimal("2.9")


def test_a_reversal_found_the_next_month_nets_out_in_the_month_of_the_error(world):
    """The September payout and hand-out were wrong, found and reversed in October:
    September's figures net to nothing, and October's are not negative."""
    from server.donations.movements import Distribution
    from server.donations.services import distribute
    found = OCTOBER + timedelta(days=10)
    for dist in db.session.scalars(select(Distribution).order_by(Distribution.id)).all():
        distribute.reverse(dist, actor=world.reviewer, reason="登记有误", now=found)
    rollups.rebuild(now=found)
    for month in ("2026-09", "2026-10"):
        district = _figures(world.district, month)
        assert (district.yuan("money_distributed"), district.get("goods_distributed"),
                district.yuan("goods_distributed_value")) == (0, 0, 0), month
