"""Checking a roster (every reason a row is refused), confirming it, importing it again."""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.accounts.errors import BadCredentials
from server.accounts.identity import check_character
from server.accounts.models import Consent, User
from server.accounts.passwords import verify_password
from server.accounts.services import authenticate
from server.core.clock import local
from server.core.errors import Forbidden, WusheError
from server.extensions import db
from server.hours import ledger, review
from server.hours.models import HourEntry
from server.imports import errors, resolve, services
from server.imports.models import ImportRow
from tests.imports.conftest import xlsx

ID_NUMBER = "11010519491231002" + check_character("11010519491231002")


def check(world, data: bytes, actor=None, node=None, now=None):
    from server.core import clock
    return services.check_upload(actor=actor or world.coordinator, node=node or world.street,
                                 filename="名单.xlsx", stream=io.BytesIO(data),
                                 now=now or clock.now())


def reasons(file, sheet):
    return dict(db.session.execute(
        select(ImportRow.row_no, ImportRow.reason).where(
            ImportRow.file_id == file.id, ImportRow.sheet == sheet)).all())


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_each_rejection_reason_is_shown_and_nothing_is_written(world, make_user):
    make_user(name="李已有", phone="13500000009")
    data = xlsx(people=[
        ["张三", "１３８ 1234 5678", "运河园 社区", "", "法律、心理"],   # 2 ok, full-width
        ["李四", "12345", "运河园社区", "", ""],                      # 3 bad phone
        ["张三二", "13812345678", "新华社区", "", ""],                 # 4 duplicate person
        ["王五", "13812340000", "火星社区", "", ""],                   # 5 unknown community
        ["赵六", "13812340001", "外区社区", "", ""],                   # 6 out of scope
        ["", "13812340002", "运河园社区", "", ""],                    # 7 no name
        ["钱七", "13812340003", "运河园社区", "110105194912310020", ""],  # 8 bad ID
        ["孙八", "13812340004", "运河园社区", "", "魔法"],              # 9 unknown skill
        ["李已有", 13500000009, "新华社区", "", ""],                   # 10 existing (number)
        ["别人", "13500000009", "新华社区", "", ""],                   # 11 another's phone
        ["周九", "13812340005", "运河园社区", ID_NUMBER, "Legal"],  # 12 ok
    ], hours=[
        ["13812345678", "法律讲堂", world.day, 1.5],     # 2 ok
        ["13812345678", "法律讲堂", world.day, 1],       # 3 duplicate hours
        ["13812340005", "不存在的活动", world.day, 1],    # 4 no activity
        ["13812340005", "", world.day, 1],              # 5 no activity
        ["13812340005", "法律讲堂", "2020-01-01", 1],    # 6 no activity that day
        ["13812340005", "法律讲堂", "不是日期", 1],       # 7 bad date
        ["13500000009", "法律讲堂", world.day, 5],       # 8 longer than the activity
        ["13500000009", "法律讲堂", world.day, "两小时"],  # 9 not a number
        ["13600000000", "法律讲堂", world.day, 1],       # 10 unknown person
        ["1360000", "法律讲堂", world.day, 1],           # 11 bad phone
        ["13812340001", "法律讲堂", world.day, 1],       # 12 person rejected (out of scope)
    ])
    users_before = count(User)
    file = check(world, data)
    assert reasons(file, "people") == {
        2: None, 3: "bad_phone", 4: "duplicate_person", 5: "unknown_community",
        6: "unknown_community", 7: "bad_name", 8: "bad_id_number", 9: "unknown_skill",
        10: None, 11: "name_mismatch", 12: None}
    assert reasons(file, "hours") == {
        2: None, 3: "duplicate_hours", 4: "no_activity", 5: "no_activity", 6: "no_activity",
        7: "bad_date", 8: "bad_hours", 9: "bad_hours", 10: "unknown_person",
        11: "bad_phone", 12: "unknown_person"}
    totals = resolve.totals(file.id)
    assert totals["people"]["new"] == 2 and totals["people"]["existing"] == 1
    assert totals["people"]["reasons"]["duplicate_person"] == 1
    assert totals["hours"]["new"] == 1 and totals["hours"]["rejected"] == 10
    assert count(User) == users_before
    assert count(HourEntry) == 0
    # the ID number is kept encrypted, and shown masked in the row as written
    row = db.session.scalar(select(ImportRow).where(ImportRow.file_id == file.id,
                                                    ImportRow.row_no == 12,
                                                    ImportRow.sheet == "people"))
    assert ID_NUMBER not in str(row.cells)
    assert row.cells[3] == ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:]
    assert row.id_number_encrypted and "110105" not in row.id_number_encrypted
    assert row.skills == ["legal"]


