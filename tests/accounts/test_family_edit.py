"""Correcting a family member's details and taking them off one's list: nothing of theirs
is deleted; only their own guardian may; pages (with a confirmation) and API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.accounts import family
from server.accounts.models import Consent, User
from server.activities import signups
from server.activities.models import Signup
from server.extensions import db
from server.hours.models import HourEntry
from tests.pages import EN, csrf, login, text


@pytest.fixture
def household(make_user, make_node, now):
    guardian = make_user(name="李红", phone="13911113333", home_node=make_node())
    parent = family.add_member(guardian, name="李大爷", relation="parent",
                               birth_date=date(1948, 3, 1), now=now, consent=True)
    stranger = make_user(name="陌生人", phone="13911114444")
    return guardian, parent, stranger


def test_details_are_corrected_and_a_child_needs_the_guardians_consent(household, now,
                                                                        make_node):
    guardian, parent, _ = household
    place = make_node(name="新华园社区")
    family.update_member(guardian, parent, name="李建国", relation="parent",
                         birth_date=date(1949, 5, 1), now=now, home_node_id=place.id)
    assert (parent.name, parent.birth_date, parent.home_node_id) == (
        "李建国", date(1949, 5, 1), place.id)
    # a birth date that makes them a child: the guardian's consent, recorded once
    child_birth = date(now.year - 8, 1, 1)
    with pytest.raises(Exception) as exc:
        family.update_member(guardian, parent, name="李乐乐", relation="child",
                             birth_date=child_birth, now=now)
    assert exc.value.code == "member_guardian_required"
    family.update_member(guardian, parent, name="李乐乐", relation="child",
                         birth_date=child_birth, now=now, consent=True)
    kinds = [c.kind for c in db.session.scalars(select(Consent).where(
        Consent.user_id == parent.id))]
    assert kinds == ["privacy", "guardian"] and parent.guardian_name == "李红"
    with pytest.raises(Exception) as exc:
        family.update_member(guardian, parent, name="123", relation="child",
                             birth_date=child_birth, now=now)
    assert exc.value.code == "invalid_name"


def test_removing_keeps_the_history_and_refuses_while_a_place_is_held(
        household, make_activity, give_place, now):
    guardian, parent, stranger = household
    upcoming = make_activity(title="重阳节茶话会")
    signup = signups.sign_up(upcoming.id, user=parent, now=now, acted_by=guardian)
    with pytest.raises(Exception) as exc:
        family.remove_member(guardian, parent, now=now)
    assert exc.value.code == "member_has_signups"
    assert "重阳节茶话会" in exc.value.text()
    signups.withdraw(signup, actor=guardian, now=now)
    past = make_activity(starts_in=timedelta(days=-3), status="finished", title="健步走")
    held = give_place(past, parent)
    with pytest.raises(Exception) as exc:
        family.remove_member(stranger, parent, now=now)
    assert exc.value.code == "member_not_found"
    family.remove_member(guardian, parent, now=now)
    db.session.expire_all()
    kept = db.session.get(User, parent.id)
    assert kept.active is False and kept.managed_by_id == guardian.id
    assert db.session.get(Signup, held.id).user_id == parent.id  # the record stays
    assert family.members_of(guardian) == []
    with pytest.raises(Exception) as exc:
        family.acting_for(guardian, parent.id)
    assert exc.value.code == "member_not_found"
    assert db.session.scalars(select(HourEntry)).all() == []  # nothing was made or lost


def test_pages_edit_and_remove_with_a_confirmation(app, client, household, now):
    guardian, parent, stranger = household
    login(client, guardian)
    page = text(client.get(f"/me/family/{parent.id}", headers=EN))
    assert f'href="/me/family/{parent.id}/edit"' in page
    assert f'action="/me/family/{parent.id}/remove"' in page and "data-confirm=" in page
    assert f'href="/hours?member={parent.id}"' in page
    form = text(client.get(f"/me/family/{parent.id}/edit", headers=EN))
    assert 'value="李大爷"' in form and 'value="1948-03-01"' in form
    token = csrf(client, f"/me/family/{parent.id}/edit")
    resp = client.post(f"/me/family/{parent.id}/edit", data={
        "csrf_token": token, "name": "李建国", "relation": "parent",
        "birth_date": "1948-03-01"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, parent.id).name == "李建国"
    bad = client.post(f"/me/family/{parent.id}/edit", headers=EN, data={
        "csrf_token": token, "name": "", "relation": "parent"})
    assert bad.status_code == 422 and 'role="alert"' in text(bad)
    other = app.test_client()
    login(other, stranger)
    assert other.get(f"/me/family/{parent.id}/edit").status_code == 404
    assert other.post(f"/me/family/{parent.id}/remove",
                      data={"csrf_token": csrf(other, "/me")}).status_code == 404
    done = client.post(f"/me/family/{parent.id}/remove", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == "/me/family"
    listing = text(client.get("/me/family", headers=EN))
    assert "李建国已不在您的家庭成员中，其记录均已保留。" in listing
    assert f'href="/me/family/{parent.id}"' not in listing
    assert client.get(f"/me/family/{parent.id}").status_code == 404


def test_page_remove_refused_while_signed_up(client, household, make_activity, now):
    guardian, parent, _ = household
    signups.sign_up(make_activity(title="重阳节茶话会").id, user=parent, now=now,
                    acted_by=guardian)
    login(client, guardian)
    token = csrf(client, f"/me/family/{parent.id}")
    resp = client.post(f"/me/family/{parent.id}/remove", data={"csrf_token": token})
    assert resp.status_code == 409 and "重阳节茶话会" in text(resp)
    db.session.expire_all()
    assert db.session.get(User, parent.id).active


def test_api_update_and_delete_only_ones_own(api, household):
    guardian, parent, stranger = household
    url = f"/api/v1/me/family/{parent.id}"
    api.login(stranger)
    body = {"name": "李建国", "relation": "parent", "birth_date": "1948-03-01"}
    for resp in (api.put(url, json=body), api.delete(url)):
        assert resp.status_code == 404 and resp.get_json()["code"] == "member_not_found"
    api.login(guardian)
    resp = api.put(url, json=body)
    assert resp.status_code == 200 and resp.get_json()["name"] == "李建国"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert api.get("/api/v1/me/family").get_json() == []
