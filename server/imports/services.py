"""Bringing in a roster: check a file (writing only its preview), then confirm it.

check_upload() reads the workbook row by row, checks each row, stages the rows in
import_rows in batches and settles duplicates and existing accounts in SQL; an upload
too large to check while the page waits is stored, and the scheduler checks it
(server.imports.jobs). Nothing a volunteer or a report sees changes. confirm() writes the
accounts and the hours in one unit of work, from the staged rows, in batches; the hours
wait for the organising body's review, as any hours filed for others (the importer does
not decide them). Importing the same roster again finds every person by phone and every
imported hour by its unique key (person and activity, enforced by
uq_hour_entries_imported), so it adds nothing. Services flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from datetime import datetime
from typing import IO

from flask import current_app
from sqlalchemy import func, insert, literal, select, update

from server.accounts import identity, permissions
from server.accounts.models import Consent, User
from server.activities.models import Activity
from server.communities.models import Node
from server.core import events
from server.core.db import fetch
from server.core.errors import Forbidden
from server.extensions import db
from server.hours import ledger
from server.hours.models import HourEntry
from server.imports import checks, errors, resolve
from server.imports.models import ImportFile, ImportRow
from server.imports.sheet import MAX_BYTES, Workbook

BATCH = 1000
# an imported account has no password until its owner sets one (SMS code login or
# "forgot password"): "!" is no Argon2 hash, so no password ever matches it
NO_PASSWORD = "!"
STAFF_ROLES = ("coordinator", "admin")
Progress = Callable[[int], None] | None


def _authorise(actor: User | None, node: Node) -> None:
    if not permissions.covers(actor, node, *STAFF_ROLES):
        raise Forbidden()


def _spool(stream: IO[bytes]) -> tuple[IO[bytes], str, int]:
    """The upload in a temporary file (never more than MAX_BYTES), its SHA-256 and size."""
    fh = tempfile.SpooledTemporaryFile(max_size=1_000_000)
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(64 * 1024):
        size += len(chunk)
        if size > MAX_BYTES:
            fh.close()
            raise errors.FileTooLarge(mb=MAX_BYTES // 1_000_000)
        digest.update(chunk)
        fh.write(chunk)
    fh.seek(0)
    if size == 0:
        fh.close()
        raise errors.NotAWorkbook()
    return fh, digest.hexdigest(), size


def load_scope(node: Node, now: datetime) -> checks.Scope:
    scope = checks.Scope(skills=checks.Scope.skill_names())
    for node_id, name in db.session.execute(
            select(Node.id, Node.name).where(permissions.under(Node.path, [node.path]),
                                             Node.kind.in_(("community", "village")))):
        scope.communities.setdefault(checks.key(name), []).append(node_id)
    for act_id, title, starts, ends in db.session.execute(
            select(Activity.id, Activity.title, Activity.starts_at, Activity.ends_at)
            .join(Node, Activity.node_id == Node.id)
            .where(permissions.under(Node.path, [node.path]),
                   Activity.status.not_in(("draft", "cancelled")), Activity.starts_at <= now)):
        cap = int((ends - starts).total_seconds() // 60)
        scope.activities.setdefault((checks.key(title), checks.local_day(starts)), []).append(
            (act_id, cap))
    return scope


EMPTY_ROW = dict.fromkeys(("reason", "phone", "name", "node_id", "skills", "id_type",
                           "id_number_encrypted", "activity_id", "minutes", "user_id"))


def _person(raw: dict, scope: checks.Scope, now: datetime) -> dict:
    found = {"name": checks.name(raw.get("name")), "phone": checks.phone(raw.get("phone"))}
    found["node_id"] = checks.community(raw.get("community"), scope)
    document = checks.id_number(raw.get("id_number"))
    if document:
        found["id_type"] = document[0]
        found["id_number_encrypted"] = identity.encrypt(document[1], now=now)
    found["skills"] = checks.skills(raw.get("skills"), scope)
    return found


def _hours(raw: dict, scope: checks.Scope, now: datetime) -> dict:
    found = {"phone": checks.phone(raw.get("phone"))}
    on = checks.day(raw.get("date"))
    found["activity_id"], cap = checks.activity(raw.get("activity"), on, scope)
    found["minutes"] = checks.minutes(raw.get("hours"), cap)
    return found


def _stage(book: Workbook, file_id: int, sheet: str, scope: checks.Scope, now: datetime,
           progress: Progress) -> None:
    check = _person if sheet == "people" else _hours
    secret = book.sheets[sheet].columns.get("id_number") if sheet in book.sheets else None
    batch: list[dict] = []
    for row_no, cells, raw in book.rows(sheet):
        while cells and cells[-1] == "":
            cells.pop()
        if secret is not None and secret < len(cells):
            # the preview and the rejected rows' file show ID numbers masked, never whole
            cells[secret] = identity.mask(identity.normalise(cells[secret]))
        row = {**EMPTY_ROW, "file_id": file_id, "sheet": sheet, "row_no": row_no,
               "status": "new", "cells": cells}
        try:
            row.update(check(raw, scope, now))
        except checks.Refused as refused:
            row.update(status="rejected", reason=refused.reason)
        batch.append(row)
        if len(batch) >= BATCH:
            db.session.execute(insert(ImportRow), batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        db.session.execute(insert(ImportRow), batch)
        if progress:
            progress(len(batch))


def check_rows(book: Workbook, file_id: int, node: Node, *, now: datetime,
               progress: Progress = None) -> None:
    """Check every row of the opened file and stage it; settle duplicates and existing
    accounts. `progress(n)` hears of each batch of n rows staged (and flushed)."""
    scope = load_scope(node, now)
    for sheet in ("people", "hours"):
        _stage(book, file_id, sheet, scope, now, progress)
    if not db.session.scalar(select(func.count()).where(ImportRow.file_id == file_id)):
        raise errors.EmptyWorkbook()
    resolve.resolve(file_id)
    db.session.flush()


def _content(fh: IO[bytes], size: int):
    """What file.content is inserted as: on SQLite an empty blob of the file's size, for
    _write_content() to fill in pieces (the driver keeps the values bound last with its
    cached statement: a copy of the whole file in the SQLite library until that statement
    runs again); elsewhere the bytes, which the driver lets go once sent."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.zeroblob(size)
    fh.seek(0)
    return fh.read()


