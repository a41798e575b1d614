"""The tabs that are not built yet still lead somewhere."""

from __future__ import annotations

import pytest

EN = {"Accept-Language": "en"}


@pytest.mark.parametrize(("path", "what"), [
    ("/code", "Your personal check-in QR code will be shown here"),
    ("/hours", "Your approved volunteer hours, star level and certificates"),
])
def test_coming_pages_render_with_the_tab_bar(client, path, what):
    resp = client.get(path, headers=EN)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert what in page
    assert "wushe-tabbar" in page
    assert f'href="{path}"' in page and 'aria-current="page"' in page


def test_chinese_is_the_default_locale(client):
    page = client.get("/code").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
