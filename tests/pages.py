"""Helpers for page tests: log in through the real form, read the HTML."""

from __future__ import annotations

import re
from itertools import count

from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# login is rate-limited per address: each test login comes from its own
_ips = (f"10.1.{n // 250}.{n % 250 + 1}" for n in count())


def csrf(client, path="/login"):
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def login(client, user):
    client.environ_base["REMOTE_ADDR"] = next(_ips)
    token = csrf(client)
    resp = client.post("/login", data={"phone": user.phone, "password": PASSWORD,
                                       "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    # logging in starts a fresh session: the token from before it no longer works
    return csrf(client, "/me")


def text(resp):
    return resp.get_data(as_text=True)
