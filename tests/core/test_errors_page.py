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
