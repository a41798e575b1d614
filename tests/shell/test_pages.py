"""The tab bar: 时长 and 我的码 ask visitors to log in; Chinese is the default."""

from __future__ import annotations

import pytest

EN = {"Accept-Language": "en"}


@pytest.mark.parametrize("path", ["/hours", "/code"])
def test_personal_tabs_ask_visitors_to_log_in(client, path):
    resp = client.get(path, headers=EN)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/login?next={path}")


def test_the_tab_bar_links_every_tab(client):
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "wushe-tabbar" in page
    for path in ("/code", "/hours", "/me"):
        assert f'href="{path}"' in page


def test_chinese_is_the_default_locale(client):
    page = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