def test_the_upload_is_stored_byte_for_byte_until_it_is_checked(world, now):
    """SQLite's copy is written in pieces into a blob of the file's size; PostgreSQL's whole:
    either way the row holds exactly the file uploaded, as the scheduler's check reads it.
    Once checked, the bytes (names, phones, whole ID numbers) go; the rows checked from them
    and the file's sha256, which imported hours cite, stay."""
    from server.imports import jobs
    from server.imports.models import ImportFile
    notes = [["张三", f"138{n:08d}", "运河园社区", "110101199003077777", "",
              os.urandom(150).hex()]
             for n in range(500)]  # a column no check reads, which does not compress
    data = xlsx(people=notes)
    assert len(data) > 64 * 1024  # more than one piece
    file = services.check_upload(actor=world.coordinator, node=world.street,
                                 filename="名单.xlsx", stream=io.BytesIO(data), now=now,
                                 later_above=10)  # waits for the scheduler's check
    stored = db.session.scalar(select(ImportFile.content).where(ImportFile.id == file.id))
    assert stored == data and file.size == len(data)
    assert jobs.claim_next(now=now) == file.id
    db.session.expire_all()
    jobs.check_claimed(file.id, now=now, checkpoint=lambda: None)
    db.session.expire_all()
    checked = db.session.get(ImportFile, file.id)
    assert checked.status == "checked" and checked.sha256 and checked.size == len(data)
    assert db.session.scalar(select(ImportFile.content).where(ImportFile.id == file.id)) == b""
    at_once = check(world, xlsx(people=notes[:3]))  # checked as it is uploaded: gone at once
    assert db.session.scalar(select(ImportFile.content).where(
        ImportFile.id == at_once.id)) == b""


def test_confirm_writes_accounts_and_hours_for_review_and_again_adds_nothing(world, now):
    data = xlsx(people=[["张三", "13812345678", "运河园", "", "法律"],
                        ["李四", "13812345679", "新华社区", "", ""]],
                hours=[["13812345678", "法律讲堂", world.day, 1.5],
                       ["13812345679", "法律讲堂", world.day, 2]])
    file = services.confirm(check(world, data), actor=world.coordinator, now=now)
    assert file.status == "confirmed" and file.written == {"people": 2, "hours": 2}
    zhang = db.session.scalar(select(User).where(User.phone == "13812345678"))
    assert zhang.name == "张三" and zhang.home_node_id == world.home.id
    assert zhang.skills == ["legal"] and zhang.registered_by_id == world.coordinator.id
    assert not verify_password(zhang.password_hash, "")
    with pytest.raises(BadCredentials):  # until they set one (SMS code, forgot password)
        authenticate(phone=zhang.phone, password="wushe-timing-equaliser")
    assert not verify_password(zhang.password_hash, "wushe-timing-equaliser")
    consent = db.session.scalar(select(Consent).where(Consent.user_id == zhang.id))
    assert consent.kind == "privacy" and consent.recorded_by_id == world.coordinator.id
    entries = db.session.scalars(select(HourEntry).order_by(HourEntry.minutes)).all()
    # they wait for the organising body's review; the importer does not decide them
    assert [(e.kind, e.minutes, e.status) for e in entries] == [
        ("imported", 90, "pending"), ("imported", 120, "pending")]
    assert all(e.created_by_id == world.coordinator.id and e.sources == ["import"]
               and e.review is None for e in entries)
    assert ledger.queue_drift() == []
    assert all(review.helpers(e) == {world.coordinator.id} for e in entries)
    with pytest.raises(WusheError) as refused:
        review.approve(entries[0].id, reviewer=world.coordinator, now=now)
    assert refused.value.code == "helped_record"

    again = check(world, data)
    totals = resolve.totals(again.id)
    assert totals["people"]["existing"] == 2 and totals["hours"]["existing"] == 2
    assert totals["people"]["new"] == totals["hours"]["new"] == 0
    users, hours = count(User), count(HourEntry)
    services.confirm(again, actor=world.coordinator, now=now)
    assert (count(User), count(HourEntry)) == (users, hours)
    with pytest.raises(errors.AlreadyConfirmed):
        services.confirm(again, actor=world.coordinator, now=now)


