"""A guardian sees the hours and certificates of each family member they manage (a tab for
each, like 我的码), and nobody else's: pages and API."""

from __future__ import annotations

import re
from datetime import date

import pytest

from server.accounts import family, identity
from server.hours import certificates as certs
from server.hours import review
from tests.hours.test_api import make_held  # noqa: F401 - the shared fixture
from tests.hours.test_certificates import BASE, ID_NUMBER
from tests.pages import EN, login, text


@pytest.fixture
def household(make_user, make_held, now):  # noqa: F811
    guardian = make_user(name="李红", phone="13911113333")
    child = family.add_member(guardian, name="李乐乐", relation="child",
                              birth_date=date(now.year - 12, 3, 1), now=now, consent=True)
    w = make_held(stays={"王小红": (0, 120)}, also_attending=(child,))
    review.approve(w.entries["李乐乐"].id, reviewer=w.coordinator, now=now)
    w.org.contact_phone = "010-81234567"
    identity.set_identity(child, id_type="resident_id", id_number=ID_NUMBER, now=now)
    cert = certs.issue(certs.request_certificate(child, w.org, now=now, purpose="学校社会实践"),
                       issuer=w.organiser, now=now, base_url=BASE, leader_name="王秀兰")
    stranger = make_user(name="陌生人", phone="13911114444")
    return guardian, child, w, cert, stranger


def _total(page: str) -> str:
    return re.search(r'data-testid="hours-total"><span class="hours-num">([\d.]+)<',
                     page).group(1)


def test_pages_the_guardian_has_a_tab_for_the_members_hours(client, household):
    guardian, child, w, cert, _ = household
    login(client, guardian)
    own = text(client.get("/hours", headers=EN))
    assert _total(own) == "0.0"
    assert f'href="/hours?member={child.id}"' in own and "李乐乐" in own
    page = text(client.get(f"/hours?member={child.id}", headers=EN))
    assert _total(page) == "2.0" and "社区图书漂流" in page
    assert re.search(rf'href="/hours\?member={child.id}" aria-current="page"', page)
    # the member's certificates, from their tab; no retroactive filing for them here
    assert f'href="/hours/certificates?member={child.id}"' in page
    assert 'href="/hours/retroactive"' not in page
    certificates = text(client.get(f"/hours/certificates?member={child.id}", headers=EN))
    assert cert.number in certificates and f"/certificates/{cert.id}.pdf" in certificates
    assert 'name="id_number"' not in certificates  # asked for at the body, in their name
    pdf = client.get(f"/certificates/{cert.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    entry = client.get(f"/hours/entries/{w.entries['李乐乐'].id}", headers=EN)
    assert entry.status_code == 200 and "社区图书漂流" in text(entry)


def test_pages_someone_elses_member_is_not_found(client, household):
    guardian, child, w, cert, stranger = household
    login(client, stranger)
    assert client.get(f"/hours?member={child.id}").status_code == 404
    assert client.get(f"/hours?member={guardian.id}").status_code == 404
    assert client.get(f"/hours/certificates?member={child.id}").status_code == 404
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 404
    assert client.get(f"/hours/entries/{w.entries['李乐乐'].id}").status_code == 404
    own = text(client.get("/hours", headers=EN))
    assert "code-tabs" not in own  # no members: no tabs


def test_api_my_hours_and_certificates_take_a_member_id(api, household):
    guardian, child, w, cert, _ = household
    api.login(guardian)
    assert api.get("/api/v1/me/hours").get_json()["total_minutes"] == 0
    body = api.get(f"/api/v1/me/hours?member_id={child.id}").get_json()
    assert body["total_minutes"] == 120 and body["total_hours"] == "2.0"
    listed = api.get(f"/api/v1/certificates?member_id={child.id}").get_json()
    assert [c["number"] for c in listed] == [cert.number]
    assert api.get("/api/v1/certificates").get_json() == []
    entry = api.get(f"/api/v1/me/hours/entries/{w.entries['李乐乐'].id}")
    assert entry.status_code == 200


def test_api_only_ones_own_members(api, household):
    guardian, child, w, cert, stranger = household
    api.login(stranger)
    for url in (f"/api/v1/me/hours?member_id={child.id}",
                f"/api/v1/certificates?member_id={child.id}",
                f"/api/v1/me/hours?member_id={guardian.id}"):
        resp = api.get(url)
        body = resp.get_json()
        assert resp.status_code == 404 and body["code"] == "member_not_found", url
    assert api.get(f"/api/v1/me/hours/entries/{w.entries['李乐乐'].id}").status_code == 404
    assert api.get(f"/api/v1/certificates/{cert.id}").status_code == 404
