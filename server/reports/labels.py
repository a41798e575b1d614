"""The words of the statistics pages and downloads: a period's name ("2026年9月",
"2026年第3季度") and each headline figure's."""

from __future__ import annotations

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _

from server.reports.periods import Period


def period_label(period: Period) -> str:
    """"2026年9月", "2026年第3季度", "2026年", "2026年3月至8月" (and in English)."""
    locale = get_locale()
    if period.kind == "month" or len(period.months()) == 1:  # 2026-03..2026-03 is March
        return format_skeleton("yMMMM", period.start, locale=locale)
    if period.kind == "quarter":
        return format_skeleton("yQQQ", period.start, locale=locale)
    if period.kind == "year":
        return _("Year %(year)s", year=period.start.year)
    last = period.months()[-1].start
    return _("%(first)s to %(last)s", first=format_skeleton("yMMMM", period.start, locale=locale),
             last=format_skeleton("yMMMM", last, locale=locale))


def headline_label(name: str) -> str:
    return {
        "activities": _("Activities held"), "person_times": _("Volunteer person-times"),
        "volunteers": _("Volunteers"), "hours": _("Hours approved"),
        "organisations": _("Organisations mobilised"),
        "community_orgs": _("Community organisations active"),
        "linked3": _("Activities linking three forces or more"),
        "money_pledged": _("Money pledged (yuan)"),
        "money_received": _("Money received (yuan)"),
        "money_distributed": _("Money distributed (yuan)"),
        "goods_received": _("Goods received (items)"),
        "goods_received_value": _("Goods received, value (yuan)"),
        "goods_distributed": _("Goods distributed (items)"),
        "goods_distributed_value": _("Goods distributed, value (yuan)"),
    }[name]


def own_label(place_name: str) -> str:
    """The row of what a place holds itself beside the places below it: "魏善庄镇本级"."""
    return _("%(place)s itself", place=place_name)
