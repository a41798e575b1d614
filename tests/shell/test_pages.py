"""The tabs that are not built yet still lead somewhere; 我的码 now asks for a login."""

from __future__ import annotations

import pytest

EN = {"Accept-Language": "en"}


@pytest.mark.parametrize(("path", "what"), [
    ("/hours", "Your approved volunteer hours, star level and certificates"),
])
def test_coming_pages_render_with_the_tab_bar(client, path, what):
    resp = client.get(path, headers=EN)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert what in page
    assert "wushe-tabbar" in page
    assert f'href="{path}"' in page and 'aria-current="page"' in page


def test_my_code_tab_asks_visitors_to_log_in(client):
    resp = client.get("/code", headers=EN)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/login?next=/code")
    assert 'href="/code"' in client.get("/hours").get_data(as_text=True)


def test_chinese_is_the_default_locale(client):
    page = client.get("/hours").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
