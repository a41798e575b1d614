"""Finding an activity: words, chips, sort, pages (server/activities/search.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from server.activities import lottery, search, signups
from server.activities.models import Programme
from server.activities.search import ActivityFilter, days_of, public_activities, words
from server.core.clock import from_local, local
from server.core.errors import WusheError
from server.extensions import db


def found(now, viewer=None, **flt):
    return [a.title for a in public_activities(ActivityFilter(**flt), now=now,
                                               viewer=viewer).items]


def filled(activity, places_taken):
    activity.confirmed_count = places_taken
    db.session.flush()
    return activity


# --- words ---------------------------------------------------------------------------------

def test_every_word_must_match_somewhere(make_activity, make_org, now):
    org = make_org(name="运河阳光社工事务所")
    make_activity(title="法律讲堂", place="运河园社区活动室", org=org)
    make_activity(title="法律咨询", place="张家湾镇")
    with_desc = make_activity(title="读书会", place="图书馆")
    with_desc.description = "邀请律师讲解法律常识"
    programme = Programme(organisation_id=org.id, name="全职妈妈成长计划", created_at=now)
    db.session.add(programme)
    db.session.flush()
    make_activity(title="手工课", place="活动室", programme_id=programme.id)
    db.session.flush()
    assert sorted(found(now, q="法律")) == ["法律咨询", "法律讲堂", "读书会"]
    assert found(now, q="法律 运河园") == ["法律讲堂"]
    assert found(now, q="法律 律师") == ["读书会"]            # description
    assert found(now, q="阳光 法律") == ["法律讲堂"]          # organisation name
    assert found(now, q="妈妈") == ["手工课"]                 # programme name
    assert found(now, q="法律 妈妈") == []


def test_words_ignore_case_and_spaces_of_any_width(make_activity, now):
    make_activity(title="Python Workshop", place="Library")
    assert found(now, q="  python\u3000LIBRARY ") == ["Python Workshop"]
    assert found(now, q="workshop　　python") == ["Python Workshop"]
    assert words(" a\u3000b  A\tc ") == ["a", "b", "c"]
    assert words("   ") == [] and words(None) == []


def test_percent_and_underscore_match_only_themselves(make_activity, now):
    make_activity(title="满意度100%调查")
    make_activity(title="满意度100调查")
    make_activity(title="a_b小组")
    make_activity(title="axb小组")
    assert found(now, q="%") == ["满意度100%调查"]
    assert found(now, q="100%") == ["满意度100%调查"]
    assert found(now, q="_") == ["a_b小组"]
    assert found(now, q="a_b") == ["a_b小组"]


def test_hostile_words_are_harmless(make_activity, now):
    make_activity(title="法律讲堂")
    # NUL and other control characters never reach the database: they separate words
    assert found(now, q="法律\x00讲堂") == ["法律讲堂"]
    assert found(now, q="\x00\x07") == ["法律讲堂"]
    assert found(now, q="'; DROP TABLE activities; --") == []
    # the service reads at most MAX_QUERY characters (the boundary refuses longer)
    long = "法律" + " " * 100 + "不存在的词"
    assert words(long) == ["法律"]
    assert found(now, q=long) == ["法律讲堂"]


# --- chips ---------------------------------------------------------------------------------

def test_kind_chip(make_activity, now):
    make_activity(title="讲座", kind="lecture")
    make_activity(title="走访", kind="home_visit")
    assert found(now, kind="home_visit") == ["走访"]


@pytest.mark.parametrize(("today", "when", "first", "after"), [
    (date(2027, 3, 10), "today", date(2027, 3, 10), date(2027, 3, 11)),     # a Wednesday
    (date(2027, 3, 10), "weekend", date(2027, 3, 13), date(2027, 3, 15)),
    (date(2027, 3, 13), "weekend", date(2027, 3, 13), date(2027, 3, 15)),   # Saturday
    (date(2027, 3, 14), "weekend", date(2027, 3, 14), date(2027, 3, 15)),   # Sunday
    (date(2027, 3, 10), "week", date(2027, 3, 10), date(2027, 3, 15)),
    (date(2027, 3, 14), "week", date(2027, 3, 14), date(2027, 3, 15)),
    (date(2027, 3, 10), "month", date(2027, 3, 10), date(2027, 4, 1)),
    (date(2027, 12, 31), "month", date(2027, 12, 31), date(2028, 1, 1)),
])
def test_date_chips_cover_these_days(today, when, first, after):
    assert days_of(when, today) == (first, after)


def _wednesday_morning(now):
    """A Wednesday 10:00 in Beijing, weeks from now, to be `now` of a search."""
    day = local(now).date() + timedelta(days=30)
    day += timedelta(days=(2 - day.weekday()) % 7)
    return from_local(datetime.combine(day, datetime.min.time()).replace(hour=10))


def test_date_chips_filter_by_beijing_days(make_activity, now):
    wed = _wednesday_morning(now)

    def at(hours, title):
        make_activity(title=title, starts_in=wed + timedelta(hours=hours) - now, hours=1)
    at(4, "今天下午")                  # Wednesday 14:00
    at(14 + 6, "周四早上")            # Thursday 06:00 Beijing
    at(3 * 24 + 2, "周六中午")        # Saturday 12:00
    at(4 * 24 + 13, "周日深夜")       # Sunday 23:00
    at(5 * 24, "下周一")
    at(40 * 24, "下个月")
    assert found(wed, when="today") == ["今天下午"]
    assert found(wed, when="weekend") == ["周六中午", "周日深夜"]
    assert found(wed, when="week") == ["今天下午", "周四早上", "周六中午", "周日深夜"]
    month = found(wed, when="month")
    assert "下个月" not in month and "今天下午" in month
    assert found(wed, day=local(wed).date() + timedelta(days=1)) == ["周四早上"]


def test_open_places_excludes_full_closed_and_not_yet_open(make_activity, make_lottery,
                                                           now):
    make_activity(title="有空位")
    filled(make_activity(title="已满", capacity=2), 2)
    make_activity(title="报名已截止", signup_closes_at=now - timedelta(hours=1))
    make_activity(title="尚未开放", signup_opens_at=now + timedelta(hours=1))
    make_activity(title="已取消", status="cancelled")
    make_activity(title="进行中", starts_in=-timedelta(hours=1))  # sign-up closes at start
    make_lottery(title="抽签中")
    drawn = make_lottery(title="已抽签", closes_in=-timedelta(hours=1))
    lottery.draw(drawn.id, actor=None, now=now)
    make_lottery(title="待抽签", closes_in=-timedelta(minutes=1))
    assert sorted(found(now, open=True)) == sorted(["有空位", "抽签中", "已抽签"])


def test_open_places_agrees_with_the_sign_up_rules(make_activity, make_lottery, make_user,
                                                   now):
    """One rule: what the list calls open is what signing up accepts (places aside)."""
    made = [make_activity(), make_activity(signup_closes_at=now - timedelta(hours=1)),
            make_activity(signup_opens_at=now + timedelta(hours=1)),
            make_activity(signup_opens_at=now - timedelta(hours=1),
                          signup_closes_at=now + timedelta(hours=1)),
            make_activity(starts_in=-timedelta(hours=1)),
            make_activity(starts_in=-timedelta(hours=3)), make_lottery(),
            make_lottery(closes_in=-timedelta(minutes=1))]
    person = make_user(name="核对人")
    listed = {a.id for a in public_activities(ActivityFilter(open=True, include_past=True),
                                              now=now).items}
    for activity in made:
        try:
            signups.check_eligible(activity, person, now=now)
            accepted = True
        except WusheError:
            accepted = False
        assert (activity.id in listed) == accepted, activity.id


def test_suits_my_skills_is_a_subset(make_activity, make_user, now):
    make_activity(title="不需要技能")
    make_activity(title="急救", required_skills=["first_aid"])
    make_activity(title="急救和电脑", required_skills=["first_aid", "it"])
    make_activity(title="法律", required_skills=["legal"])
    medic = make_user(skills=["first_aid", "photography"])
    assert sorted(found(now, viewer=medic, skills=True)) == ["不需要技能", "急救"]
    nobody = make_user(skills=[])
    assert found(now, viewer=nobody, skills=True) == ["不需要技能"]
    assert len(found(now, viewer=make_user(skills=["first_aid", "it", "legal"]),
                     skills=True)) == 4
    with pytest.raises(WusheError) as excinfo:
        found(now, skills=True)
    assert excinfo.value.code == "search_needs_login"


def test_near_me_by_home_community_and_its_street(make_activity, make_node, make_org,
                                                  make_user, now):
    street = make_node("运河街道", kind="street")
    home = make_node("运河园社区", parent=street)
    neighbour = make_node("玉桥社区", parent=street)
    elsewhere = make_node("梨园社区", kind="community")
    for node, title in ((home, "本社区"), (neighbour, "邻社区"), (street, "街道"),
                        (elsewhere, "别处")):
        make_activity(title=title, node=node, org=make_org(node=node))
    resident = make_user(home_node=home)
    assert found(now, viewer=resident, near="community") == ["本社区"]
    assert sorted(found(now, viewer=resident, near="street")) == sorted(
        ["本社区", "邻社区", "街道"])
    with pytest.raises(WusheError) as excinfo:
        found(now, viewer=make_user(), near="community")
    assert excinfo.value.code == "no_home_community"
    with pytest.raises(WusheError) as excinfo:
        found(now, near="street")
    assert excinfo.value.code == "search_needs_login"
    # anyone can choose a place instead
    assert sorted(found(now, node_id=street.id)) == sorted(["本社区", "邻社区", "街道"])


def test_chips_combine(make_activity, make_user, now):
    make_activity(title="法律讲座", kind="lecture")
    filled(make_activity(title="法律讲座满员", kind="lecture", capacity=1), 1)
    make_activity(title="法律走访", kind="home_visit")
    make_activity(title="急救讲座", kind="lecture", required_skills=["first_aid"])
    person = make_user()
    assert found(now, viewer=person, q="讲座", kind="lecture", open=True,
                 skills=True) == ["法律讲座"]


def test_ended_only_with_include_past(make_activity, now):
    make_activity(title="已结束", starts_in=-timedelta(days=1))
    make_activity(title="将来")
    assert found(now) == ["将来"]
    assert found(now, include_past=True) == ["已结束", "将来"]


# --- order and pages -----------------------------------------------------------------------

def test_sort_orders(make_activity, now):
    make_activity(title="后天", starts_in=timedelta(days=2), capacity=5,
                  published_at=now - timedelta(days=1))
    filled(make_activity(title="明天", starts_in=timedelta(days=1), capacity=9,
                         published_at=now - timedelta(days=3)), 7)
    make_activity(title="下周", starts_in=timedelta(days=7), capacity=30,
                  published_at=now - timedelta(hours=1))
    assert found(now) == ["明天", "后天", "下周"]
    assert found(now, sort="soon") == ["明天", "后天", "下周"]
    assert found(now, sort="new") == ["下周", "后天", "明天"]
    assert found(now, sort="places") == ["下周", "后天", "明天"]


@pytest.mark.parametrize("sort", search.SORTS)
def test_pages_neither_repeat_nor_skip(make_activity, now, sort):
    made = {make_activity(title=f"活动{i}", capacity=5, published_at=now,
                          starts_in=timedelta(days=1 + i % 3)).id for i in range(25)}
    first = public_activities(ActivityFilter(sort=sort, page=1), now=now)
    second = public_activities(ActivityFilter(sort=sort, page=2), now=now)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (25, 2, 20, 5)
    assert {a.id for a in first.items} | {a.id for a in second.items} == made