def test_the_database_refuses_a_second_imported_entry(world, now, make_user):
    from sqlalchemy.exc import IntegrityError
    person = make_user(phone="13812345678", name="张三")
    for _ in range(2):
        db.session.add(HourEntry(user_id=person.id, activity_id=world.lecture.id,
                                 kind="imported", minutes=60, sources=["import"], flags=[],
                                 created_at=now))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_hours_already_recorded_another_way_are_refused(world, now, make_user):
    person = make_user(phone="13812345678", name="张三")
    db.session.add(HourEntry(user_id=person.id, activity_id=world.lecture.id,
                             kind="retroactive", minutes=60, sources=[], flags=[],
                             created_at=now))
    db.session.flush()
    file = check(world, xlsx(people=[], hours=[["13812345678", "法律讲堂", world.day, 1]]))
    assert reasons(file, "hours") == {2: "already_recorded"}


def test_an_account_under_another_name_is_not_matched(world, make_user):
    make_user(phone="13812345678", name="张三")
    file = check(world, xlsx(people=[["李四", "13812345678", "运河园社区", "", ""]],
                             hours=[["13812345678", "法律讲堂", world.day, 1]]))
    assert reasons(file, "people") == {2: "name_mismatch"}
    assert reasons(file, "hours") == {2: "person_refused"}


def test_a_padded_name_is_the_accounts_and_a_refused_row_pushes_out_no_right_one(
        world, make_user):
    """Rosters pad two-character names ("王  芳"); a row refused for its name is not the
    "earlier row" that a right one after it would duplicate."""
    make_user(phone="13812345678", name="王芳")
    make_user(phone="13812345679", name="李秀英")
    make_user(phone="13812345670", name="Anna Li")
    make_user(phone="13812345671", name="赵 红梅")  # registered with a space
    file = check(world, xlsx(people=[["王  芳", "13812345678", "运河园社区", "", ""],
                                     ["李四", "13812345679", "运河园社区", "", ""],
                                     ["李 秀英", "13812345679", "运河园社区", "", ""],
                                     ["Anna  Lee", "13812345670", "运河园社区", "", ""],
                                     ["赵 红梅", "13812345671", "运河园社区", "", ""]],
                             hours=[["13812345678", "法律讲堂", world.day, 1],
                                    ["13812345679", "法律讲堂", world.day, 1]]))
    assert reasons(file, "people") == {2: None, 3: "name_mismatch", 4: None,
                                       5: "name_mismatch", 6: None}
    assert reasons(file, "hours") == {2: None, 3: None}


def test_a_coordinator_imports_only_into_their_area(world):
    with pytest.raises(Forbidden):
        check(world, xlsx(people=[["张三", "13812345678", "外区社区", "", ""]]),
              node=world.elsewhere)
    # the outsider's own area: their community is known, ours is not
    file = check(world, xlsx(people=[["张三", "13812345678", "外区社区", "", ""],
                                     ["李四", "13812345679", "运河园社区", "", ""]]),
                 actor=world.outsider, node=world.elsewhere)
    assert reasons(file, "people") == {2: None, 3: "unknown_community"}
    with pytest.raises(errors.ImportNotFound):
        services.get_import(file.id, world.coordinator)


def test_headers_in_english_with_spaces_and_full_width(world, now):
    data = xlsx(people=[["Zhang San", "13812345678", "运河园社区"]],
                people_header=["Ｎａｍｅ ", " Phone Number*", "community"],
                hours=[["13812345678", "法律讲堂", date.fromisoformat(world.day), "1.5小时"]],
                hours_header=["Phone", "Activity", "Date", "Hours (h)"])
    file = check(world, data)
    assert reasons(file, "people") == {2: None} and reasons(file, "hours") == {2: None}
    assert file.headers["people"][1] == "Phone Number*"


@pytest.mark.parametrize("data,code", [
    (b"", "import_not_xlsx"),
    (b"name,phone\n", "import_not_xlsx"),
    (b"PK\x03\x04 not really a zip", "import_not_xlsx"),
    (xlsx(people=[]), "import_empty"),
    (xlsx(people=[["张三", "13812345678"]], people_header=["姓名", "手机号", "备注"]),
     "import_missing_columns"),
])
def test_files_that_cannot_be_read(world, data, code):
    with pytest.raises(WusheError) as excinfo:
        check(world, data)
    assert excinfo.value.code == code


