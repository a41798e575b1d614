"""Decisions over all of a file's rows at once, in SQL: duplicates within the file,
accounts that already exist, hours already recorded. A handful of statements whatever
the row count, so neither memory nor the number of queries grows with the file.

Run when the file is checked and again when it is confirmed, so confirm decides on what
the database holds then (someone may have registered in between).
"""

from __future__ import annotations

from sqlalchemy import and_, case, exists, func, or_, select, text, update
from sqlalchemy.orm import aliased

from server.accounts.models import User
from server.activities.models import Activity
from server.extensions import db
from server.hours.models import HourEntry, HourReview
from server.imports.models import ImportRow

R = ImportRow
# entries that count or wait for review, other than imported ones
RECORDED_KINDS = ("attendance", "retroactive", "replacement")


def _rows(file_id: int, sheet: str):
    return and_(R.file_id == file_id, R.sheet == sheet)


def _reject(file_id: int, sheet: str, reason: str, *conditions) -> None:
    db.session.execute(
        update(R).where(_rows(file_id, sheet), R.status != "rejected", *conditions)
        .values(status="rejected", reason=reason)
        .execution_options(synchronize_session=False))


def _earlier_same(file_id: int, sheet: str, *columns: str):
    """An earlier row of this sheet, not refused, has the same values in `columns`.

    Written as "after the first such row" (MIN over the phone index), not as EXISTS with
    row_no < row_no: SQLite would scan the row-number range for every row."""
    other = aliased(ImportRow)
    same = [getattr(other, c) == getattr(R, c) for c in columns]
    first = (select(func.min(other.row_no))
             .where(other.file_id == file_id, other.sheet == sheet,
                    other.status != "rejected", *same).scalar_subquery())
    return R.row_no > first


def match_accounts(file_id: int) -> None:
    """Every checked phone of the file gets the id of the account that has it, if any."""
    db.session.execute(
        update(R).where(R.file_id == file_id, R.status != "rejected")
        .values(user_id=select(User.id).where(User.phone == R.phone).scalar_subquery())
        .execution_options(synchronize_session=False))


def fresh_statistics() -> None:
    """PostgreSQL plans the statements below from import_rows' statistics, which know
    nothing of the rows just staged: with the table analysed when it was small, or never,
    it read each row's earlier rows along the row-number index instead of the phone index,
    once per row (seven minutes in all for 10,000 rows). ANALYZE samples the table,
    staged rows included, in a fraction of a second. Its lock is held until the
    transaction ends and another ANALYZE of the table waits for it, so where another
    import (or autovacuum) holds it, this one does without (SKIP_LOCKED): the statistics
    that import is making will do."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE (SKIP_LOCKED) import_rows"))


def resolve(file_id: int) -> None:
    fresh_statistics()
    # people: the first row of a phone counts; an account with the phone is the person
    # (a row refused for its name first, so that it does not push out a right one after it)
    match_accounts(file_id)
    # names compared without their spaces: "王 芳" registered is the roster's "王芳"
    _reject(file_id, "people", "name_mismatch", R.user_id.is_not(None), exists().where(
        User.id == R.user_id, func.replace(User.name, " ", "") != func.replace(R.name, " ", "")))
    _reject(file_id, "people", "duplicate_person", _earlier_same(file_id, "people", "phone"))
    db.session.execute(
        update(R).where(_rows(file_id, "people"), R.status != "rejected")
        .values(status=case((R.user_id.is_not(None), "existing"), else_="new"))
        .execution_options(synchronize_session=False))

    # hours: a known person (an account, or a volunteer on the first sheet), once per
    # activity, not recorded already in another way
    _reject(file_id, "hours", "activity_cancelled", exists().where(
        Activity.id == R.activity_id, Activity.status.in_(("draft", "cancelled"))))
    _reject(file_id, "hours", "duplicate_hours",
            _earlier_same(file_id, "hours", "phone", "activity_id"))
    person = aliased(ImportRow)
    listed = exists().where(person.file_id == file_id, person.sheet == "people",
                            person.status != "rejected", person.phone == R.phone)
    _reject(file_id, "hours", "unknown_person", R.user_id.is_(None), ~listed)
    # the phone's account is someone else's (the volunteers sheet names another person),
    # and no row of the sheet names the account's holder
    _reject(file_id, "hours", "person_refused", exists().where(
        person.file_id == file_id, person.sheet == "people", person.phone == R.phone,
        person.reason == "name_mismatch"), ~listed)
    reversal = aliased(HourEntry)
    recorded = (select(HourEntry.id)
                .outerjoin(HourReview, HourReview.entry_id == HourEntry.id)
                .where(HourEntry.user_id == R.user_id, HourEntry.activity_id == R.activity_id,
                       HourEntry.kind.in_(RECORDED_KINDS),
                       or_(HourReview.id.is_(None), HourReview.decision == "approved"),
                       ~exists().where(reversal.reverses_id == HourEntry.id))
                .exists())
    _reject(file_id, "hours", "already_recorded", R.user_id.is_not(None), recorded)
    imported = exists().where(HourEntry.user_id == R.user_id,
                              HourEntry.activity_id == R.activity_id,
                              HourEntry.kind == "imported")
    db.session.execute(
        update(R).where(_rows(file_id, "hours"), R.status != "rejected")
        .values(status=case((and_(R.user_id.is_not(None), imported), "existing"),
                            else_="new"))
        .execution_options(synchronize_session=False))


def totals(file_id: int) -> dict[str, dict]:
    """{"people": {"new": n, "existing": n, "rejected": n, "reasons": {reason: n}}, …}"""
    out = {sheet: {"new": 0, "existing": 0, "rejected": 0, "reasons": {}}
           for sheet in ("people", "hours")}
    for sheet, status, reason, count in db.session.execute(
            select(R.sheet, R.status, R.reason, func.count()).where(R.file_id == file_id)
            .group_by(R.sheet, R.status, R.reason)):
        out[sheet][status] += count
        if reason:
            out[sheet]["reasons"][reason] = count
    return out
