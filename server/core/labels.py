"""Translated labels for the fixed vocabularies (kinds, statuses, skills, forces)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTIVITY_KIND = {
    "home_visit": _l("Home visit"),
    "case_work": _l("Case work"),
    "community_event": _l("Community event"),
    "lecture": _l("Public lecture"),
    "charity_festival": _l("Charity festival"),
    "book_drive": _l("Book drive"),
    "programme_session": _l("Programme session"),
    "training": _l("Training"),
}
JOB_STATUS = {
    "running": _l("running"),
    "ok": _l("done"),
    "partial": _l("some records failed"),
    "failed": _l("failed"),
    "skipped": _l("skipped: not the leader"),
}
ACTIVITY_STATUS = {
    "draft": _l("Draft"),
    "published": _l("Open"),
    "cancelled": _l("Cancelled"),
    "finished": _l("Finished"),
}
# Activity.phase: the status, and for a published activity whether it is under way or over
ACTIVITY_PHASE = {
    **ACTIVITY_STATUS,
    "under_way": _l("Under way"),
    "ended": _l("Ended"),
}
SIGNUP_STATUS = {
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("Waitlisted"),
    "withdrawn": _l("Withdrawn"),
    "cancelled": _l("Cancelled"),
    "entered": _l("In the lottery"),
}
SKILL = {
    "legal": _l("Legal"),
    "education": _l("Education"),
    "medical": _l("Medical"),
    "psychology": _l("Psychology"),
    "first_aid": _l("First aid"),
    "elderly_care": _l("Elderly care"),
    "childcare": _l("Childcare"),
    "photography": _l("Photography"),
    "it": _l("Computers and phones"),
}
FORCE = {
    "community": _l("Community"),
    "social_workers": _l("Social workers"),
    "organisations": _l("Social organisations"),
    "volunteers": _l("Volunteers"),
    "charity": _l("Charitable resources"),
}
NODE_KIND = {
    "district": _l("District"),
    "street": _l("Street"),
    "town": _l("Town"),
    "community": _l("Community"),
    "village": _l("Village"),
}
ORG_KIND = {
    "community": _l("Residents' committee"),
    "social_work": _l("Social work station or centre"),
    "social_org": _l("Social organisation"),
    "volunteer_team": _l("Volunteer team"),
    "charity": _l("Charity or foundation"),
}
ROLE = {
    "organiser": _l("Organiser"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
}
GENDER = {"female": _l("Female"), "male": _l("Male")}
# how a family member is related to the person who added them (accounts.family)
RELATION = {
    "child": _l("Child"),
    "parent": _l("Parent"),
    "spouse": _l("Spouse"),
    "other": _l("Other family"),
}


def skill_label(code: str) -> str:
    return str(SKILL.get(code, code))


def label(table: dict, code: str | None) -> str:
    return str(table.get(code, code or ""))


def list_separator() -> str:
    """Between the items of a list in the reader's language: 、 or a comma."""
    from server.core.language import chinese
    return "、" if chinese() else ", "


def join(items) -> str:
    """A list in the reader's language: 法律、教育 / Legal, Education."""
    return list_separator().join(str(i) for i in items)


def sentences(parts) -> str:
    """Whole sentences one after another: Chinese runs them on ("已通过2条。另有1条……"),
    English puts a space between them. Empty parts are left out."""
    from server.core.language import chinese
    return ("" if chinese() else " ").join(str(p) for p in parts if p)


def sentence(text: str | None) -> str:
    """Someone's words (a reason) as a whole sentence inside ours: its own full stop kept,
    one added in the reader's language where it has none ("没人见到你" → "没人见到你。")."""
    from server.core.language import chinese
    text = (text or "").strip()
    if not text or text[-1] in "。.!！?？…)）”\"":
        return text
    return text + ("。" if chinese() else ".")
