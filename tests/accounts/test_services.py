"""Registration, consent, login and role rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.accounts import roles, services
from server.accounts.models import Consent
from server.accounts.passwords import verify_password
from server.accounts.privacy import mask_name, mask_phone
from server.core.errors import WusheError
from server.extensions import db


def register(now, **kw):
    data = dict(phone="13912345678", password="abc12345", name="李小梅", now=now,
                accept_privacy=True)
    data.update(kw)
    return services.register_user(**data)


def test_register_records_consent_and_hashes_password(now):
    user = register(now, phone="+86 139-1234-5678")
    assert user.phone == "13912345678"
    assert user.password_hash != "abc12345" and user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "abc12345")
    consent = db.session.query(Consent).filter_by(user_id=user.id).one()
    assert (consent.kind, consent.notice_version, consent.accepted_at) == (
        "privacy", "2026-11", now)


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "阿依古丽·买买提", "Anna Müller", "李"])
def test_real_names_of_every_script_are_accepted(now, name):
    assert register(now, name=name).name == name


@pytest.mark.parametrize(("typed", "kept"), [
    ("\u2068张三\u2069", "张三"),  # copied from a messaging app, between isolates
    ("王\u200b芳", "王芳"), ("  欧阳  娜娜 ", "欧阳 娜娜")])
def test_a_name_keeps_what_can_be_seen(now, typed, kept):
    assert register(now, name=typed).name == kept


@pytest.mark.parametrize("name", ["", "张3", "<script>", "  ", "x" * 41, "\u200b"])
def test_non_names_are_refused(now, name):
    with pytest.raises(WusheError) as excinfo:
        register(now, name=name)
    assert excinfo.value.code == "invalid_name"


@pytest.mark.parametrize("phone", ["12345678901", "1391234567", "23912345678", "139123456789"])
def test_mainland_mobile_numbers_only(now, phone):
    with pytest.raises(WusheError) as excinfo:
        register(now, phone=phone)
    assert excinfo.value.code == "invalid_phone"


@pytest.mark.parametrize("password", ["short1", "abcdefgh", "12345678"])
def test_weak_passwords_refused(now, password):
    with pytest.raises(WusheError) as excinfo:
        register(now, password=password)
    assert excinfo.value.code == "weak_password"


def test_consent_is_required(now):
    with pytest.raises(WusheError) as excinfo:
        register(now, accept_privacy=False)
    assert excinfo.value.code == "consent_required"


def test_under_fourteen_needs_guardian(now):
    child = now.date().replace(year=now.year - 10)
    with pytest.raises(WusheError) as excinfo:
        register(now, birth_date=child)
    assert excinfo.value.code == "guardian_consent_required"
    user = register(now, birth_date=child, guardian_name="李建华", guardian_consent=True)
    kinds = {c.kind: c for c in db.session.query(Consent).filter_by(user_id=user.id)}
    assert set(kinds) == {"privacy", "guardian"}
    assert kinds["guardian"].guardian_name == "李建华"


def test_fourteenth_birthday_needs_no_guardian(now):
    today = now.date()
    fourteen = today.replace(year=today.year - 14) if not (
        today.month == 2 and today.day == 29) else date(today.year - 14, 2, 28)
    assert register(now, birth_date=fourteen).guardian_name is None


def test_phone_taken(now):
    register(now)
    with pytest.raises(WusheError) as excinfo:
        register(now, name="另一个人")
    assert excinfo.value.code == "phone_taken"


def test_authenticate(now, make_user):
    user = make_user(phone="13711112222")
    assert services.authenticate(phone="13711112222", password="secret123") is user
    for phone, password in (("13711112222", "wrong"), ("13700000000", "secret123"),
                            ("not-a-phone", "secret123")):
        with pytest.raises(WusheError) as excinfo:
            services.authenticate(phone=phone, password=password)
        assert excinfo.value.code == "bad_credentials"
    user.active = False
    with pytest.raises(WusheError) as excinfo:
        services.authenticate(phone="13711112222", password="secret123")
    assert excinfo.value.code == "account_disabled"


def test_birth_date_cannot_be_in_the_future(now, make_user):
    with pytest.raises(WusheError) as excinfo:
        services.update_profile(make_user(birth_date=None), now=now,
                                birth_date=now.date() + timedelta(days=2))
    assert excinfo.value.code == "birth_date_in_future"


def test_birth_date_is_locked_once_recorded(now, make_user):
    """A guardian-consented child cannot become an adult by editing their profile."""
    child = make_user(birth_date=now.date().replace(year=now.year - 10),
                      guardian_name="李建华")
    with pytest.raises(WusheError) as excinfo:
        services.update_profile(child, now=now, birth_date=date(1990, 1, 1))
    assert excinfo.value.code == "birth_date_locked"


def test_registration_reports_every_bad_field_at_once(now):
    with pytest.raises(WusheError) as excinfo:
        register(now, phone="123", name="张3", password="short", accept_privacy=False)
    assert excinfo.value.code == "validation_error"
    assert set(excinfo.value.errors) == {"phone", "name", "password", "accept_privacy"}


def test_an_admin_of_a_community_cannot_act_for_the_street_organisation(
        now, make_node, make_user, make_org, grant):
    street = make_node(name="通运街道", kind="street")
    community = make_node(name="运河园社区", kind="community", parent=street)
    street_org = make_org(node=street)
    local_admin = make_user(name="社区管理员")
    grant(local_admin, "admin", community)
    with pytest.raises(WusheError) as excinfo:
        roles.grant_role(actor=local_admin, user=local_admin, role="organiser", node=community,
                         organisation=street_org, now=now)
    assert excinfo.value.code == "forbidden"


def test_nobody_but_admins_learns_whether_a_phone_is_registered(now, make_node, make_user):
    node = make_node(name="某社区", kind="community")
    resident = make_user()
    for phone in (resident.phone, "13700000000"):
        with pytest.raises(WusheError) as excinfo:
            roles.grant_role_by_phone(actor=resident, phone=phone, role="coordinator",
                                      node=node, now=now)
        assert excinfo.value.code == "forbidden"


def test_masking():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_name("张三丰") == "张**"


def test_only_admins_above_the_node_grant_roles(now, make_node, make_user, make_org, grant):
    street = make_node(name="通运街道", kind="street")
    community = make_node(name="运河园社区", kind="community", parent=street)
    other_street = make_node(name="别的街道", kind="street")
    admin = make_user(name="管理员")
    grant(admin, "admin", street)
    person = make_user(name="新协调员")
    made = roles.grant_role(actor=admin, user=person, role="coordinator", node=community,
                            now=now)
    assert made.granted_by_id == admin.id
    with pytest.raises(WusheError) as excinfo:
        roles.grant_role(actor=admin, user=person, role="coordinator", node=community, now=now)
    assert excinfo.value.code == "role_exists"
    with pytest.raises(WusheError) as excinfo:
        roles.grant_role(actor=admin, user=person, role="coordinator", node=other_street,
                         now=now)
    assert excinfo.value.code == "forbidden"
    with pytest.raises(WusheError) as excinfo:
        roles.grant_role(actor=admin, user=person, role="organiser", node=community, now=now)
    assert excinfo.value.code == "bad_role"
    org = make_org(node=community)
    assert roles.grant_role(actor=admin, user=person, role="organiser", node=community,
                            organisation=org, now=now).organisation_id == org.id
    with pytest.raises(WusheError) as excinfo:
        roles.grant_role(actor=person, user=admin, role="admin", node=community, now=now)
    assert excinfo.value.code == "forbidden"
