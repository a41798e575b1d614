"""The OpenAPI document and the self-hosted Swagger UI page."""

from __future__ import annotations

import re

from tests.conftest import ApiClient

EXPECTED = {
    "/api/v1/hours/exports": {"post"},
    "/api/v1/exports": {"get"},
    "/api/v1/exports/{job_id}": {"get"},
    "/api/v1/exports/{job_id}/file": {"get"},
    "/api/v1/auth/csrf": {"get"},
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/me": {"get", "patch"},
    "/api/v1/me/activities": {"get"},
    "/api/v1/me/notifications": {"get"},
    "/api/v1/me/notifications/read": {"post"},
    "/api/v1/me/notifications/unread": {"get"},
    "/api/v1/me/notifications/{note_id}/read": {"post"},
    "/api/v1/me/notification-preferences": {"get", "put"},
    "/api/v1/people": {"get"},
    "/api/v1/me/family": {"get", "post"},
    "/api/v1/me/family/{member_id}": {"get", "put", "delete"},
    "/api/v1/me/family/{member_id}/handover/code": {"post"},
    "/api/v1/me/family/{member_id}/handover": {"post"},
    "/api/v1/residents": {"get", "post"},
    "/api/v1/roles": {"get", "post"},
    "/api/v1/roles/{grant_id}": {"delete"},
    "/api/v1/nodes": {"get", "post"},
    "/api/v1/nodes/{node_id}": {"get", "patch"},
    "/api/v1/organisations": {"get", "post"},
    "/api/v1/organisations/{org_id}": {"get", "patch"},
    "/api/v1/activities": {"get", "post"},
    "/api/v1/activities/manage": {"get"},
    "/api/v1/activities/{activity_id}": {"get", "patch"},
    "/api/v1/activities/{activity_id}/publish": {"post"},
    "/api/v1/activities/{activity_id}/cancel": {"post"},
    "/api/v1/activities/{activity_id}/finish": {"post"},
    "/api/v1/activities/{activity_id}/signups": {"post"},
    "/api/v1/activities/{activity_id}/roster": {"get"},
    "/api/v1/activities/{activity_id}/paper-sheet": {"get"},
    "/api/v1/activities/{activity_id}/paper-sheet.pdf": {"get"},
    "/api/v1/activities/{activity_id}/paper-sheet/entries": {"post"},
    "/api/v1/signups/{signup_id}/withdraw": {"post"},
    "/api/v1/signups/{signup_id}/remove": {"post"},
    "/api/v1/signups/{signup_id}/next-steps": {"get"},
    "/api/v1/activities/{activity_id}/calendar.ics": {"get"},
    "/api/v1/activities/{activity_id}/feedback": {"get"},
    "/api/v1/activities/{activity_id}/feedback/mine": {"get", "put"},
    "/api/v1/programmes/{programme_id}/feedback": {"get"},
    "/api/v1/me/feedback/awaiting": {"get"},
    "/api/v1/stats/places": {"get"},
    "/api/v1/stats/{node_id}": {"get"},
    "/api/v1/stats/{node_id}/figures/{figure}": {"get"},
    "/api/v1/programmes": {"get", "post"},
    "/api/v1/programmes/{programme_id}": {"get", "patch"},
    "/api/v1/programmes/{programme_id}/activities": {"get"},
    "/api/v1/imports": {"post"},
    "/api/v1/imports/{import_id}": {"get"},
    "/api/v1/imports/{import_id}/confirm": {"post"},
    "/api/v1/teams": {"get"},
    "/api/v1/teams/{team_id}": {"get"},
    "/api/v1/teams/{team_id}/requests": {"post"},
    "/api/v1/teams/{team_id}/invitations": {"post"},
    "/api/v1/teams/{team_id}/invitations/{invitation_id}/cancel": {"post"},
    "/api/v1/teams/{team_id}/pending": {"get"},
    "/api/v1/teams/{team_id}/signups": {"post"},
    "/api/v1/team-memberships/{membership_id}/accept": {"post"},
    "/api/v1/team-memberships/{membership_id}/approve": {"post"},
    "/api/v1/team-memberships/{membership_id}/decline": {"post"},
    "/api/v1/team-memberships/{membership_id}/cancel": {"post"},
    "/api/v1/team-memberships/{membership_id}/leave": {"post"},
    "/api/v1/team-memberships/{membership_id}/remove": {"post"},
    "/api/v1/team-memberships/{membership_id}/role": {"post"},
    "/api/v1/me/teams": {"get"},
}
METHODS = {"get", "post", "put", "patch", "delete"}


