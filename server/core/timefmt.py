"""Moments as people read them: Beijing time, in the current language."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date, format_skeleton
from flask_babel import get_locale

from server.core import clock


def day(value: datetime, now: datetime) -> str:
    """"11月30日 周六" (the year only when it is not this one)."""
    locale = get_locale() or "zh_CN"
    skeleton = "MMMd" if value.year == now.year else "yMMMd"
    label, weekday = format_skeleton(skeleton, value, locale=locale), format_date(
        value, "EEE", locale=locale)
    return f"{label} {weekday}" if str(locale).startswith("zh") else f"{weekday} {label}"


def moment(value: datetime | None) -> str:
    """One moment, e.g. "11月28日 周五 18:00"."""
    if value is None:
        return ""
    local = clock.local(value)
    return f"{day(local, clock.local(clock.now()))} {local:%H:%M}"


def span(start: datetime, end: datetime) -> str:
    """"11月30日 周六 09:00–11:00", or both days when it runs over midnight."""
    now, start, end = clock.local(clock.now()), clock.local(start), clock.local(end)
    if start.date() == end.date():
        return f"{day(start, now)} {start:%H:%M}–{end:%H:%M}"
    return f"{day(start, now)} {start:%H:%M} – {day(end, now)} {end:%H:%M}"


def duration(minutes: int | None) -> str:
    """A length of time as people say it, never "1:30" or "90 分钟": "1小时30分", "45分",
    "2小时" ("1 h 30 min", "45 min", "2 h" in English); a reversal keeps its minus sign.
    The one duration formatter: pages use it as the `duration` filter, messages call it."""
    from flask_babel import gettext as _
    minutes = minutes or 0
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        text = _("%(h)d h %(m)d min", h=hours, m=rest)
    elif hours:
        text = _("%(h)d h", h=hours)
    else:
        text = _("%(m)d min", m=rest)
    return sign + text


def every(seconds: int) -> str:
    """How often something runs, in the largest unit that says it exactly: "每3秒",
    "每10分钟", "每小时", "每天" ("every 3 seconds", "every hour"), never "每3600秒"."""
    from flask_babel import gettext as _
    from flask_babel import ngettext
    for size, once, many in (
            (86400, _("Every day"), lambda n: ngettext("Every %(num)d day",
                                                        "Every %(num)d days", n)),
            (3600, _("Every hour"), lambda n: ngettext("Every %(num)d hour",
                                                        "Every %(num)d hours", n)),
            (60, _("Every minute"), lambda n: ngettext("Every %(num)d minute",
                                                        "Every %(num)d minutes", n)),
            (1, _("Every second"), lambda n: ngettext("Every %(num)d second",
                                                       "Every %(num)d seconds", n))):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return once if count == 1 else many(count)
    return many(seconds)


def hours(minutes: int | None) -> Decimal:
    """Minutes as hours with one decimal, rounded half up (15 minutes are 0.3 hours): the
    one rounding of hours, for the dashboard, the pages, the API and certificates alike
    (they rounded a quarter hour three ways)."""
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
