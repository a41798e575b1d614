"""/admin/jobs: what an administrator sees of the scheduler."""

from __future__ import annotations

import re
from datetime import timedelta

from server.extensions import db
from server.scheduler import services
from tests.pages import EN, login, text


def test_an_admin_sees_the_leader_each_job_and_what_failed(client, make_user, make_node,
                                                          grant, now):
    admin = make_user(name="陈志强")
    grant(admin, "admin", make_node(name="大兴区", kind="district"))
    login(client, admin)
    page = text(client.get("/admin/jobs", headers=EN))
    assert "No scheduler is running" in page
    services.acquire("web-1:4242:abc", now=now, seconds=30)
    run = services.start_run("deadline_warnings", holder="web-1:4242:abc", term=1,
                             now=now - timedelta(minutes=3))
    services.finish_run(run.id, now=now - timedelta(minutes=3), done=2, failures=[
        {"subject": "activity 12", "error": "CalendarYearMissing: 2027"}])
    db.session.flush()
    page = text(client.get("/admin/jobs", headers=EN))
    assert "No scheduler is running" not in page and "web-1:4242:abc" in page
    job = page[page.index('id="job-deadline_warnings"'):]
    job = job[:job.index("</li>")]
    assert "job--failing" in page[page.index('id="job-deadline_warnings"') - 40:][:80]
    assert "2 items done, 1 failed" in job and "activity 12" in job and "2027" in job
    assert 'id="job-reminders"' in page and "Not run yet." in page
    # how often each runs: its own setting where it has one (exports: every 3 s in tests)
    exports = page[page.index('id="job-exports"'):]
    every = client.application.config["EXPORT_POLL_SECONDS"]
    assert f"Every {every} second" in exports[:exports.index("</li>")]
    assert every != client.application.config["SCHEDULER_TICK_SECONDS"]
    # in the largest unit that says it: housekeeping runs each hour, not "每3600秒"
    zh = text(client.get("/admin/jobs", headers={"Accept-Language": "zh-CN"}))
    housekeeping = zh[zh.index('id="job-housekeeping"'):]
    tick = client.application.config["SCHEDULER_TICK_SECONDS"]
    assert (tick, "每小时") == (60, re.search(r'job__meta">([^<]+)<', housekeeping).group(1))
    deadlines = zh[zh.index('id="job-deadline_warnings"'):]
    assert re.search(r'job__meta">([^<]+)<', deadlines).group(1) == "每5分钟"


def test_only_admins(client, make_user, make_node, grant):
    coordinator = make_user()
    grant(coordinator, "coordinator", make_node(name="通运街道", kind="street"))
    login(client, coordinator)
    assert client.get("/admin/jobs").status_code == 403
