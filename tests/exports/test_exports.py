"""Exports in the background: asked for on the page or by the API, written at once when
small and by the scheduler's `exports` job when large, with progress; the file is the
asker's alone, for a day. The world is the hours export's (tests/hours/test_export.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.accounts.models import RoleAssignment
from server.core.sqlite import READ_ONLY
from server.exports import services
from server.exports.models import ExportChunk, ExportJob
from server.extensions import db
from server.hours.export import XLSX_MIME
from server.scheduler import jobs, runner
from server.scheduler.models import JobRun
from tests.hours.test_export import read_xlsx
from tests.pages import EN, login, text

FORM = {"start": "2026-01-01", "end": "2026-12-31"}


def _ask_page(client, node, token, **extra):
    return client.post("/coordinator/hours-export",
                       data={**FORM, "node_id": node.id, "csrf_token": token, **extra},
                       headers=EN)


def _job_id(resp) -> int:
    assert resp.status_code == 303, text(resp)[:500]
    return int(resp.headers["Location"].rstrip("/").split("/")[-1])


def _download(client, url):
    with client.get(url) as resp:
        return resp, resp.get_data()


def _settle():
    """Commit what the test wrote, and keep reading loaded values without a transaction:
    on SQLite an open transaction of the test would hold the write lock the requests and
    the scheduler need."""
    db.session().expire_on_commit = False
    db.session.commit()


def _job(job_id) -> ExportJob:
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    db.session.commit()
    return job


@pytest.fixture
def background(app, monkeypatch):
    """Every export goes to the scheduler (none is small enough to write at once)."""
    monkeypatch.setitem(app.config, "EXPORT_INLINE_ROWS", 0)


# -- small: ready at once ---------------------------------------------------------------

def test_a_small_export_is_ready_on_its_page_at_once(client, w):
    token = login(client, w.coordinator_a)
    page = text(client.get("/coordinator/hours-export", headers=EN))
    assert 'action="/coordinator/hours-export"' in page and 'method="post"' in page
    job_id = _job_id(_ask_page(client, w.street_a, token))
    page = text(client.get(f"/exports/{job_id}", headers=EN))
    assert "Your file is ready" in page and "6 rows" in page
    assert f'href="/exports/{job_id}/file"' in page and 'hx-trigger="every 2s"' not in page
    resp, data = _download(client, f"/exports/{job_id}/file")
    assert resp.status_code == 200 and resp.mimetype == XLSX_MIME
    assert resp.headers["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    assert int(resp.headers["Content-Length"]) == len(data)
    assert len(read_xlsx(data)["明细"]) == 7
    listing = text(client.get("/exports", headers=EN))
    assert "志愿服务时长_A街道_2026-01-01至2026-12-31.xlsx" in listing and "Ready" in listing


def test_an_export_is_only_for_the_person_who_asked(client, api, w):
    token = login(client, w.coordinator_a)
    job_id = _job_id(_ask_page(client, w.street_a, token))
    other = client.application.test_client()
    login(other, w.admin)  # above, but not the asker
    assert other.get(f"/exports/{job_id}").status_code == 404
    assert other.get(f"/exports/{job_id}/file").status_code == 404
    assert api.get("/api/v1/exports").status_code == 401
    api.login(w.admin)
    resp = api.get(f"/api/v1/exports/{job_id}/file")
    assert resp.status_code == 404 and resp.get_json()["code"] == "export_not_found"
    assert api.get("/api/v1/exports").get_json() == []


def test_asking_is_refused_like_the_download(client, w):
    token = login(client, w.coordinator_b)
    assert _ask_page(client, w.street_a, token).status_code == 403
    resp = _ask_page(client, w.street_b, token, end="2027-06-30")
    assert resp.status_code == 422 and "at most 366 days" in text(resp)
    assert db.session.scalar(select(ExportJob.id)) is None  # nothing recorded
    organiser = client.application.test_client()
    token = login(organiser, w.organiser_a)
    assert _ask_page(organiser, w.community_a, token).status_code == 403


def test_the_api_asks_polls_and_downloads(api, w):
    api.login(w.coordinator_a)
    resp = api.post("/api/v1/hours/exports", json={"node_id": w.street_a.id, **FORM})
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()
    assert job["status"] == "done" and job["percent"] == 100 and job["rows_done"] == 6
    assert all(job[k].endswith("+08:00") for k in ("created_at", "finished_at", "expires_at"))
    resp, data = _download(api, job["file_url"])
    assert resp.status_code == 200 and len(read_xlsx(data)["汇总"]) == 3
    resp = api.post("/api/v1/hours/exports", json={"node_id": w.street_b.id, **FORM})
    assert resp.status_code == 403
    resp = api.post("/api/v1/hours/exports",
                    json={"node_id": w.street_a.id, "start": "2026-01-01", "end": "2027-06-30"})
    assert resp.status_code == 422 and resp.get_json()["code"] == "period_too_long"
    resp = api.post("/api/v1/hours/exports", json={"node_id": w.street_a.id, **FORM,
                                                   "end": "2026-13-01"})
    assert resp.status_code == 422 and "end" in resp.get_json()["errors"]


def test_the_direct_download_refuses_an_export_too_large_to_wait_for(api, w, app,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_DIRECT_MAX_ROWS", 5)
    api.login(w.coordinator_a)
    resp = api.get(f"/api/v1/hours/export.xlsx?node_id={w.street_a.id}"
                   "&start=2026-01-01&end=2026-12-31")
    body = resp.get_json()
    assert resp.status_code == 422 and body["code"] == "export_too_large_direct"
    assert "6" in body["message"] and "export_too_large_direct" not in body["message"]
    resp = api.get(f"/api/v1/hours/export.xlsx?node_id={w.community_a.id}"
                   "&start=2026-03-01&end=2026-03-31")
    assert resp.status_code == 200  # 4 rows: still direct


def test_at_most_three_exports_wait_per_person(api, w, background):
    api.login(w.coordinator_a)
    for _ in range(3):
        resp = api.post("/api/v1/hours/exports", json={"node_id": w.street_a.id, **FORM})
        assert resp.status_code == 202 and resp.get_json()["status"] == "queued"
    resp = api.post("/api/v1/hours/exports", json={"node_id": w.street_a.id, **FORM})
    assert resp.status_code == 409 and resp.get_json()["code"] == "exports_busy"


def test_a_file_is_kept_for_a_day(api, w, now):
    api.login(w.coordinator_a)
    job = api.post("/api/v1/hours/exports",
                   json={"node_id": w.street_a.id, **FORM}).get_json()
    assert services.prune(now=now + timedelta(hours=23)) == 0
    assert services.prune(now=now + timedelta(hours=25)) == 1
    assert db.session.get(ExportJob, job["id"]).status == "expired"
    assert db.session.scalar(select(ExportChunk.seq).where(
        ExportChunk.job_id == job["id"])) is None
    resp = api.get(job["file_url"])
    assert resp.status_code == 409 and resp.get_json()["code"] == "export_expired"


# -- large: written by the scheduler, with progress --------------------------------------

@pytest.mark.concurrency
def test_a_large_export_waits_then_the_scheduler_writes_it(client, api, w, now, background):
    _settle()
    token = login(client, w.coordinator_a)
    job_id = _job_id(_ask_page(client, w.street_a, token))
    page = text(client.get(f"/exports/{job_id}", headers=EN))
    assert "waiting its turn" in page and "About 6 rows" in page
    assert f'hx-get="/exports/{job_id}"' in page and 'hx-trigger="every 2s"' in page
    assert client.get(f"/exports/{job_id}/file").status_code == 409  # not ready
    api.login(w.coordinator_a)
    assert api.get(f"/api/v1/exports/{job_id}").get_json()["status"] == "queued"

    tally = jobs.JOBS["exports"].run(now)
    db.session.commit()
    assert tally.done == 1 and tally.failures == []
    status = api.get(f"/api/v1/exports/{job_id}").get_json()
    assert status["status"] == "done" and status["percent"] == 100
    resp, data = _download(api, status["file_url"])
    assert len(read_xlsx(data)["明细"]) == 7
    # the htmx poll gets the fragment, now without its poll
    fragment = text(client.get(f"/exports/{job_id}", headers={**EN, "HX-Request": "true"}))
    assert "Your file is ready" in fragment and "hx-trigger" not in fragment
    assert "<html" not in fragment
    assert jobs.JOBS["exports"].run(now).done == 0  # written once
    db.session.commit()


@pytest.mark.concurrency
def test_progress_is_visible_while_the_file_is_written(w, now, background):
    job = services.ask("hours", {"node_id": w.street_a.id, **FORM}, actor=w.coordinator_a,
                       now=now)
    job.rows_total = 20000  # as if estimated for a large area
    job_id = job.id
    _settle()
    assert services.claim_next(now=now) == job_id
    assert services.claim_next(now=now) is None  # claimed once
    db.session.commit()
    # as the scheduler writes it: a transaction that only reads stays open meanwhile
    db.session.connection(execution_options={READ_ONLY: True})
    assert db.session.get(ExportJob, job_id).rows_done == 0
    report = services.progress_reporter(job_id, every=5000)
    report(4000)  # too soon to write
    report(10000)
    db.session.commit()
    seen = _job(job_id)
    assert seen.status == "running" and seen.rows_done == 10000
    assert services.percent(seen) == 50


@pytest.mark.concurrency
def test_an_export_whose_right_went_fails_with_a_reason(client, w, now, background):
    _settle()
    token = login(client, w.coordinator_a)
    job_id = _job_id(_ask_page(client, w.street_a, token))
    db.session.execute(RoleAssignment.__table__.delete().where(
        RoleAssignment.user_id == w.coordinator_a.id))
    db.session.commit()
    db.session.expire_all()  # the scheduler's own session would not remember the role
    tally = jobs.JOBS["exports"].run(now)
    db.session.commit()
    assert tally.done == 0 and len(tally.failures) == 1
    job = _job(job_id)
    assert job.status == "failed" and job.error_code == "forbidden"
    page = text(client.get(f"/exports/{job_id}", headers=EN))
    assert "could not be finished" in page and "forbidden" not in page


@pytest.mark.concurrency
def test_the_exports_job_is_recorded_only_when_it_wrote_something(app, w, now, background):
    _settle()
    assert runner.run_job(app, "exports", holder="t", check_lease=False) is None
    assert db.session.scalar(select(JobRun.id).where(JobRun.job == "exports")) is None
    db.session.commit()
    with app.app_context():
        services.ask("hours", {"node_id": w.street_a.id, **FORM}, actor=w.coordinator_a,
                     now=now)
        db.session.commit()
    run_id = runner.run_job(app, "exports", holder="t", check_lease=False)
    assert run_id is not None
    assert db.session.get(JobRun, run_id).done == 1
    db.session.commit()


def test_an_export_interrupted_too_often_fails_instead_of_running_for_ever(w, now,
                                                                          background):
    job = services.ask("hours", {"node_id": w.street_a.id, **FORM}, actor=w.coordinator_a,
                       now=now)
    assert services.claim_next(now=now) == job.id
    assert services.claim_next(now=now) is None  # claimed once
    # its writer stopped (a worker killed) three times, and nobody finished it
    db.session.execute(ExportJob.__table__.update().values(attempts=services.MAX_ATTEMPTS))
    late = now + services.STALE + timedelta(minutes=1)
    assert services.claim_next(now=late) is None  # not tried a fourth time
    tally = jobs.JOBS["exports"].run(late)
    assert tally.done == 0 and [f["subject"] for f in tally.failures] == [f"export {job.id}"]
    failed = _job(job.id)
    assert failed.status == "failed" and failed.error_code == "export_failed"
    assert services.error_text(failed.error_code)  # the page says why, in words


def test_a_finished_file_is_not_handed_to_one_who_lost_the_right_since(client, api, w):
    """Written while the coordinator had the role; the role is taken away before they
    fetch it: the page and the API refuse the file as they would refuse asking now."""
    token = login(client, w.coordinator_a)
    job_id = _job_id(_ask_page(client, w.street_a, token))
    assert _download(client, f"/exports/{job_id}/file")[0].status_code == 200
    db.session.execute(RoleAssignment.__table__.delete().where(
        RoleAssignment.user_id == w.coordinator_a.id))
    db.session.expire_all()
    assert _download(client, f"/exports/{job_id}/file")[0].status_code == 403
    api.login(w.coordinator_a)
    resp = api.get(f"/api/v1/exports/{job_id}/file")
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
