"""Redirects stay on this site, and a login interrupted by a POST leads back to the page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest


@pytest.mark.parametrize("evil", ["//example.org", "/\t/example.org", "/\n/example.org",
                                  "https://example.org/", "/\\example.org",
                                  "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, evil):
    resp = client.get("/lang/en", query_string={"next": evil})
    assert resp.status_code == 302
    target = urlsplit(resp.headers["Location"])
    assert target.netloc in ("", "localhost") and target.scheme in ("", "http")
    assert not target.path.startswith("//") and "example.org" not in target.path
    assert "javascript" not in resp.headers["Location"]


def test_next_inside_the_site_is_kept(client):
    resp = client.get("/lang/en", query_string={"next": "/privacy"})
    assert resp.headers["Location"].endswith("/privacy")


def test_a_post_after_the_session_expired_returns_to_the_page(app):
    from urllib.parse import parse_qs, urlsplit

    from server.domains import _unauthorised

    def next_after(method, path, referrer=None):
        headers = {"Referer": referrer} if referrer else {}
        with app.test_request_context(path, method=method, headers=headers):
            location = _unauthorised().headers["Location"]
        return parse_qs(urlsplit(location).query)["next"][0]

    assert next_after("GET", "/me/activities?tab=past") == "/me/activities?tab=past"
    # a POST-only URL would be a dead end after logging in: back to the page it came from
    assert next_after("POST", "/activities/5/signup", "http://localhost/activities/5") == (
        "/activities/5")
    assert next_after("POST", "/activities/5/signup", "http://evil.example/x") == "/"
    assert next_after("POST", "/activities/5/signup") == "/"
