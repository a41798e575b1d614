"""Every code is declared once, with its status and a Chinese message; the OpenAPI
document lists them; no page shows a raw code."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from server.core import errors
from server.core.errors import REASONS, Conflict, WusheError, declared
from server.extensions import db

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "server" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def _translated() -> dict[str, str]:
    with CATALOGUE.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id and isinstance(m.id, str)}


def test_every_declared_code_has_a_status_and_a_chinese_message(app):
    zh = _translated()
    codes = declared()
    assert len(codes) > 100
    for code, cls in codes.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code
        assert 400 <= cls.status <= 599, code
        msgid = cls.message._args[0]
        assert zh.get(msgid), f"{code}: no Chinese for {msgid!r}"
        with app.test_request_context(), force_locale("zh_CN"):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(cls.message)), code


def test_every_field_reason_has_a_chinese_text():
    zh = _translated()
    for reason, text in REASONS.items():
        assert zh.get(text._args[0]), reason


def test_a_code_declared_twice_stops_the_app_from_loading():
    with pytest.raises(TypeError, match="declared twice"):
        type("Again", (Conflict,), {"code": "phone_taken", "message": _l("again")})
    assert declared()["phone_taken"].__module__ == "server.accounts.errors"


def test_no_code_is_made_up_where_it_is_raised():
    """Codes live in errors modules; a raise names a class, never `code="…"`."""
    offenders = []
    for path in (ROOT / "server").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(Error|Forbidden|NotFound|Conflict|Unauthorised)\([^)]*\bcode=",
                         line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []


def test_field_reasons_in_raises_are_declared():
    used = set()
    for path in (ROOT / "server").rglob("*.py"):
        if path.name == "errors.py" and path.parent.name == "core":
            continue  # its docstring shows the pattern
        for match in re.finditer(r'errors=\{[^}]*?:\s*\["([a-z_]+)"\]',
                                 path.read_text(encoding="utf-8")):
            used.add(match.group(1))
    assert used and used <= set(REASONS), used - set(REASONS)


def test_a_wushe_error_takes_no_free_text_or_code():
    with pytest.raises(TypeError):
        WusheError("free text")  # type: ignore[misc]
    with pytest.raises(TypeError):
        WusheError(code="made_up")  # type: ignore[call-arg]


def test_the_openapi_document_lists_every_code(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    enum = spec["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
    assert enum == sorted(declared())
    for code in ("invalid_characters", "duplicate_key", "too_large", "busy_retry",
                 "phone_taken", "rate_limited", "csrf_failed"):
        assert f"| `{code}` |" in spec["info"]["description"]


def test_envelope_errors_are_texts_never_tokens(api, make_user):
    api.login(make_user())
    resp = api.patch("/api/v1/me", json={"name": ""})
    body = resp.get_json()
    assert resp.status_code == 422
    for texts in body["errors"].values():
        assert all(t not in REASONS and " " in t or "\u4e00" <= t[0] <= "\u9fff"
                   for t in texts), body


def test_an_unknown_http_status_keeps_the_envelope(client):
    resp = client.delete("/api/v1/health")
    assert resp.status_code == 405 and resp.get_json()["code"] == "method_not_allowed"
    assert resp.headers["Allow"]
    assert errors.BY_STATUS[405] is errors.MethodNotAllowed


def test_every_scan_result_flag_source_and_status_has_words(app):
    """What the scanner, the review card and the hours page show is never a raw code."""
    from server.checkin.errors import RESULT_TEXT
    from server.checkin.models import RESULTS, SOURCES, UNRECORDED
    from server.hours.models import DECISIONS, FLAGS
    from server.hours.schemas import FLAG, SOURCE, STATUS
    zh = _translated()
    for table, codes in ((RESULT_TEXT, RESULTS + UNRECORDED), (FLAG, FLAGS),
                         (SOURCE, SOURCES),
                         (STATUS, DECISIONS + ("pending",))):
        for code in codes:
            assert code in table, code
            assert zh.get(table[code]._args[0]), code


def test_a_message_beside_its_field_is_filled_in_as_the_message_above(api, make_activity,
                                                                       make_user, grant, now):
    from server.activities import signups
    activity = make_activity(capacity=5)
    organiser = make_user()
    grant(organiser, "organiser", activity.node, activity.organisation)
    for _ in range(3):
        signups.sign_up(activity.id, user=make_user(), now=now)
    db.session.commit()
    api.login(organiser)
    resp = api.patch(f"/api/v1/activities/{activity.id}", json={"capacity": 1})
    body = resp.get_json()
    assert (resp.status_code, body["code"]) == (409, "capacity_below_confirmed")
    assert body["errors"]["capacity"] == [body["message"]]
    assert "3" in body["message"] and "%(" not in resp.get_data(as_text=True)


def test_a_list_of_the_wrong_length_counts_items_a_text_characters(api, make_activity,
                                                                    make_user, grant):
    activity = make_activity(starts_in=timedelta(minutes=5))
    organiser = make_user()
    grant(organiser, "organiser", activity.node, activity.organisation)
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scans"
    empty = api.post(f"{url}/batch", json={"scans": []}).get_json()
    assert empty["errors"]["scans"] == ["需要 1 到 500 项。"]
    long = api.post(url, json={"code": "x" * 513}).get_json()
    assert long["errors"]["code"] == ["最多输入 512 个字。"]
