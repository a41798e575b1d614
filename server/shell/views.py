"""The app shell: small helpers every page template uses."""

from __future__ import annotations

from flask import Blueprint

from server.core import timefmt
from server.core.labels import label, sentences

bp = Blueprint("shell", __name__)
bp.add_app_template_filter(timefmt.duration, "duration")  # 90 -> "1小时30分"
bp.add_app_template_filter(timefmt.every, "every")  # 3600 -> "每小时"
bp.add_app_template_filter(sentences, "sentences")  # Chinese sentences run on, no spaces


@bp.app_template_global()
def options(table: dict, codes=None) -> list[tuple[str, str]]:
    """(code, translated label) pairs for a select or checkbox group."""
    return [(code, label(table, code)) for code in (codes or table.keys())]


@bp.app_template_global()
def place_options(nodes) -> list[tuple[int, str]]:
    """A community with its street or town, so two 新村 can be told apart."""
    return [(n.id, f"{n.name} · {n.parent.name}" if n.parent else n.name) for n in nodes]


@bp.app_template_global()
def named_options(items) -> list[tuple[int, str]]:
    """(id, name) pairs, e.g. for organisations."""
    return [(item.id, item.name) for item in items]
