"""How a pledge's donor is named in public: only as they consented (anonymous unless they
chose otherwise), changed by them at any time."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from server.accounts.models import User
from server.donations import errors
from server.donations.models import Pledge
from server.donations.vocab import TITLE_ZH
from server.extensions import db

COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "令狐", "慕容",
                     "长孙", "宇文", "司徒", "夏侯", "公孙", "端木")


def surname(name: str) -> str:
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


def public_name(pledge: Pledge) -> str:
    """The donor as they consented to be shown; anonymous unless they chose otherwise."""
    if pledge.display == "full_name" and pledge.donor_name:
        return pledge.donor_name
    if pledge.display == "surname" and pledge.donor_name:
        return surname(pledge.donor_name) + TITLE_ZH.get(pledge.title, "")
    if pledge.display == "organisation" and pledge.donor_org:
        return pledge.donor_org
    return str(_l("Anonymous"))


def chosen(data: dict, donor_org: str | None = None) -> tuple[str, str | None]:
    """(display, title) as consented: a title belongs to "surname + 先生/女士" only."""
    display = data.get("display") or "anonymous"
    if display == "surname" and not data.get("title"):
        raise errors.TitleRequired()
    if display == "organisation" and not (data.get("donor_org") or donor_org):
        raise errors.OrganisationRequired()
    return display, data.get("title") if display == "surname" else None


def set_display(pledge: Pledge, data: dict, *, actor: User, now: datetime) -> Pledge:
    """The donor may change how they are named at any time; the ledger follows at once."""
    if pledge.donor_id != actor.id:
        raise errors.PledgeNotFound()
    pledge.display, pledge.title = chosen(data, pledge.donor_org)
    if data.get("donor_org"):
        pledge.donor_org = data["donor_org"]
    pledge.display_set_at = now
    db.session.flush()
    return pledge
