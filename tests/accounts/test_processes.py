"""Constraints the rules rely on, raced from separate server processes: one active
personal code per person, one grant per person/role/node/organisation, revoking once;
and a worker whose database connections PostgreSQL ended still answers."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select, text

from server.accounts.models import RoleAssignment
from server.checkin.models import PersonalCode
from server.extensions import db
from tests.live import WORKERS, at_once

pytestmark = pytest.mark.concurrency


def _active_codes(user_id: int) -> list[str]:
    """The tokens that work now; the transaction ends before the servers go on (on
    SQLite an open one would hold the write lock)."""
    db.session.rollback()
    try:
        return list(db.session.scalars(select(PersonalCode.token).where(
            PersonalCode.user_id == user_id, PersonalCode.revoked_at.is_(None))))
    finally:
        db.session.rollback()


def test_regenerating_a_code_from_three_sessions_at_once_leaves_one(connect, make_user):
    person = make_user(name="三台手机的志愿者")
    person_id = person.id
    db.session.commit()
    sessions = [connect(person) for _ in range(3)]
    for _ in range(8):
        results = at_once([lambda s=s: s.call("POST", "/api/v1/me/code", {})
                           for s in sessions])
        assert [status for status, _, _ in results] == [201] * 3, results
        [active] = _active_codes(person_id)
        # and the one that works is the one the phones are shown now
        status, mine, _ = sessions[0].call("GET", "/api/v1/me/code")
        assert status == 200 and mine["payload"].endswith(active)


def test_a_first_code_shown_on_three_phones_at_once_is_one_code(connect, make_user):
    for i in range(6):
        person = make_user(name=f"新志愿者{i}")
        person_id = person.id
        db.session.commit()
        sessions = [connect(person) for _ in range(3)]
        results = at_once([lambda s=s: s.call("GET", "/api/v1/me/code") for s in sessions])
        assert {r[0] for r in results} == {200}, results
        assert len({r[1]["payload"] for r in results}) == 1
        assert len(_active_codes(person_id)) == 1


@pytest.mark.parametrize("with_organisation", [False, True])
def test_granting_three_times_at_once_makes_one_grant_and_revoking_takes_it(
        connect, make_user, make_node, make_org, grant, with_organisation):
    district = make_node(kind="district")
    admin = make_user(name="区管理员")
    grant(admin, "admin", district)
    street = make_node(name="街道", kind="street", parent=district)
    org = make_org(node=street) if with_organisation else None
    body = {"role": "organiser" if org else "coordinator", "node_id": street.id,
            "organisation_id": org.id if org else None}
    people = [make_user(name=f"协调员{i}") for i in range(5)]
    phones = [p.phone for p in people]
    ids = [p.id for p in people]
    db.session.commit()
    desks = [connect(admin) for _ in range(3)]
    for phone, person_id in zip(phones, ids, strict=True):
        results = at_once([lambda d=d, p=phone: d.call("POST", "/api/v1/roles",
                                                        {**body, "user_phone": p})
                           for d in desks])
        statuses = Counter(status for status, _, _ in results)
        assert statuses == {201: 1, 409: 2}, results
        assert {r[1]["code"] for r in results if r[0] == 409} == {"role_exists"}
        db.session.rollback()
        grants = db.session.scalars(select(RoleAssignment.id).where(
            RoleAssignment.user_id == person_id)).all()
        assert len(grants) == 1
        url = f"/api/v1/roles/{grants[0]}"
        revoked = at_once([lambda d=d, u=url: d.call("DELETE", u, {}) for d in desks[:2]])
        assert sorted(status for status, _, _ in revoked) == [204, 404], revoked
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(RoleAssignment).where(
            RoleAssignment.user_id == person_id)) == 0
        db.session.rollback()


def test_two_admins_taking_each_others_role_at_once_leave_one(connect, make_user,
                                                                 make_node, grant):
    """Each revocation checked the actor's own admin role before the other's was gone:
    both went through, and no admin was left where one meant to remain."""
    district = make_node(kind="district")
    pairs = []
    for trial in range(5):
        a, b = make_user(name=f"管理员甲{trial}"), make_user(name=f"管理员乙{trial}")
        street = make_node(name=f"街道{trial}", kind="street", parent=district)
        pairs.append((a, b, grant(a, "admin", street).id, grant(b, "admin", street).id))
    db.session.commit()
    for a, b, a_grant, b_grant in pairs:
        desks = [(connect(a), b_grant), (connect(b), a_grant)]
        results = at_once([lambda c=c, g=g: c.call("DELETE", f"/api/v1/roles/{g}", {})
                           for c, g in desks])
        assert sorted(status for status, _, _ in results) == [204, 403], results
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(RoleAssignment).where(
            RoleAssignment.id.in_((a_grant, b_grant)))) == 1
        db.session.rollback()


def test_a_top_level_place_made_three_times_at_once_is_made_once(connect, make_user,
                                                                 make_node, grant):
    """uq_nodes_parent_name holds under a parent; top-level places (no parent) had no
    index of their own, and three districts of one name were written."""
    from server.communities.models import Node
    root = make_node(name="北京市平台", kind="district")
    admin = make_user(name="平台管理员")
    grant(admin, "admin", root)
    db.session.commit()
    desks = [connect(admin) for _ in range(3)]
    for trial in range(4):
        name = f"新区{trial}"
        results = at_once([lambda d=d, n=name: d.call("POST", "/api/v1/nodes",
                                                       {"kind": "district", "name": n})
                           for d in desks])
        assert Counter(status for status, _, _ in results) == {201: 1, 409: 2}, results
        assert {r[1]["code"] for r in results if r[0] == 409} == {"name_taken"}
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Node).where(
            Node.name == name, Node.parent_id.is_(None))) == 1
        db.session.rollback()


@pytest.mark.postgresql
def test_workers_answer_after_postgresql_ended_their_connections(connect, make_user):
    person = make_user()
    db.session.commit()
    me = connect(person)
    for _ in range(2 * WORKERS):  # every worker holds a pooled connection now
        assert me.call("GET", "/api/v1/me")[0] == 200
    with db.engine.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'")).scalar()
    assert ended >= 1
    db.engine.dispose()  # this test process's own pooled connections were ended too
    # no ping for a connection that was working a moment ago (core.postgres): its first
    # statement fails, and the unit of work retries on a fresh one, API and pages alike
    # (a blueprint's role gate reads the login before the view: retried the same way, so
    # a resident asking for the people list hears 403, not a 500)
    answers = [(path, me.call("GET", path)[0]) for _ in range(2 * WORKERS)
               for path in ("/api/v1/people", "/api/v1/me", "/me")]
    assert {answer for answer in answers} == {
        ("/api/v1/people", 403), ("/api/v1/me", 200), ("/me", 200)}, answers
