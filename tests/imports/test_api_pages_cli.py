"""The roster import through its doors: the API, the pages, `flask import-volunteers`."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from server.accounts.models import User
from server.extensions import db
from server.hours.models import HourEntry
from tests.imports.conftest import PEOPLE, xlsx
from tests.pages import login, text
from tests.sheets import HOSTILE, formulas_and_links


def roster(world):
    return xlsx(people=[["张三", "13812345678", "运河园社区", "", ""],
                        ["李四", "bad", "运河园社区", "", ""]],
                hours=[["13812345678", "法律讲堂", world.day, 2]])


def users():
    return db.session.scalar(select(func.count()).select_from(User))


def test_api_upload_preview_confirm(api, world):
    api.login(world.coordinator)
    before = users()
    resp = api.post("/api/v1/imports", data={
        "node_id": str(world.street.id), "file": (io.BytesIO(roster(world)), "名单.xlsx")},
        content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "checked" and len(body["sha256"]) == 64
    assert body["uploaded_at"].endswith("+08:00")  # Beijing time, as every time the API gives
    assert body["totals"]["people"] == {"new": 1, "existing": 0, "rejected": 1,
                                        "reasons": {"bad_phone": 1}}
    assert users() == before
    page = api.get(f"/api/v1/imports/{body['id']}?sheet=people&status=rejected").get_json()
    assert page["total_rows"] == 1 and page["rows"][0]["reason"] == "bad_phone"
    assert page["rows"][0]["row_no"] == 3 and page["rows"][0]["cells"][1] == "bad"
    done = api.post(f"/api/v1/imports/{body['id']}/confirm")
    assert done.status_code == 200 and done.get_json()["written"] == {"people": 1, "hours": 1}
    assert users() == before + 1
    again = api.post(f"/api/v1/imports/{body['id']}/confirm")
    assert again.status_code == 409 and again.get_json()["code"] == "import_already_confirmed"


def test_api_refuses_others_and_bad_files(api, world, make_user):
    resident = make_user(name="居民", phone="13700000003")
    api.login(resident)
    resp = api.post("/api/v1/imports", data={"node_id": str(world.street.id)},
                    content_type="multipart/form-data")
    assert resp.status_code == 403
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(world.coordinator)
    bad = api.post("/api/v1/imports", data={
        "node_id": str(world.street.id), "file": (io.BytesIO(b"not a workbook"), "x.xlsx")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and bad.get_json()["code"] == "import_not_xlsx"
    assert api.get("/api/v1/imports/999999").get_json()["code"] == "import_not_found"


def test_pages_upload_preview_rejected_file_and_confirm(client, world):
    token = login(client, world.coordinator)
    assert "/coordinator/imports" in text(client.get("/me"))
    form = text(client.get("/coordinator/imports"))
    assert "运河园社区" in form and "template.xlsx" in form
    tpl = client.get("/coordinator/imports/template.xlsx")
    book = load_workbook(io.BytesIO(tpl.data), read_only=True)
    assert book.sheetnames == ["志愿者", "服务时长"]
    assert next(book["志愿者"].iter_rows(values_only=True))[:3] == ("姓名", "手机号", "社区")
    resp = client.post("/coordinator/imports", data={
        "csrf_token": token, "node_id": str(world.street.id),
        "file": (io.BytesIO(roster(world)), "名单.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 302, text(resp)
    preview_url = resp.headers["Location"]
    page = text(client.get(preview_url))
    assert "名单.xlsx" in page and 'data-reason="bad_phone"' in page
    rejected = client.get(preview_url + "/rejected.xlsx")
    rows = list(load_workbook(io.BytesIO(rejected.data), read_only=True)["志愿者"]
                .iter_rows(values_only=True))
    assert rows[0][:4] == ("行号", "原因", "姓名", "手机号") and rows[1][0] == 3
    assert "11" in rows[1][1] or "手机" in rows[1][1]
    done = client.post(preview_url + "/confirm", data={"csrf_token": token})
    assert done.status_code == 302
    assert "import-done" in text(client.get(preview_url))
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 1
    # the earlier imports say what became of each file, in the words of imports
    earlier = text(client.get("/coordinator/imports"))
    assert "名单.xlsx" in earlier and "已导入" in earlier and "已报名" not in earlier


def test_residents_and_other_areas_do_not_see_the_pages(client, world, make_user):
    login(client, make_user(name="居民", phone="13700000003"))
    assert client.get("/coordinator/imports").status_code == 403
    assert "/coordinator/imports" not in text(client.get("/me"))


def test_another_area_does_not_see_an_import(client, world):
    from server.core import clock
    from server.imports import services
    file = services.check_upload(actor=world.coordinator, node=world.street, filename="x",
                                 stream=io.BytesIO(roster(world)), now=clock.now())
    login(client, world.outsider)
    assert client.get(f"/coordinator/imports/{file.id}").status_code == 404
    assert client.get(f"/coordinator/imports/{file.id}/rejected.xlsx").status_code == 404


def test_page_shows_a_bad_file_next_to_the_form(client, world):
    token = login(client, world.coordinator)
    resp = client.post("/coordinator/imports", data={
        "csrf_token": token, "node_id": str(world.street.id),
        "file": (io.BytesIO(b"hello"), "x.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and ".xlsx" in text(resp)


def test_cli_dry_run_then_import(app, world, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(roster(world))
    runner = app.test_cli_runner()
    args = ["import-volunteers", str(path), "--node", str(world.street.id),
            "--by", world.coordinator.phone]
    # the command is its own unit of work (its dry run rolls back): the world is there
    # before it starts, as in production (the test's outer transaction still undoes it)
    db.session.commit()
    before = users()
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 to add" in dry.output and "bad_phone" in dry.output and users() == before
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    assert "imported 1 volunteers and 1 hours" in done.output and users() == before + 1
    again = runner.invoke(args=args)
    assert "imported 0 volunteers and 0 hours" in again.output and users() == before + 1
    bad = runner.invoke(args=[*args[:4], "--by", "13000000000"])
    assert bad.exit_code != 0


def test_the_rejected_rows_file_writes_what_was_uploaded_as_text(client, world):
    """A refused row goes back as it came, but a cell that looks like a formula or a link is
    a string in the file handed out, never a formula Excel or WPS would run."""
    token = login(client, world.coordinator)
    book = Workbook()
    sheet = book.active
    sheet.title = "志愿者"
    sheet.append(PEOPLE)
    for hostile in HOSTILE:
        sheet.append([hostile, "bad", "运河园社区", "", hostile])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # typed as text in the upload, as a person would
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    resp = client.post("/coordinator/imports", data={
        "csrf_token": token, "node_id": str(world.street.id),
        "file": (upload, "名单.xlsx")},
        content_type="multipart/form-data")
    assert resp.status_code == 302, text(resp)
    rejected = client.get(resp.headers["Location"] + "/rejected.xlsx")
    assert formulas_and_links(rejected.data) == []
    rows = list(load_workbook(io.BytesIO(rejected.data))["志愿者"].iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == list(HOSTILE)


def test_no_file_chosen_is_asked_for_not_called_a_bad_workbook(client, world):
    token = login(client, world.coordinator)
    resp = client.post("/coordinator/imports", data={
        "csrf_token": token, "node_id": str(world.street.id)},
        content_type="multipart/form-data", headers={"Accept-Language": "zh-CN"})
    page = text(resp)
    assert resp.status_code == 422 and "此项必填" in page and "不是 Excel" not in page
