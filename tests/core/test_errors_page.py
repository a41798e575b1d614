"""The full-page refusal of a form: back to the form, with what was typed, where that
helps; not where going back would send the same stale form again."""

from __future__ import annotations

from tests.pages import login, text


def test_a_refused_form_offers_going_back_but_an_expired_one_does_not(client, make_user):
    token = login(client, make_user())
    came_from = {"Referer": "http://localhost/me"}
    refused = client.post("/logout", headers=came_from,
                          data={"csrf_token": token, "note": "好\u202e评"})
    page = text(refused)
    assert refused.status_code == 400 and 'data-error-code="invalid_characters"' in page
    assert 'href="http://localhost/me" class="weui-btn weui-btn_primary" data-history-back' in (
        page)
    assert "返回上一页" in page
    expired = client.post("/logout", headers=came_from, data={"csrf_token": "stale"})
    page = text(expired)
    assert 'data-error-code="csrf_failed"' in page
    assert "data-history-back" not in page and "返回上一页" not in page
    # nor from another site's page
    elsewhere = client.post("/logout", headers={"Referer": "https://example.org/x"},
                            data={"csrf_token": token, "note": "好\u202e评"})
    assert "data-history-back" not in text(elsewhere)


def _hidden(page: str) -> dict[str, list[str]]:
    import html
    import re
    found: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page):
        found.setdefault(html.unescape(name), []).append(html.unescape(value))
    return found


def test_a_form_sent_with_a_stale_token_comes_back_to_send_again(client, make_user):
    """Found by an outside test: a page left open until its token was stale (or a login in
    another tab) threw away everything typed. Now nothing is saved, and what was typed
    comes back with a fresh token, one tap from being saved."""
    from server.accounts.models import User
    from server.extensions import db
    user = make_user(name="旧名字", birth_date=None)
    login(client, user)
    typed = {"csrf_token": "stale", "name": "新名字", "gender": "", "birth_date": "",
             "home_node_id": "", "skills": ["medical", "legal"],
             "about": "<b>&\"x\r\n第二行"}
    refused = client.post("/me/edit?from=me", data=typed,
                          headers={"Origin": "http://localhost"})
    page = text(refused)
    assert refused.status_code == 400
    assert refused.headers["Cache-Control"] == "no-store"
    assert 'data-error-code="csrf_failed"' in page
    assert "此页面已过期" in page and "尚未保存" in page
    assert 'action="/me/edit?from=me"' in page
    kept = _hidden(page)
    assert kept["name"] == ["新名字"] and kept["skills"] == ["medical", "legal"]
    assert kept["about"] == ["<b>&\"x\r\n第二行"] and kept["gender"] == [""]
    assert "<b>&" not in page  # written back escaped
    assert kept["csrf_token"][0] != "stale"
    assert db.session.get(User, user.id).name == "旧名字"  # nothing saved
    again = client.post("/me/edit?from=me", data=kept, headers={"Origin": "http://localhost"})
    assert again.status_code == 302, text(again)
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.name, saved.skills) == ("新名字", ["medical", "legal"])


def test_a_stale_form_from_another_site_or_with_a_password_is_not_written_back(
        client, make_user):
    login(client, make_user())
    for headers in ({"Origin": "https://example.org"},
                    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
                    {"Referer": "https://example.org/form"},
                    {}):  # a browser that says nothing of where the form came from
        refused = client.post("/me/edit", data={"csrf_token": "stale", "name": "别人的字"},
                              headers=headers)
        assert refused.status_code == 400
        assert "别人的字" not in text(refused) and "此页面已过期" not in text(refused)
    same = {"Sec-Fetch-Site": "same-origin"}
    # a secret is never written into a page: a password, an ID number, an SMS code
    for path, data in (("/register", {"phone": "13700004444", "password": "secret-1",
                                      "name": "新人"}),
                       ("/hours/certificates", {"organisation_id": "1", "id_type": "resident",
                                                "id_number": "110101199003074477"})):
        secret = client.post(path, headers=same, data={"csrf_token": "stale", **data})
        page = text(secret)
        assert secret.status_code == 400 and 'data-error-code="csrf_failed"' in page
        assert "此页面已过期" not in page
        assert "secret-1" not in page and "110101199003074477" not in page
    # nor text the boundary cleaned: the form itself says so, beside its fields
    cleaned = client.post("/me/edit", headers=same,
                          data={"csrf_token": "stale", "name": "新\x0b名字"})
    assert cleaned.status_code == 400 and "此页面已过期" not in text(cleaned)
    fragment = client.post("/me/edit", headers={**same, "HX-Request": "true"},
                           data={"csrf_token": "stale", "name": "片段"})
    assert fragment.status_code == 400 and "片段" not in text(fragment)
