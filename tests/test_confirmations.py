"""Every form that posts to a destructive endpoint asks first: hx-confirm (htmx forms) or
data-confirm (plain forms) on the form tag, both shown as a WeUI dialog by
web/src/confirm.js. No template calls the browser's confirm() or builds its own dialog."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
SRC = Path(__file__).resolve().parents[1] / "web" / "src"

# endpoint -> the forms of it that destroy or cannot be undone (None: every form of it;
# otherwise a string the form's tag or body must contain to be one of them)
DESTRUCTIVE: dict[str, str | None] = {
    "activities_pages.withdraw": None,
    "activities_pages.cancel": None,
    "activities_pages.finish": None,
    "activities_pages.draw": None,
    "certificate_pages.decline": None,
    "certificate_pages.revoke": None,
    "communities_pages.revoke": None,
    "donation_desk.act": "action=action",  # decline, cancel, release (accept is not)
    "donation_desk.fund_status": None,
    "donation_pages.withdraw": None,
    "accounts_pages.logout_everywhere": None,
    "hours_pages.reject": None,
    "hours_pages.approve_all": None,
    "hours_pages.answer_correction": 'value="decline"',
    "checkin_pages.regenerate": None,
    "accounts_pages.remove_family_member": None,
    "accounts_pages.confirm_handover": None,
}
# teams' buttons come from the t.action macro: a destructive one passes confirm=
TEAM_ACTIONS = ("'decline'", "'cancel'", "'leave'", "teams_pages.remove", "teams_pages.set_role")

# a start tag: "<form", then Jinja expressions or anything but ">", then ">"
FORM = re.compile(r"<form\b((?:\{\{.*?\}\}|\{%.*?%\}|[^>])*)>(.*?)</form>", re.S)
ENDPOINT = re.compile(r"url_for\('([\w.]+)'")


def templates():
    return sorted(TEMPLATES.rglob("*.html"))


def destructive_forms():
    for path in templates():
        text = path.read_text(encoding="utf-8")
        for match in FORM.finditer(text):
            tag, body = match.group(1), match.group(2)
            endpoint = next(iter(ENDPOINT.findall(tag)), None)
            if endpoint not in DESTRUCTIVE:
                continue
            marker = DESTRUCTIVE[endpoint]
            if marker is None or marker in tag or marker in body:
                yield path.relative_to(TEMPLATES), endpoint, tag


def test_the_list_finds_the_forms():
    """The scan sees the forms it is meant to check: each listed endpoint is found."""
    found = {endpoint for _, endpoint, _ in destructive_forms()}
    assert found == set(DESTRUCTIVE)


def test_every_destructive_form_confirms():
    missing = [f"{path}: {endpoint}" for path, endpoint, tag in destructive_forms()
               if "data-confirm=" not in tag and "hx-confirm=" not in tag]
    assert not missing, "destructive forms without a confirmation:\n" + "\n".join(missing)


def test_every_destructive_team_action_confirms():
    calls = []
    for path in sorted((TEMPLATES / "teams").glob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"t\.action\((.*?)\)\s*(?:%\}|\}\})", text, re.S):
            args = match.group(1)
            if any(kind in args for kind in TEAM_ACTIONS):
                calls.append((path.name, args))
    assert len(calls) >= 7
    missing = [f"{name}: {args[:80]}" for name, args in calls if "confirm=" not in args]
    assert not missing, "team actions without a confirmation:\n" + "\n".join(missing)


def test_one_mechanism():
    """No browser confirm(), no Alpine dialog component: confirm.js is the one way."""
    for path in SRC.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w.])(window\.)?confirm\(", source), path.name
    for path in templates():
        text = path.read_text(encoding="utf-8")
        assert "confirmDialog" not in text, path
        assert "onclick" not in text.lower(), path
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert "dist/confirm.js" in base
