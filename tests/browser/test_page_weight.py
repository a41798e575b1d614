"""A phone's first visit to the activity list, from an empty cache, transfers at most
80 KB (the page, its styles and scripts, compressed); a second visit asks for nothing but
the page; and no service worker is installed for a resident who only browses."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from server.extensions import db

pytestmark = pytest.mark.browser
BUDGET = 80 * 1024


def _transfers(page) -> dict[str, int]:
    """What each request cost on the wire (headers and compressed body), by URL."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.requestWillBeSent",
           lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(urls.get(e["requestId"], e["requestId"]),
                                       int(e["encodedDataLength"])))
    return sizes


def test_the_activity_list_is_light_on_a_first_visit(live_server, phone, make_activity):
    for n in range(12):
        make_activity(title=f"全职妈妈成长计划第{n + 1}期：亲子阅读与手工")
    db.session.commit()
    db.session.close()
    page = phone
    sizes = _transfers(page)
    page.goto(f"{live_server}/", wait_until="networkidle")
    expect(page.locator(".weui-tabbar")).to_be_visible()
    total = sum(sizes.values())
    assert total <= BUDGET, sorted(sizes.items(), key=lambda kv: -kv[1])
    assert any(url.endswith(".css") for url in sizes) and any(u.endswith(".js") for u in sizes)

    sizes.clear()
    page.goto(f"{live_server}/", wait_until="networkidle")
    fetched = {url: n for url, n in sizes.items() if "/static/" in url and n > 0}
    assert fetched == {}  # kept for a year under their hashed names: from the cache
    assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => !!r)") is False
