"""A large roster is stored on upload and checked by the scheduler's `imports` job, with
progress on its page and in the API; a file that cannot be read fails with its reason;
confirm waits for the check. The threshold is set low so that small files count as
large (IMPORT_INLINE_ROWS)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from server.accounts.models import User
from server.extensions import db
from server.imports import jobs as import_jobs
from server.imports import services
from server.imports.models import ImportFile, ImportRow
from server.scheduler import jobs
from tests.imports.conftest import PEOPLE, xlsx
from tests.pages import EN, login, text
from tests.racing import race


@pytest.fixture
def later(app, monkeypatch):
    """Every upload of more than one row is checked in the background."""
    monkeypatch.setitem(app.config, "IMPORT_INLINE_ROWS", 1)


def roster(world) -> bytes:
    return xlsx(people=[["张三", "13812345678", "运河园社区", "", ""],
                        ["李四", "bad", "运河园社区", "", ""]],
                hours=[["13812345678", "法律讲堂", world.day, 2]])


def big(rows: int) -> bytes:
    book = Workbook(write_only=True)
    ws = book.create_sheet("志愿者")
    ws.append(PEOPLE)
    for i in range(rows):
        ws.append([f"志愿者{i}", f"139{i:08d}", "运河园社区", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(api, world, data: bytes) -> dict:
    resp = api.post("/api/v1/imports", data={
        "node_id": str(world.street.id), "file": (io.BytesIO(data), "名单.xlsx")},
        content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def staged(file_id: int) -> int:
    return db.session.scalar(select(func.count()).where(ImportRow.file_id == file_id))


def test_a_large_upload_waits_then_the_job_checks_it(client, api, world, now, later):
    token = login(client, world.coordinator)
    resp = client.post("/coordinator/imports", data={
        "csrf_token": token, "node_id": str(world.street.id),
        "file": (io.BytesIO(roster(world)), "名单.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 302, text(resp)
    url = resp.headers["Location"]
    file_id = int(url.rstrip("/").split("/")[-1])
    assert staged(file_id) == 0
    page = text(client.get(url, headers=EN))
    assert "waiting its turn to be checked" in page and "0 of about 3 rows checked" in page
    assert f'hx-get="{url}"' in page and 'hx-trigger="every 2s"' in page
    assert "0% done" in page and f"{url}/confirm" not in page
    assert "Being checked" in text(client.get("/coordinator/imports", headers=EN))

    api.login(world.coordinator)
    body = api.get(f"/api/v1/imports/{file_id}").get_json()
    assert (body["status"], body["rows_total"], body["rows_done"], body["percent"]) == (
        "waiting", 3, 0, 0)
    assert body["error_code"] is None and body["totals"]["people"]["new"] == 0
    refused = api.post(f"/api/v1/imports/{file_id}/confirm")
    assert refused.status_code == 409 and refused.get_json()["code"] == "import_not_checked"
    assert client.post(url + "/confirm", data={"csrf_token": token}).status_code == 409

    tally = jobs.JOBS["imports"].run(now)
    assert tally.done == 1 and tally.failures == []
    body = api.get(f"/api/v1/imports/{file_id}").get_json()
    assert (body["status"], body["rows_done"], body["percent"]) == ("checked", 3, 100)
    assert body["totals"]["people"] == {"new": 1, "existing": 0, "rejected": 1,
                                        "reasons": {"bad_phone": 1}}
    assert body["totals"]["hours"]["new"] == 1
    # the poll is told to load the preview, and polls no more
    poll = client.get(url, headers={**EN, "HX-Request": "true"})
    assert poll.headers["HX-Refresh"] == "true" and "hx-trigger" not in text(poll)
    assert "<html" not in text(poll)
    assert 'data-reason="bad_phone"' in text(client.get(url, headers=EN))
    assert jobs.JOBS["imports"].run(now).done == 0  # checked once
    before = db.session.scalar(select(func.count()).select_from(User))
    done = api.post(f"/api/v1/imports/{file_id}/confirm")
    assert done.status_code == 200 and done.get_json()["written"] == {"people": 1, "hours": 1}
    assert db.session.scalar(select(func.count()).select_from(User)) == before + 1


def test_a_small_upload_is_still_checked_at_once(api, world):
    api.login(world.coordinator)
    body = upload(api, world, roster(world))
    assert (body["status"], body["rows_total"], body["rows_done"], body["percent"]) == (
        "checked", 3, 0, 100)


@pytest.mark.parametrize("data,code,says", [
    # a header, then only blank rows: nothing to import
    (xlsx(people=[["", "", ""], ["", "", ""]]), "import_empty", "No volunteers were found"),
    (xlsx(people=[["张三", f"1381234567{i}", "运河园社区"] for i in range(4)]),
     "import_too_many_rows", "more than 2 rows"),
])
def test_a_file_that_cannot_be_checked_fails_with_its_reason(client, api, world, now, later,
                                                            monkeypatch, data, code, says):
    from server.imports import sheet
    monkeypatch.setattr(sheet, "MAX_ROWS", 2)
    api.login(world.coordinator)
    file_id = upload(api, world, data)["id"]
    tally = jobs.JOBS["imports"].run(now)
    assert tally.done == 0 and len(tally.failures) == 1
    body = api.get(f"/api/v1/imports/{file_id}", headers=EN).get_json()
    assert body["status"] == "failed" and body["error_code"] == code
    assert says in body["error_message"] and body["percent"] == 0
    assert staged(file_id) == 0  # what was staged before it failed is gone
    refused = api.post(f"/api/v1/imports/{file_id}/confirm")
    assert refused.get_json()["code"] == "import_not_checked"
    login(client, world.coordinator)
    page = text(client.get(f"/coordinator/imports/{file_id}", headers=EN))
    assert "could not be checked" in page and says in page and "every 2s" not in page


def test_a_file_that_is_not_a_workbook_is_refused_at_once(api, world, later):
    api.login(world.coordinator)
    resp = api.post("/api/v1/imports", data={
        "node_id": str(world.street.id), "file": (io.BytesIO(b"hello"), "x.xlsx")},
        content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["code"] == "import_not_xlsx"
    assert db.session.scalar(select(func.count()).select_from(ImportFile)) == 0


def test_an_interrupted_check_is_tried_again_then_given_up(world, now, later):
    file = services.receive(actor=world.coordinator, node=world.street, filename="a.xlsx",
                            stream=io.BytesIO(roster(world)), now=now)
    assert import_jobs.claim_next(now=now) == file.id
    assert import_jobs.claim_next(now=now) is None  # claimed once
    # it stopped half way (rows staged), and nobody finished it

    def stop():
        raise InterruptedError
    with pytest.raises(InterruptedError):
        import_jobs.check_claimed(file.id, now=now, checkpoint=stop)
    assert 0 < staged(file.id) < 3  # the first sheet's rows
    late = now + import_jobs.STALE + timedelta(minutes=1)
    assert import_jobs.claim_next(now=late) == file.id
    db.session.expire_all()  # as the scheduler's next run, in a session of its own
    import_jobs.check_claimed(file.id, now=late, checkpoint=lambda: None)
    assert staged(file.id) == 3  # the leftovers went first
    db.session.execute(ImportFile.__table__.update().values(status="checking", attempts=3))
    tally = jobs.JOBS["imports"].run(late + import_jobs.STALE * 2)
    assert tally.done == 0 and [f["subject"] for f in tally.failures] == [f"import {file.id}"]
    db.session.expire_all()
    failed = db.session.get(ImportFile, file.id)
    assert failed.status == "failed" and failed.error_code == "import_check_failed"
    assert staged(file.id) == 0


@pytest.mark.concurrency
def test_progress_is_committed_batch_by_batch(app, world, now, later):
    file = services.receive(actor=world.coordinator, node=world.street, filename="big.xlsx",
                            stream=io.BytesIO(big(2500)), now=now)
    file_id = file.id
    assert file.status == "waiting" and file.rows_total == 2500
    assert import_jobs.claim_next(now=now) == file_id
    db.session.commit()
    seen = []

    def checkpoint():
        db.session.commit()
        with db.engine.connect() as other:  # what a page's request sees meanwhile
            seen.append(other.scalar(select(ImportFile.rows_done)
                                     .where(ImportFile.id == file_id)))
    import_jobs.check_claimed(file_id, now=now, checkpoint=checkpoint)
    db.session.commit()
    assert seen == [1000, 2000, 2500]
    checked = db.session.get(ImportFile, file_id)
    assert checked.status == "checked" and import_jobs.percent(checked) == 100
    assert staged(file_id) == 2500


@pytest.mark.concurrency
def test_one_process_claims_a_waiting_file(app, world, now, later):
    file_id = services.receive(actor=world.coordinator, node=world.street, filename="a",
                               stream=io.BytesIO(roster(world)), now=now).id
    db.session.commit()
    results = race(app, [lambda: import_jobs.claim_next(now=now) for _ in range(3)])
    assert sorted(results, key=str) == [file_id, None, None]


@pytest.mark.concurrency
def test_the_imports_job_is_recorded_only_when_it_checked_something(app, world, now, later):
    from server.scheduler import runner
    from server.scheduler.models import JobRun
    db.session.commit()
    assert runner.run_job(app, "imports", holder="t", check_lease=False) is None
    assert db.session.scalar(select(JobRun.id).where(JobRun.job == "imports")) is None
    services.receive(actor=world.coordinator, node=world.street, filename="a",
                     stream=io.BytesIO(roster(world)), now=now)
    db.session.commit()
    run_id = runner.run_job(app, "imports", holder="t", check_lease=False)
    assert run_id is not None and db.session.get(JobRun, run_id).done == 1
    db.session.commit()