def _write_content(file: ImportFile, fh: IO[bytes]) -> None:
    """The upload's bytes into its row, which is then not held while the rows are read."""
    if db.session.get_bind().dialect.name == "sqlite":
        driver = db.session.connection().connection.driver_connection
        fh.seek(0)
        with driver.blobopen("import_files", "content", file.id) as blob:
            while chunk := fh.read(64 * 1024):
                blob.write(chunk)
    db.session.expire(file, ["content"])


def forget_content(file_id: int) -> None:
    """The uploaded bytes go once the file is checked (or could not be): names, phones and
    whole ID numbers, which nothing reads again. What stays is what was checked (the rows,
    ID numbers masked or encrypted), and the file's name, size and sha256, which every
    imported hours entry cites. Until then the scheduler's check reads the bytes."""
    db.session.execute(update(ImportFile).where(ImportFile.id == file_id).values(content=b"")
                       .execution_options(synchronize_session=False))


def check_upload(*, actor: User, node: Node, filename: str, stream: IO[bytes],
                 now: datetime, progress: Progress = None,
                 later_above: int | None = None) -> ImportFile:
    """Store the file and its checked rows; change nothing else. Raises a typed error for
    a file that cannot be read at all (too big, not xlsx, a zip bomb, no header).

    With `later_above`, a file of more rows than that is only stored, as waiting: the
    scheduler checks it (server.imports.jobs), and its page shows the progress."""
    _authorise(actor, node)
    fh, sha, size = _spool(stream)
    try:
        book = Workbook(fh)
        try:
            rows = book.row_count()
            later = later_above is not None and rows > later_above
            file = ImportFile(node_id=node.id, filename=(filename or "roster.xlsx")[:200],
                              sha256=sha, size=size, content=_content(fh, size),
                              status="waiting" if later else "checked",
                              uploaded_by_id=actor.id, uploaded_at=now, written={},
                              headers={k: v.header for k, v in book.sheets.items()},
                              rows_total=rows, rows_done=0, attempts=0)
            db.session.add(file)
            db.session.flush()
            _write_content(file, fh)
            if not later:
                check_rows(book, file.id, node, now=now, progress=progress)
                forget_content(file.id)
        finally:
            book.close()
    finally:
        fh.close()
    db.session.expire(file)
    return file


def receive(*, actor: User, node: Node, filename: str, stream: IO[bytes],
            now: datetime) -> ImportFile:
    """An upload from the page or the API: checked at once when small, otherwise stored
    for the scheduler to check (a large file takes longer than a request may)."""
    return check_upload(actor=actor, node=node, filename=filename, stream=stream, now=now,
                        later_above=current_app.config["IMPORT_INLINE_ROWS"])


def get_import(import_id: int, actor: User | None) -> ImportFile:
    """An import, for the staff above its node (others are told it does not exist)."""
    file = fetch(ImportFile, import_id, errors.ImportNotFound)
    node = db.session.get(Node, file.node_id)
    if not permissions.covers(actor, node, *STAFF_ROLES):
        raise errors.ImportNotFound()
    return file


def _batches(file_id: int, sheet: str, status: str):
    """The rows of a sheet with this status, a batch at a time, in row order."""
    after = 0
    while True:
        rows = db.session.execute(
            select(ImportRow.id, ImportRow.row_no, ImportRow.phone, ImportRow.name,
                   ImportRow.node_id, ImportRow.skills, ImportRow.id_type,
                   ImportRow.id_number_encrypted, ImportRow.activity_id, ImportRow.minutes,
                   ImportRow.user_id)
            .where(ImportRow.file_id == file_id, ImportRow.sheet == sheet,
                   ImportRow.status == status, ImportRow.row_no > after)
            .order_by(ImportRow.row_no).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].row_no


