"""Finding an activity on the page and through /api/v1/activities: chips, the empty
state, validation, and a list whose statements do not grow with its rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from server.extensions import db
from tests.pages import EN, login, text


def _chip(page, label):
    """The chip link with this text: (href, selected)."""
    match = re.search(r'<a class="search-chip" href="([^"]+)"( aria-current="true")?>'
                      + re.escape(label) + "</a>", page)
    assert match, label
    return match.group(1).replace("&amp;", "&"), bool(match.group(2))


# --- the page ------------------------------------------------------------------------------

def test_chips_filter_and_show_what_is_selected(client, make_activity):
    make_activity(title="周末讲座", kind="lecture")
    make_activity(title="满员走访", kind="home_visit", capacity=1).confirmed_count = 1
    db.session.flush()
    page = text(client.get("/"))
    href, on = _chip(page, "有空位")
    assert not on and "清除筛选" not in page
    assert "找到 2 个活动" in page
    filtered = text(client.get(href))
    assert _chip(filtered, "有空位")[1]
    assert "周末讲座" in filtered and "满员走访" not in filtered
    assert "找到 1 个活动" in filtered and "清除筛选" in filtered
    # a second chip keeps the first; tapping a selected chip takes it away again
    both = text(client.get(_chip(filtered, "公益讲堂")[0]))
    assert _chip(both, "有空位")[1] and _chip(both, "公益讲堂")[1]
    off = text(client.get(_chip(both, "有空位")[0]))
    assert not _chip(off, "有空位")[1] and _chip(off, "公益讲堂")[1]
    # logged-out visitors are not offered what needs a profile
    assert "适合我的技能" not in page and "本社区" not in page


def test_people_with_a_home_get_near_me_and_skills(client, make_activity, make_user,
                                                   make_node, make_org):
    street = make_node("运河街道", kind="street")
    home = make_node("运河园社区", parent=street)
    make_activity(title="家门口的活动", node=home, org=make_org(node=home))
    make_activity(title="别处的活动", required_skills=["legal"])
    login(client, make_user(home_node=home))
    page = text(client.get("/"))
    near = text(client.get(_chip(page, "本社区")[0]))
    assert "家门口的活动" in near and "别处的活动" not in near
    assert _chip(near, "本社区")[1] and not _chip(near, "本街道")[1]
    suits = text(client.get(_chip(page, "适合我的技能")[0]))
    assert "家门口的活动" in suits and "别处的活动" not in suits


def test_near_me_without_a_home_says_what_to_do(client, make_activity, make_user):
    make_activity(title="法律讲堂")
    login(client, make_user())
    page = text(client.get("/?near=community"))
    assert "先在“我的”页面选择您居住的社区" in page
    assert "法律讲堂" in page


def test_empty_state_names_the_filters_and_offers_ways_out(client, make_activity):
    make_activity(title="法律讲堂", kind="lecture")
    page = text(client.get("/?q=法律&kind=home_visit&when=today"))
    assert "没有符合条件的活动" in page
    assert "当前筛选：“法律”、今天、入户走访。" in page
    tries = dict((label, href.replace("&amp;", "&")) for href, label in re.findall(
        r'<li><a href="([^"]+)">([^<]+)</a></li>', page))
    assert set(tries) == {"去掉“法律”", "去掉今天", "去掉入户走访", "包括已结束的活动"}
    assert "法律讲堂" in text(client.get(tries["去掉入户走访"].replace("when=today", "")))
    without_kind = text(client.get(tries["去掉入户走访"]))
    assert _chip(without_kind, "今天")[1] and not _chip(without_kind, "入户走访")[1]
    assert '<a href="/" class="weui-btn weui-btn_primary">清除全部筛选</a>' in page


def test_a_too_long_search_is_refused_with_a_reason(client, make_activity):
    make_activity(title="法律讲堂")
    page = text(client.get("/?q=" + "长" * 61))
    assert "搜索内容最多60个字" in page
    assert "法律讲堂" in page  # the rest of the list is still there
    english = text(client.get("/?q=" + "x" * 61, headers=EN))
    assert "Search with at most 60 characters" in english


def test_sort_chips(client, make_activity):
    make_activity(title="明天", starts_in=timedelta(days=1), capacity=3)
    make_activity(title="下周", starts_in=timedelta(days=7), capacity=30)
    page = text(client.get("/"))
    assert _chip(page, "最近开始")[1]
    assert page.index("明天") < page.index("下周")
    most = text(client.get(_chip(page, "空位最多")[0]))
    assert _chip(most, "空位最多")[1] and most.index("下周") < most.index("明天")


# --- the API -------------------------------------------------------------------------------

def test_api_takes_the_same_filters(api, make_activity, make_user):
    make_activity(title="法律讲堂", kind="lecture")
    make_activity(title="急救培训", kind="training", required_skills=["first_aid"])
    make_activity(title="满员", kind="lecture", capacity=1).confirmed_count = 1
    db.session.flush()

    def titles(query):
        resp = api.get("/api/v1/activities?" + query)
        assert resp.status_code == 200, resp.get_json()
        return sorted(a["title"] for a in resp.get_json()["items"])
    assert titles("q=法律　讲堂") == ["法律讲堂"]
    assert titles("open=true&kind=lecture") == ["法律讲堂"]
    assert titles("q=%25") == [] and titles("q=_") == []
    body = api.get("/api/v1/activities?skills=true").get_json()
    assert (body["code"], body["status"]) == ("search_needs_login", 422)
    assert body["message"] == "登录后即可查找离您家近或适合您技能的活动。"
    api.login(make_user(skills=[]))
    assert titles("skills=true") == ["法律讲堂", "满员"]
    body = api.get("/api/v1/activities?near=community").get_json()
    assert (body["code"], body["errors"]["near"]) == ("no_home_community",
                                                      [body["message"]])


@pytest.mark.parametrize("query", ["when=yesterday", "near=moon", "sort=random",
                                   "open=perhaps", "q=" + "x" * 61, "skills=2"])
def test_api_refuses_bad_filters(api, query):
    resp = api.get("/api/v1/activities?" + query)
    body = resp.get_json()
    assert resp.status_code == 422 and body["code"] == "validation_error", body
    field = query.split("=")[0]
    assert body["errors"][field] and all(isinstance(m, str) for m in body["errors"][field])


def test_api_refuses_a_nul_byte(api):
    resp = api.get("/api/v1/activities?q=%00")
    assert resp.status_code == 400 and resp.get_json()["code"] == "invalid_characters"


# --- statements do not grow with rows ------------------------------------------------------

def _statements(client, path):
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        resp = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert resp.status_code == 200
    return len(seen)


def test_list_statements_do_not_grow_with_rows(client, api, make_activity, make_org,
                                               make_user, make_node, now):
    """Each activity with its own community, organisation and programme: a lazy load of
    any of them per row would show as more statements for more rows."""
    from server.activities.models import Programme
    street = make_node("运河街道", kind="street")
    home = make_node("运河园社区", parent=street)
    made = iter(range(100))

    def add(n):
        for _ in range(n):
            i = next(made)
            node = make_node(f"社区{i}", parent=street)
            org = make_org(node=node)
            programme = Programme(organisation_id=org.id, name=f"计划{i}", created_at=now)
            db.session.add(programme)
            db.session.flush()
            make_activity(title=f"法律讲堂{i}", org=org, node=node,
                          programme_id=programme.id if i % 2 else None)
    paths = ["/?q=法律&open=1&sort=places", "/api/v1/activities?q=法律&open=true&sort=new",
             "/?near=street&skills=1", "/api/v1/activities?near=street&skills=true"]
    login(client, make_user(home_node=home))
    api.login(make_user(home_node=home))
    add(3)
    few = [_statements(client if p.startswith("/?") else api, p) for p in paths]
    add(27)
    many = [_statements(client if p.startswith("/?") else api, p) for p in paths]
    assert few == many and min(few) >= 2


def test_the_place_filter_does_not_grow_with_streets(client, make_user, make_node):
    """The community filter names each community with its street or town: those are read
    with the communities, not one statement per street."""
    made = iter(range(100))

    def add(n):
        for _ in range(n):
            i = next(made)
            make_node(f"社区{i}", parent=make_node(f"街道{i}", kind="street"))
    login(client, make_user())
    add(3)
    few = _statements(client, "/")
    add(27)
    page = text(client.get("/"))
    assert "社区29 · 街道29" in page  # the street still named beside its community
    assert _statements(client, "/") == few
