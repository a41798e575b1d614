"""The activity list's chips as links (they work without JavaScript): each chip's link
toggles its filter and keeps the others; the active filters, each with a link that takes
it away, for the chips' selected state and the empty state's suggestions."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l

from server.accounts.models import User
from server.core import clock
from server.core.labels import ACTIVITY_KIND, join, label
from server.core.timefmt import day as day_text

WHEN = {"today": _l("Today"), "weekend": _l("This weekend"), "week": _l("This week"),
        "month": _l("This month")}
NEAR = {"community": _l("My community"), "street": _l("My street")}
SORT = {"soon": _l("Starting soonest"), "new": _l("Newest"), "places": _l("Most places")}
# query-string keys in the order the active filters are listed
KEYS = ("q", "open", "skills", "near", "node_id", "when", "date", "kind", "include_past")


@dataclass
class Chip:
    text: str
    href: str
    on: bool


def _query(args: dict) -> dict:
    """The filters in effect as query-string values (what failed to parse is not here)."""
    out = {}
    for key in KEYS:
        value = args.get(key)
        if value in (None, "", False):
            continue
        out[key] = "1" if value is True else value.isoformat() if key == "date" else value
    if args.get("sort", "soon") != "soon":
        out["sort"] = args["sort"]
    return out


def _href(query: dict, **changes) -> str:
    merged = {**query, **changes}
    return url_for("activities_pages.index",
                   **{k: v for k, v in merged.items() if v not in (None, "")})


def _toggle(query: dict, key: str, value, text) -> Chip:
    on = str(query.get(key)) == str(value)
    # one value per key: a date chip replaces the chosen day, and the reverse
    also = {"date": None} if key == "when" else {"when": None} if key == "date" else {}
    if key == "near":
        also["node_id"] = None
    return Chip(str(text), _href(query, **{key: None if on else value}, **also), on)


def _describe(key: str, value, places: list) -> str:
    if key == "q":
        return str(_l("“%(words)s”", words=value))
    if key in ("open", "skills", "include_past"):
        return str({"open": _l("Open places"), "skills": _l("Suits my skills"),
                    "include_past": _l("Including ended")}[key])
    if key == "near":
        return str(NEAR[value])
    if key == "when":
        return str(WHEN[value])
    if key == "kind":
        return label(ACTIVITY_KIND, value)
    if key == "date":
        return day_text(value, clock.local(clock.now()))
    names = {str(p.id): p.name for p in places}
    return names.get(str(value), str(_l("Chosen community")))


def context(args: dict, *, user: User | None, places: list) -> dict:
    """chips (by row), sorts, the active filters with their removal links, clear link."""
    query = _query(args)
    rows = {"quick": [_toggle(query, "open", "1", _l("Open places"))]}
    if user is not None:
        rows["quick"].append(_toggle(query, "skills", "1", _l("Suits my skills")))
        if user.home_node_id:
            rows["quick"] += [_toggle(query, "near", k, t) for k, t in NEAR.items()]
    rows["when"] = [_toggle(query, "when", k, t) for k, t in WHEN.items()]
    rows["kind"] = [_toggle(query, "kind", k, label(ACTIVITY_KIND, k))
                    for k in ACTIVITY_KIND]
    current = args.get("sort") or "soon"
    sorts = [Chip(str(t), _href(query, sort=None if k == "soon" else k), k == current)
             for k, t in SORT.items()]
    active = [(_describe(k, args[k], places), _href(query, **{k: None}))
              for k in KEYS if k in query]
    return {"chips": rows, "sorts": sorts, "active": active, "query": query,
            "active_text": join(text for text, _href in active),
            "clear_href": url_for("activities_pages.index")}
