"""An activity as an iCalendar file (RFC 5545), for "add to calendar" on a phone.

Written by hand: one VEVENT is a few lines, and the rules that matter are few. Times are
UTC (the "Z" form), so no VTIMEZONE is needed and every calendar shows Beijing time on a
phone set to it. Text values escape backslash, semicolon, comma and newline (3.3.11);
lines are folded at 75 octets without splitting a UTF-8 character (3.1); every line ends
with CRLF. The UID is the same for every download of one activity, so importing it again
after the organiser moved it updates the entry instead of adding a second one; SEQUENCE
follows the last change.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from server.activities.models import Activity
from server.core.clock import as_utc

PRODID = "-//Wushe//Wushe 五社通//ZH"
LIMIT = 75  # octets per line, CRLF not counted


def escape(value: str) -> str:
    """TEXT as RFC 5545 3.3.11 wants it; CR LF and lone CR become one newline."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line: str) -> str:
    """One content line, folded: continuation lines start with a space, and no line
    passes 75 octets. Never inside a UTF-8 sequence (a Chinese character is 3 octets)."""
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        # a continuation line's leading space takes one of its 75 octets
        if size + width > LIMIT:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out)


def stamp(value: datetime) -> str:
    return as_utc(value).strftime("%Y%m%dT%H%M%SZ")


def uid(activity: Activity, site_url: str) -> str:
    host = urlsplit(site_url).hostname or "wushe.local"
    return f"activity-{activity.id}@{host}"


def ics(activity: Activity, *, url: str, site_url: str, now: datetime,
        description: str = "", alarm_minutes: int = 60) -> bytes:
    """The activity as a one-event VCALENDAR with a reminder `alarm_minutes` before it
    starts. description: the text before the link."""
    changed = activity.updated_at or activity.created_at
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{escape(PRODID)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid(activity, site_url)}",
        f"DTSTAMP:{stamp(now)}",
        f"LAST-MODIFIED:{stamp(changed)}",
        # seconds since creation grows with every edit: calendars keep the newest copy
        f"SEQUENCE:{max(int((as_utc(changed) - as_utc(activity.created_at)).total_seconds()), 0)}",
        f"DTSTART:{stamp(activity.starts_at)}",
        f"DTEND:{stamp(activity.ends_at)}",
        f"SUMMARY:{escape(activity.title)}",
        f"LOCATION:{escape(activity.place)}",
        f"DESCRIPTION:{escape((description + chr(10) if description else '') + url)}",
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if activity.status == 'cancelled' else 'CONFIRMED'}",
        # the phone reminds the person when it is time to set out
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{escape(activity.title)}",
        f"TRIGGER:-PT{max(int(alarm_minutes), 0)}M",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
