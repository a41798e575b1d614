"""A family member gets their own phone: a code sent to it proves the number is theirs (as
registration's SMS code does), then they log in themself and nobody manages them."""

from __future__ import annotations

import logging
import re
from datetime import date

import pytest
from sqlalchemy import select

from server.accounts import family, phone_codes
from server.accounts.models import PhoneCode, User
from server.activities import signups
from server.core import outbox
from server.extensions import db

CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
NUMBER = "13822223333"


@pytest.fixture
def household(make_user, now):
    guardian = make_user(name="李红", phone="13911113333")
    parent = family.add_member(guardian, name="李大爷", relation="parent",
                               birth_date=date(1948, 3, 1), now=now, consent=True)
    return guardian, parent


@pytest.fixture
def sms(caplog):
    caplog.set_level(logging.INFO, logger="wushe.outgoing")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "wushe.outgoing"]


def test_the_member_gets_their_own_login_and_keeps_their_records(
        api, household, make_activity, now, sms):
    guardian, parent = household
    signup = signups.sign_up(make_activity().id, user=parent, now=now, acted_by=guardian)
    api.login(guardian)
    url = f"/api/v1/me/family/{parent.id}/handover"
    resp = api.post(f"{url}/code", json={"phone": NUMBER})
    assert resp.status_code == 202, resp.get_json()
    outbox.run()
    [text] = sms()
    assert text.startswith("[sms] to 138****3333") and "从现在起用此号码登录" in text
    code = CODE.search(text).group(0)
    wrong = api.post(url, json={"phone": NUMBER, "code": f"{(int(code) + 1) % 10**6:06d}"})
    assert wrong.status_code == 422 and wrong.get_json()["code"] == "wrong_code"
    done = api.post(url, json={"phone": NUMBER, "code": code})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["phone"] == "138****3333"
    db.session.expire_all()
    person = db.session.get(User, parent.id)
    assert (person.phone, person.managed_by_id, person.relation) == (NUMBER, None, None)
    assert signups.get_signup(signup.id).user_id == parent.id  # their sign-up stays theirs
    assert api.get("/api/v1/me/family").get_json() == []
    # they log in themself now, with a login code to their own phone
    phone_codes.request_code(phone=NUMBER, purpose="login", ip="10.9.0.7",
                             now=now.replace(year=now.year + 1))
    assert db.session.scalars(select(PhoneCode.user_id).where(
        PhoneCode.purpose == "login")).all() == [parent.id]


def test_a_number_with_an_account_or_someone_elses_member_is_refused(
        api, household, make_user, now):
    guardian, parent = household
    make_user(name="已注册", phone=NUMBER)
    api.login(guardian)
    url = f"/api/v1/me/family/{parent.id}/handover"
    taken = api.post(f"{url}/code", json={"phone": NUMBER})
    assert taken.status_code == 409 and taken.get_json()["code"] == "phone_taken"
    api.login(make_user(name="陌生人", phone="13911114444"))
    other = api.post(f"{url}/code", json={"phone": "13822224444"})
    assert other.status_code == 404 and other.get_json()["code"] == "member_not_found"


def test_the_public_code_form_cannot_ask_for_a_handover_code(api):
    resp = api.post("/api/v1/auth/codes", json={"phone": NUMBER, "purpose": "handover"})
    assert resp.status_code == 422


def test_pages_number_then_code_then_they_leave_the_list(app, client, household, sms):
    from tests.pages import csrf, login, text
    guardian, parent = household
    login(client, guardian)
    page = text(client.get(f"/me/family/{parent.id}"))
    assert f'href="/me/family/{parent.id}/handover"' in page
    token = csrf(client, f"/me/family/{parent.id}/handover")
    asked = client.post(f"/me/family/{parent.id}/handover",
                        data={"csrf_token": token, "phone": NUMBER})
    form = text(asked)
    assert asked.status_code == 200 and 'name="code"' in form and "data-confirm=" in form
    assert f'value="{NUMBER}"' in form
    outbox.run()
    code = CODE.search(sms()[-1]).group(0)
    done = client.post(f"/me/family/{parent.id}/handover/confirm",
                       data={"csrf_token": token, "phone": NUMBER, "code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/me/family"
    db.session.expire_all()
    assert db.session.get(User, parent.id).phone == NUMBER
    assert client.get(f"/me/family/{parent.id}").status_code == 404


def test_asking_hand_over_codes_for_many_numbers_is_bounded_like_registration(
        api, app, household, make_user, client, now):
    """Found by an outside test: each answer says whether a number has an account (409
    phone_taken) and sends a code to one that has none, with no bound across numbers. The
    hand-over now spends registration's budget per address (page and API alike) and as
    much again per person."""
    from tests.pages import login
    guardian, parent = household
    api.client.environ_base["REMOTE_ADDR"] = "10.77.0.1"
    api.login(guardian)
    budget = int(app.config["REGISTER_RATE_LIMIT"].split()[0])
    taken = make_user(phone="13700007777")
    answers = [api.post(f"/api/v1/me/family/{parent.id}/handover/code",
                        json={"phone": taken.phone if n % 2 else f"137000100{n:02d}"})
               for n in range(budget)]
    assert {r.status_code for r in answers} == {202, 409}
    refused = api.post(f"/api/v1/me/family/{parent.id}/handover/code",
                       json={"phone": "13700010099"})
    assert refused.status_code == 429 and refused.get_json()["code"] == "rate_limited"
    # the page is the same budget: another guardian, from the same address
    other = make_user(name="王红", phone="13911114444")
    member = family.add_member(other, name="王大爷", relation="parent",
                               birth_date=date(1950, 3, 1), now=now, consent=True)
    other_client = app.test_client()
    other_token = login(other_client, other)
    other_client.environ_base["REMOTE_ADDR"] = "10.77.0.1"
    page = other_client.post(f"/me/family/{member.id}/handover",
                             data={"csrf_token": other_token, "phone": "13700010098"})
    assert page.status_code == 429
    # and the first guardian's own budget, from elsewhere
    token = login(client, guardian)
    client.environ_base["REMOTE_ADDR"] = "10.77.0.2"
    page = client.post(f"/me/family/{parent.id}/handover",
                       data={"csrf_token": token, "phone": "13700010097"})
    assert page.status_code == 429  # the person's own budget is spent too
    # registration from that address shares the address's budget
    client.environ_base["REMOTE_ADDR"] = "10.77.0.1"
    blocked = api.post("/api/v1/auth/register", json={"phone": "13700010096"})
    assert blocked.status_code == 429
