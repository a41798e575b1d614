"""Every operation of the OpenAPI document, with generated inputs (valid and not), as an
anonymous person, a resident and a coordinator: no server error, and every answer is one
the document describes (status, content type and body schema).

Bounded (MAX_EXAMPLES per operation and role) and derandomised, so a run is repeatable;
each operation runs inside the test's rolled-back transaction.
"""

from __future__ import annotations

import contextvars
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from server.activities import signups
from tests.conftest import ApiClient

MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# operations whose 503 is their answer, not a failure (documented in the OpenAPI document,
# so the status and schema checks still hold): readiness says "not ready" that way (the
# test database is made from the models, not migrated, so it is not ready here)
ANSWERS_503 = {"GET /api/v1/health/ready"}


def _document() -> dict:
    """The OpenAPI document, read once at collection from an app of its own (the tests
    then call the session's app, on the test database)."""
    from server.app import create_app
    spec_app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://"})
    return spec_app.test_client().get("/api/v1/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_document())
OPERATIONS = {found.ok().label: found.ok() for found in schema.get_all_operations()}


def _session(app, user) -> tuple[dict, dict]:
    """(headers, cookies) of a logged-in person, as the site's JavaScript sends them."""
    c = ApiClient(app.test_client())
    if user is None:
        return {"X-CSRFToken": c.client.environ_base["HTTP_X_CSRFTOKEN"]}, _jar(c)
    c.login(user)
    return {"X-CSRFToken": c.client.environ_base["HTTP_X_CSRFTOKEN"]}, _jar(c)


def _jar(c) -> dict:
    return {cookie.key: cookie.value for cookie in c.client._cookies.values()}


@pytest.fixture
def people(app, make_user, make_node, make_org, make_activity, grant, now):
    street = make_node(name="通运街道", kind="street")
    community = make_node(name="运河园社区", parent=street)
    org = make_org(node=community)
    activity = make_activity(org=org, starts_in=timedelta(days=2))
    resident = make_user(name="居民", home_node=community)
    signups.sign_up(activity.id, user=resident, now=now)
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", street)
    return {"anonymous": _session(app, None), "resident": _session(app, resident),
            "coordinator": _session(app, coordinator)}


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_answers_as_documented(label, people, app):
    operation = OPERATIONS[label]
    checks = [c for c in CHECKS if not (label in ANSWERS_503 and c is not_a_server_error)]
    # valid inputs and invalid ones (wrong types, missing fields, out of range)
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @given(cases)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def each(case):
        for headers, cookies in people.values():
            # a browser of its own each time (a shared client would keep cookies one
            # role's answer set), and a context of its own (as tests.conftest's
            # IsolatedClient): the request's session is not the test's
            sent = {**headers, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                    # schemathesis reads a WSGI answer's body as it is, and its transport
                    # asks for gzip: plain answers here (tests/core/test_assets.py checks
                    # the compressed ones)
                    "Accept-Encoding": "identity"}
            contextvars.Context().run(case.call_and_validate, app=app,
                                      session=Client(app, use_cookies=False),
                                      headers=sent, checks=checks)

    each()


@pytest.fixture
def real(app, make_user, make_node, make_org, make_activity, grant, scan, now):
    """Objects as they are in use, so the answers carry values (names, labels, times,
    nulls) rather than the 404s of generated ids: an activity in a programme and one
    outside any, a sign-up, a scan, a masked phone."""
    from server.activities.models import Programme
    from server.checkin import codes
    from server.extensions import db

    street = make_node(name="通运街道", kind="street")
    community = make_node(name="运河园社区", parent=street)
    org = make_org(node=community)
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", street)
    programme = Programme(organisation_id=org.id, name="法律进社区", description="",
                          created_at=now, created_by_id=coordinator.id)
    db.session.add(programme)
    db.session.flush()
    in_programme = make_activity(org=org, starts_in=timedelta(minutes=5),
                                 programme_id=programme.id)
    alone = make_activity(org=org, starts_in=timedelta(days=2))
    resident = make_user(name="居民", home_node=community, phone="13912345678")
    signup = signups.sign_up(in_programme.id, user=resident, now=now)
    signups.sign_up(alone.id, user=resident, now=now)
    scan(in_programme, coordinator, code=codes.personal_payload(
        codes.active_code(resident, now=now)))
    ids = {"activity_id": in_programme.id, "signup_id": signup.id, "node_id": community.id,
           "org_id": org.id, "programme_id": programme.id}
    return ids, {"resident": _session(app, resident),
                 "coordinator": _session(app, coordinator)}


def test_real_objects_answer_as_documented(real, app):
    """Every GET whose path the objects above fill, as the resident and the coordinator:
    each answer's values match their documented types and nullability (a string field
    answering null, or a number answering text, fails response_schema_conformance)."""
    ids, roles = real
    answered = {}
    for label, operation in sorted(OPERATIONS.items()):
        names = [p.name for p in operation.path_parameters]
        if operation.method.upper() != "GET" or not set(names) <= set(ids):
            continue
        checks = [c for c in CHECKS if not (label in ANSWERS_503 and c is not_a_server_error)]
        case = operation.Case(path_parameters={name: ids[name] for name in names})
        for role, (headers, cookies) in roles.items():
            sent = {**headers, "Accept-Encoding": "identity",
                    "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
            response = contextvars.Context().run(
                case.call_and_validate, app=app, session=Client(app, use_cookies=False),
                headers=sent, checks=checks)
            if response.status_code == 200:
                answered[label, role] = response
    activities = answered["GET /api/v1/activities", "resident"].json()["items"]
    assert {a["programme_name"] for a in activities} == {"法律进社区", None}
    mine = answered["GET /api/v1/me/activities", "resident"].json()["upcoming"]
    assert len(mine) == 2 and all(s["starts_at"].endswith("+08:00") for s in mine)
    log = answered["GET /api/v1/activities/{activity_id}/scans", "coordinator"].json()
    assert [(s["ok"], s["person"]["phone"]) for s in log] == [(True, "139****5678")]
    assert len(answered) >= 30, sorted(answered)