def confirm(file: ImportFile, *, actor: User, now: datetime,
            progress: Progress = None) -> ImportFile:
    """Write what the preview accepted: new accounts (no password, consent on paper to
    `actor`), and the hours as entries marked imported by `actor`, waiting for review by
    someone else who reviews the activity's hours."""
    file = fetch(ImportFile, file.id, errors.ImportNotFound, lock=True)
    _authorise(actor, db.session.get(Node, file.node_id))
    if file.status == "confirmed":
        raise errors.AlreadyConfirmed()
    if file.status != "checked":
        raise errors.NotChecked()
    _lock_activities(file.id)  # a cancel under way finishes first, and is seen below
    resolve.resolve(file.id)  # decide on what is there now, not at the preview
    people = 0
    for rows in _batches(file.id, "people", "new"):
        db.session.execute(insert(User), [
            {"phone": r.phone, "password_hash": NO_PASSWORD, "name": r.name,
             "home_node_id": r.node_id, "skills": r.skills or [], "id_type": r.id_type,
             "id_number_encrypted": r.id_number_encrypted, "created_at": now,
             "registered_by_id": actor.id, "active": True, "care_mode": False}
            for r in rows])
        people += len(rows)
        # invitations that waited for these numbers reach their new owners (teams)
        events.announce(events.PHONES_CLAIMED, phones=[r.phone for r in rows], now=now)
        if progress:
            progress(len(rows))
    resolve.match_accounts(file.id)
    # 个人信息保护法: the privacy notice, accepted on the paper form the coordinator holds
    db.session.execute(insert(Consent).from_select(
        ["user_id", "kind", "notice_version", "accepted_at", "recorded_by_id"],
        select(ImportRow.user_id, literal("privacy"),
               literal(current_app.config["PRIVACY_NOTICE_VERSION"]),
               literal(now, Consent.accepted_at.type), literal(actor.id))
        .where(ImportRow.file_id == file.id, ImportRow.sheet == "people",
               ImportRow.status == "new")))
    hours = 0
    for rows in _batches(file.id, "hours", "new"):
        ids = db.session.scalars(insert(HourEntry).returning(HourEntry.id), [
            {"user_id": r.user_id, "activity_id": r.activity_id, "kind": "imported",
             "minutes": r.minutes, "sources": ["import"], "flags": [],
             "evidence": f"{file.filename} #{r.row_no} sha256:{file.sha256}",
             "created_by_id": actor.id, "created_at": now}
            for r in rows]).all()
        # they wait for the organising body's review (谁组织谁记录，谁记录谁证明), as any
        # hours someone filed for others: never approved by the importer (review.helpers_of)
        ledger.queue_entries(ids)
        hours += len(rows)
        if progress:
            progress(len(rows))
    db.session.execute(update(ImportFile).where(ImportFile.id == file.id).values(
        status="confirmed", confirmed_by_id=actor.id, confirmed_at=now,
        written={"people": people, "hours": hours}))
    db.session.flush()
    db.session.expire(file)
    return file


def _lock_activities(file_id: int) -> None:
    """The activities the roster's hours go to, locked as a sign-up or a cancel locks one
    (signups.lock_activity), in id order. A cancel looks for hours under that lock
    (ACTIVITY_CANCELLING): without this, hours could land in an activity being cancelled
    at that moment, and count for an activity that did not happen."""
    ids = select(ImportRow.activity_id).where(
        ImportRow.file_id == file_id, ImportRow.sheet == "hours",
        ImportRow.activity_id.is_not(None))
    db.session.execute(select(Activity.id).where(Activity.id.in_(ids))
                       .order_by(Activity.id).with_for_update(key_share=True))


def page(file: ImportFile, *, sheet: str, status: str | None, page_no: int,
         per_page: int) -> tuple[list[ImportRow], int]:
    """One page of a sheet's rows (optionally only one status), and how many there are."""
    cond = [ImportRow.file_id == file.id, ImportRow.sheet == sheet]
    if status:
        cond.append(ImportRow.status == status)
    total = db.session.scalar(select(func.count()).where(*cond))
    rows = db.session.scalars(select(ImportRow).where(*cond).order_by(ImportRow.row_no)
                              .offset((page_no - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def imports_for(actor: User, *, limit: int = 20) -> list[ImportFile]:
    paths = permissions.scope_paths(actor, *STAFF_ROLES)
    return list(db.session.scalars(
        select(ImportFile).join(Node, ImportFile.node_id == Node.id)
        .where(permissions.under(Node.path, paths))
        .order_by(ImportFile.id.desc()).limit(limit)))


def on_person_erased(*, user: User, now: datetime, **_) -> None:
    """PERSON_ERASED: the rows of rosters that named the person (matched to them, or with
    their number) keep no name, number, ID or cells as written."""
    where = ImportRow.user_id == user.id
    if user.phone:
        where = where | (ImportRow.phone == user.phone)
    db.session.execute(update(ImportRow).where(where).values(
        phone=None, name=None, id_number_encrypted=None, cells=[])
        .execution_options(synchronize_session=False))