def test_a_file_over_the_limit(world, monkeypatch):
    from server.imports import sheet
    monkeypatch.setattr(services, "MAX_BYTES", 1000)
    with pytest.raises(errors.FileTooLarge) as excinfo:
        check(world, b"x" * 1001)
    assert excinfo.value.code == "import_too_large" and sheet.MAX_BYTES > 1000


def test_a_zip_bomb_is_not_opened(world):
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    with pytest.raises(errors.UnsafeWorkbook):
        check(world, out.getvalue())


def test_huge_declared_dimensions_and_too_many_rows(world, monkeypatch):
    import zipfile

    from server.imports import sheet
    data = xlsx(people=[["张三", "13812345678", "运河园社区"]])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb'<dimension ref="[^"]*" */>',
                              b'<dimension ref="A1:XFD1048576"/>', body)
                assert b"XFD1048576" in body
            dst.writestr(item, body)
    file = check(world, out.getvalue())
    assert reasons(file, "people") == {2: None}
    monkeypatch.setattr(sheet, "MAX_ROWS", 2)
    with pytest.raises(errors.TooManyRows):
        check(world, xlsx(people=[["张三", f"1381234567{i}", "运河园社区"] for i in range(3)]))


def test_imported_hours_count_once_the_organising_body_approved_them(
        world, now, make_user, grant):
    """谁组织谁记录，谁记录谁证明: a coordinator's import waits for the body's reviewer; once
    approved, the hours count and show as imported in the hours export."""
    from openpyxl import load_workbook

    from server.hours.export import export_hours
    data = xlsx(people=[["张三", "13812345678", "运河园社区", "", ""]],
                hours=[["13812345678", "法律讲堂", world.day, 2]])
    services.confirm(check(world, data), actor=world.coordinator, now=now)
    on = date.fromisoformat(world.day)

    def exported():
        book = load_workbook(io.BytesIO(export_hours(world.coordinator, world.street, on, on,
                                                     now)), read_only=True)
        return [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert "张三" not in exported()
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", world.home, world.org)
    assert review.waiting(organiser, today=local(now).date()).pending == 1
    from flask import current_app

    from tests.pages import EN, login, text
    browser = current_app.test_client()
    login(browser, organiser)
    card = text(browser.get("/review/hours", headers=EN))
    assert "From a roster imported by 王协调: check it against your own records." in card
    entry = db.session.scalar(select(HourEntry).where(HourEntry.kind == "imported"))
    assert entry.id in review.pending_ids(world.lecture)
    review.approve(entry.id, reviewer=organiser, now=now)
    cells = exported()
    assert "名册导入" in cells and "张三" in cells


def test_a_cell_of_the_wrong_kind_is_refused_not_read_as_text(world):
    """A TRUE in 姓名 made an account named "True"; a negative number in 手机号 read as a
    phone number once its "-" was taken for a separator."""
    file = check(world, xlsx(people=[[True, "13812345670", "运河园社区", "", ""],
                                     [12345, "13812345671", "运河园社区", "", ""],
                                     ["张三", -13912340025, "运河园社区", "", ""],
                                     ["李四", 13912340026, "运河园社区", "", ""]]))
    reasons = dict(db.session.execute(select(ImportRow.row_no, ImportRow.reason).where(
        ImportRow.file_id == file.id, ImportRow.sheet == "people")).all())
    assert reasons == {2: "bad_name", 3: "bad_name", 4: "bad_phone", 5: None}


def test_hours_for_an_activity_cancelled_since_the_check_are_not_written(
        world, now, make_activity):
    """Checked while the activity stood; cancelled before the confirm: its hours are refused
    then, with the reason, and nothing counts for an activity that did not happen."""
    visit = make_activity(org=world.org, node=world.home, title="入户走访",
                          starts_in=timedelta(hours=-3), hours=1)  # ended, not finished
    assert visit.status == "published"
    file = check(world, xlsx(people=[["张三", "13812345678", "运河园社区", "", ""]], hours=[
        ["13812345678", "法律讲堂", world.day, 1],
        ["13812345678", "入户走访", local(visit.starts_at).date().isoformat(), 1]]))
    assert reasons(file, "hours") == {2: None, 3: None}
    visit.status = "cancelled"
    db.session.flush()
    file = services.confirm(file, actor=world.coordinator, now=now)
    assert reasons(file, "hours") == {2: None, 3: "activity_cancelled"}
    assert file.written == {"people": 1, "hours": 1}
    assert [e.activity_id for e in db.session.scalars(select(HourEntry))] == [world.lecture.id]
