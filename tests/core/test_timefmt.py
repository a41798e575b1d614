"""One way to say how long: timefmt.duration, the `duration` filter on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale

from server.core import timefmt

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


@pytest.mark.parametrize(("minutes", "zh", "en"), [
    (90, "1小时30分", "1 h 30 min"),
    (45, "45分", "45 min"),
    (120, "2小时", "2 h"),
    (605, "10小时5分", "10 h 5 min"),
    (0, "0分", "0 min"),
    (None, "0分", "0 min"),
    (-90, "-1小时30分", "-1 h 30 min"),  # a reversal keeps its sign
])
def test_duration_as_people_say_it(app, minutes, zh, en):
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert timefmt.duration(minutes) == zh
            assert render_template_string("{{ m | duration }}", m=minutes) == zh
        with force_locale("en"):
            assert timefmt.duration(minutes) == en


def test_no_page_shows_a_clock_style_duration():
    """The h:mm filter is gone, and no template does its own arithmetic on minutes."""
    for path in TEMPLATES.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        assert "| hmm" not in source, path
        assert not re.search(r"minutes\s*(//|%)\s*60", source), path


@pytest.mark.parametrize("minutes,hours", [(0, "0.0"), (15, "0.3"), (9, "0.2"), (3, "0.1"),
                                           (45, "0.8"), (90, "1.5"), (-15, "-0.3"),
                                           (None, "0.0")])
def test_hours_are_rounded_half_up_everywhere(minutes, hours):
    """The dashboard rounded a quarter hour to 0.2, certificates to 0.3: one rule now."""
    from server.core import timefmt
    from server.hours.certificates import hours_text as certificate
    from server.hours.schemas import hours_text as page
    from server.reports.figures import Figures
    assert str(timefmt.hours(minutes)) == certificate(minutes) == page(minutes) == hours
    if minutes is not None and minutes >= 0:
        assert str(Figures({("minutes", ""): minutes}).hours) == hours