def test_openapi_lists_every_endpoint_with_a_summary(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    spec = resp.get_json()
    assert spec["openapi"].startswith("3.") and spec["info"]["version"] == "v1"
    paths = {path: {m for m in ops if m in METHODS} for path, ops in spec["paths"].items()}
    for path, methods in EXPECTED.items():
        assert methods <= paths.get(path, set()), path
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in METHODS:
                assert op.get("summary"), f"{method.upper()} {path} has no docstring"


def test_openapi_describes_bodies_and_responses(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    register = spec["paths"]["/api/v1/auth/register"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/RegisterIn")
    assert "201" in register["responses"]
    schemas = spec["components"]["schemas"]
    assert "password" not in schemas["MeOut"]["properties"]
    assert {"my_signup", "places_left"} <= set(schemas["ActivityDetailOut"]["properties"])


def test_swagger_ui_is_self_hosted(client):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/" in html
    assert "/api/v1/openapi.json" in html
    foreign = [url for url in re.findall(r"https?://[^\s\"'<>]+", html)
               if not url.startswith("http://localhost")]
    assert foreign == []


def test_every_parameter_is_in_a_place_openapi_3_knows(client):
    """formData is Swagger 2's: a client generated from the document could not send an
    upload's fields. Uploads are one multipart/form-data body (server.core.api)."""
    doc = client.get("/api/v1/openapi.json").get_json()
    places = {p["in"] for path in doc["paths"].values() for op in path.values()
              if isinstance(op, dict) for p in op.get("parameters", [])}
    assert places <= {"path", "query", "header", "cookie"}, places
    upload = doc["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]
    schema = doc["components"]["schemas"][
        upload["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"file", "node_id"}


TYPED = {"type", "$ref", "allOf", "oneOf", "anyOf"}


def _untyped(node, where: str = "") -> list[str]:
    """Every property in the document, anywhere (components, parameters, bodies), that says
    nothing of its type: a client generated from it would not know what it reads."""
    found = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if isinstance(prop, dict) and not TYPED & set(prop):
                found.append(f"{where}.{name}")
        for key, value in node.items():
            found += _untyped(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _untyped(value, f"{where}[{i}]")
    return found


def test_every_property_has_a_type(client):
    """A Function or Method field says nothing apispec can read: server.core.fields'
    Computed (Text, Count, Flag, When) and NestedFrom give it its type."""
    doc = client.get("/api/v1/openapi.json").get_json()
    assert _untyped(doc) == []
    parameters = [p for path in doc["paths"].values() for op in path.values()
                  if isinstance(op, dict) for p in op.get("parameters", [])]
    assert [p["name"] for p in parameters if not TYPED & set(p["schema"])] == []


def test_computed_fields_say_their_type_and_nullability(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    activity = schemas["ActivityOut"]["properties"]
    assert activity["programme_name"] == {"type": "string", "nullable": True, "readOnly": True}
    assert activity["kind_label"]["type"] == "string"
    assert "nullable" not in activity["node_name"]
    signup = schemas["SignupOut"]["properties"]["starts_at"]
    assert (signup["type"], signup["format"]) == ("string", "date-time")
    lottery = schemas["LotteryOut"]["properties"]
    assert lottery["activity_id"]["type"] == "integer"
    assert lottery["results"]["items"]["$ref"].endswith("/LotteryResultOut")
    assert schemas["PersonOut"]["properties"]["phone"]["type"] == "string"


def _operations(doc):
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method in METHODS:
                yield path, method, op


def test_operations_document_login_and_not_found(client):
    """server.core.api.document_answers: 401 from the view's login requirement, 404 with
    the domain's not-found code from the path's parameters."""
    doc = client.get("/api/v1/openapi.json").get_json()
    roster = doc["paths"]["/api/v1/activities/{activity_id}/roster"]["get"]["responses"]
    assert roster["401"]["description"] == "Not logged in: `login_required`."
    assert "`activity_not_found`" in roster["404"]["description"]
    assert roster["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    public = doc["paths"]["/api/v1/activities"]["get"]["responses"]
    assert "401" not in public and "404" not in public
    scan = doc["paths"]["/api/v1/activities/{activity_id}/scans"]["post"]["responses"]
    assert "401" in scan  # checkin's own login check, marked needs_login
    declared = set(doc["components"]["schemas"]["Error"]["properties"]["code"]["enum"])
    for path, method, op in _operations(doc):
        if "404" in op["responses"]:
            listed = re.findall(r"`(\w+)`", op["responses"]["404"]["description"])
            assert listed and set(listed) <= declared, (method, path, listed)


def _filled(path: str, value: int = 1) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: {"figure": "people", "fmt": "png",
                                            "code": "X"}.get(m[1], str(value)), path)


def test_a_documented_401_is_what_an_anonymous_request_gets(app, client):
    """Every operation, called without a login: 401 exactly where the document says so."""
    doc = client.get("/api/v1/openapi.json").get_json()
    wrong = []
    for path, method, op in _operations(doc):
        # a browser of its own each time: logging out (one of the operations) ends the
        # session its CSRF token belongs to
        resp = ApiClient(app.test_client()).open(_filled(path), method=method.upper(),
                                                 json={})
        if (resp.status_code == 401) != ("401" in op["responses"]):
            wrong.append((method, path, resp.status_code))
    assert wrong == [], "\n".join(map(str, wrong))


def test_a_documented_404_is_what_a_missing_object_gets(api, make_user, make_node, grant):
    """Every GET naming an object that does not exist, by a coordinator: 404 with one of the
    codes the document lists."""
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", make_node(name="通运街道", kind="street"))
    api.login(coordinator)
    doc = api.get("/api/v1/openapi.json").get_json()
    wrong, checked = [], 0
    for path, method, op in _operations(doc):
        if method != "get" or "404" not in op["responses"]:
            continue
        resp = api.get(_filled(path, 999_999_999))
        if resp.status_code == 422:  # its query is read before the object is looked up
            continue
        checked += 1
        listed = re.findall(r"`(\w+)`", op["responses"]["404"]["description"])
        code = (resp.get_json(silent=True) or {}).get("code")
        if resp.status_code != 404 or code not in listed:
            wrong.append((path, resp.status_code, code, listed))
    assert wrong == [], "\n".join(map(str, wrong))
    assert checked >= 30
