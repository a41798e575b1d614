"""The hours ledger: from scans to minutes, review, corrections, stars."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.activities import services as activity_services
from server.activities import signups
from server.checkin.models import Scan
from server.core.errors import WusheError
from server.extensions import db
from server.hours import compute, deadlines, ledger, repair, review, services
from server.hours.models import HourEntry


def _scan(signup, activity, direction, at, source="organiser_scan", **kw):
    scan = Scan(activity_id=activity.id, user_id=signup.user_id, signup_id=signup.id,
                direction=direction, result=kw.pop("result", "ok"), source=source,
                server_time=at, effective_time=at, forced=False, walk_in=False, **kw)
    if scan.result == "ok":  # numbered, as the check-in service does
        signup.presence = "in" if direction == "entry" else "out"
        signup.scan_seq = (signup.scan_seq or 0) + 1
        scan.seq = signup.scan_seq
    db.session.add(scan)
    db.session.flush()
    return scan


@pytest.fixture
def done(make_activity, make_user, grant, now):
    """An activity 09:00–12:00 two days ago (relative), its organiser and a volunteer."""
    activity = make_activity(starts_in=timedelta(days=-2), hours=3)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    volunteer = make_user(name="志愿者")
    activity.status = "published"
    signup = signups.Signup(activity_id=activity.id, user_id=volunteer.id, status="confirmed",
                            queue_no=1, created_at=now - timedelta(days=5))
    db.session.add(signup)
    db.session.flush()
    return activity, organiser, volunteer, signup


def test_minutes_are_clipped_to_the_activity(done, now):
    activity, organiser, _, signup = done
    start = activity.starts_at
    _scan(signup, activity, "entry", start - timedelta(minutes=40))  # came early: not counted
    _scan(signup, activity, "exit", activity.ends_at + timedelta(minutes=25))
    activity_services.finish(activity, actor=organiser, now=now)
    entry = db.session.query(HourEntry).one()
    assert (entry.minutes, entry.status, entry.kind) == (180, "pending", "attendance")
    assert (entry.served_from, entry.served_to) == (activity.starts_at, activity.ends_at)


def test_several_pairs_and_duplicate_entries_count_once(done, now):
    activity, organiser, _, signup = done
    s = activity.starts_at
    _scan(signup, activity, "entry", s)
    _scan(signup, activity, "entry", s + timedelta(minutes=5))  # second phone, ignored
    _scan(signup, activity, "exit", s + timedelta(minutes=60))
    _scan(signup, activity, "entry", s + timedelta(minutes=90))
    _scan(signup, activity, "exit", s + timedelta(minutes=120))
    _scan(signup, activity, "entry", s + timedelta(minutes=100), result="already_checked_in",
          duplicate_of_id=None)
    activity_services.finish(activity, actor=organiser, now=now)
    entry = db.session.query(HourEntry).one()
    assert entry.minutes == 60 + 30


def test_overnight_activity(make_activity, make_user, grant, now):
    activity = make_activity(starts_in=timedelta(days=-3), hours=14)  # e.g. 20:00 → 10:00
    organiser = make_user()
    grant(organiser, "organiser", activity.node, activity.organisation)
    signup = signups.Signup(activity_id=activity.id, user_id=make_user(name="夜班").id,
                            status="confirmed", queue_no=1, created_at=now)
    db.session.add(signup)
    db.session.flush()
    _scan(signup, activity, "entry", activity.starts_at + timedelta(hours=1))
    _scan(signup, activity, "exit", activity.starts_at + timedelta(hours=13, minutes=30))
    ledger.close_attendance(activity, now=now)
    assert db.session.query(HourEntry).one().minutes == 12 * 60 + 30


def test_no_check_out_closes_at_the_end_and_is_flagged(done, now):
    activity, organiser, _, signup = done
    _scan(signup, activity, "entry", activity.starts_at + timedelta(minutes=30))
    activity_services.finish(activity, actor=organiser, now=now)
    entry = db.session.query(HourEntry).one()
    assert entry.minutes == 150 and "auto_checkout" in entry.flags
    assert db.session.query(Scan).filter_by(source="automatic").count() == 1


def test_rounding_is_per_activity():
    from datetime import UTC, datetime
    t = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    spans = [(t, t + timedelta(minutes=59, seconds=59))]
    assert compute.served_minutes(spans) == 59
    assert compute.served_minutes(spans, "quarter") == 45
    assert compute.served_minutes(spans, "half_hour") == 30


def test_closing_attendance_twice_records_once(done, now):
    activity, _, _, signup = done
    _scan(signup, activity, "entry", activity.starts_at)
    ledger.close_attendance(activity, now=now)
    ledger.close_attendance(activity, now=now + timedelta(hours=1))
    assert db.session.query(HourEntry).count() == 1


def test_review_rules(done, make_user, make_node, grant, now):
    activity, organiser, volunteer, signup = done
    _scan(signup, activity, "entry", activity.starts_at)
    _scan(signup, activity, "exit", activity.ends_at)
    entry = ledger.close_attendance(activity, now=now)[0]
    with pytest.raises(WusheError) as excinfo:
        review.approve(entry.id, reviewer=volunteer, now=now)
    assert excinfo.value.code == "not_reviewer"
    elsewhere = make_user(name="别的街道协调员")
    grant(elsewhere, "coordinator", make_node(name="别的街道", kind="street"))
    with pytest.raises(WusheError) as excinfo:
        review.approve(entry.id, reviewer=elsewhere, now=now)
    assert excinfo.value.code == "not_reviewer"
    review.approve(entry.id, reviewer=organiser, now=now)
    assert entry.status == "approved"
    with pytest.raises(WusheError) as excinfo:
        review.approve(entry.id, reviewer=organiser, now=now)
    assert excinfo.value.code == "already_reviewed"


def test_nobody_reviews_their_own_hours(done, grant, now):
    activity, organiser, _, _ = done
    own = signups.Signup(activity_id=activity.id, user_id=organiser.id, status="confirmed",
                         queue_no=2, created_at=now)
    db.session.add(own)
    db.session.flush()
    _scan(own, activity, "entry", activity.starts_at)
    entry = ledger.close_attendance(activity, now=now)[0]
    with pytest.raises(WusheError) as excinfo:
        review.approve(entry.id, reviewer=organiser, now=now)
    assert excinfo.value.code == "own_hours"
    bulk = review.approve_activity(activity, reviewer=organiser, now=now)
    assert bulk == review.BulkResult(approved=0, left=0)


def test_adjusting_an_approved_entry_reverses_and_replaces(done, now):
    activity, organiser, volunteer, signup = done
    _scan(signup, activity, "entry", activity.starts_at)
    _scan(signup, activity, "exit", activity.ends_at)
    entry = ledger.close_attendance(activity, now=now)[0]
    review.approve(entry.id, reviewer=organiser, now=now)
    new = review.adjust(entry.id, reviewer=organiser, minutes=120, reason="提前离开一小时",
                        now=now + timedelta(hours=1))
    story = services.history(entry)
    assert [(e.kind, e.minutes, e.status) for e in story] == [
        ("attendance", 180, "approved"), ("reversal", -180, "approved"),
        ("replacement", 120, "approved")]
    assert story[1].reason == story[2].reason == "提前离开一小时"
    assert new.replaces_id == entry.id and story[1].reverses_id == entry.id
    assert services.summary(volunteer, now=now).total_minutes == 120
    db.session.refresh(entry)
    assert (entry.minutes, entry.status) == (180, "approved")  # history is never edited
    with pytest.raises(WusheError) as excinfo:
        review.adjust(entry.id, reviewer=organiser, minutes=60, reason="再改", now=now)
    assert excinfo.value.code == "already_reviewed"


def test_totals_count_approved_only(done, now):
    activity, organiser, volunteer, signup = done
    _scan(signup, activity, "entry", activity.starts_at)
    _scan(signup, activity, "exit", activity.ends_at)
    entry = ledger.close_attendance(activity, now=now)[0]
    assert services.summary(volunteer, now=now).total_minutes == 0
    retro_activity = activity
    with pytest.raises(WusheError) as excinfo:
        ledger.file_retroactive(actor=volunteer, activity=retro_activity, user=volunteer,
                                minutes=30, evidence="我在现场帮忙搬书", now=now)
    assert excinfo.value.code == "already_recorded"
    review.reject(entry.id, reviewer=organiser, reason="签到记录有误", now=now)
    summary = services.summary(volunteer, now=now)
    assert summary.total_minutes == 0
    assert [e.review.reason for e in summary.rejected] == ["签到记录有误"]


def test_retroactive_is_capped_needs_evidence_and_is_reviewed(done, now):
    activity, organiser, volunteer, _ = done
    with pytest.raises(WusheError) as excinfo:
        ledger.file_retroactive(actor=volunteer, activity=activity, user=volunteer,
                                minutes=181, evidence="忘记签到了，组织者可证明", now=now)
    assert excinfo.value.code == "over_cap"
    with pytest.raises(WusheError) as excinfo:
        ledger.file_retroactive(actor=volunteer, activity=activity, user=volunteer,
                                minutes=60, evidence="", now=now)
    assert excinfo.value.code == "evidence_required"
    entry = ledger.file_retroactive(actor=volunteer, activity=activity, user=volunteer,
                                    minutes=180, evidence="忘记签到了，组织者可证明", now=now)
    assert (entry.status, entry.flags) == ("pending", ["retroactive"])


def test_retroactive_only_for_what_happened(make_activity, make_user, now):
    future = make_activity(starts_in=timedelta(days=3))
    person = make_user()
    with pytest.raises(WusheError) as excinfo:
        ledger.file_retroactive(actor=person, activity=future, user=person, minutes=10,
                                evidence="还没开始", now=now)
    assert excinfo.value.code == "not_yet_happened"


def test_no_retroactive_claim_beside_a_check_in_that_will_count(done, now):
    """补录 by someone the scans already count, before the finish: refused, for them and
    for the organiser filing for them; the finish then makes the one entry."""
    activity, organiser, volunteer, signup = done
    _scan(signup, activity, "entry", activity.starts_at)
    for actor in (volunteer, organiser):
        with pytest.raises(WusheError) as excinfo:
            ledger.file_retroactive(actor=actor, activity=activity, user=volunteer,
                                    minutes=60, evidence="扫码后又补录一次", now=now)
        assert excinfo.value.code == "checked_in"
    activity_services.finish(activity, actor=organiser, now=now)
    assert [e.kind for e in db.session.query(HourEntry)] == ["attendance"]


@pytest.mark.parametrize("decided", [None, "approved"])
def test_the_finish_does_not_count_a_claim_and_the_scans_twice(done, now, decided):
    """A claim filed before the person was scanned in: at the finish the scans take a
    waiting claim's place; an approved claim keeps counting and no second entry is made."""
    activity, organiser, volunteer, signup = done
    claim = ledger.file_retroactive(actor=volunteer, activity=activity, user=volunteer,
                                    minutes=120, evidence="忘记签到了，组织者可证明", now=now)
    if decided:
        review.approve(claim.id, reviewer=organiser, now=now)
    _scan(signup, activity, "entry", activity.starts_at)
    _scan(signup, activity, "exit", activity.ends_at)
    activity_services.finish(activity, actor=organiser, now=now)
    db.session.expire_all()
    entries = {e.kind: e.status for e in db.session.query(HourEntry)}
    if decided:
        assert entries == {"retroactive": "approved"}
    else:
        assert entries == {"retroactive": "superseded", "attendance": "pending"}
    assert ledger.recorded(volunteer.id, activity.id)


@pytest.mark.parametrize("decided", [None, "approved"])
def test_late_scans_do_not_count_a_claim_and_the_scans_twice(done, now, decided):
    """Her scans were on an offline phone, so she filed 补录 after the finish; then the phone
    uploaded them: the same rule as at the finish, not a second entry beside the claim."""
    activity, organiser, volunteer, signup = done
    activity_services.finish(activity, actor=organiser, now=now)
    claim = ledger.file_retroactive(actor=volunteer, activity=activity, user=volunteer,
                                    minutes=120, evidence="扫码的手机没联网，组织者可证明",
                                    now=now)
    if decided:
        review.approve(claim.id, reviewer=organiser, now=now)
    _scan(signup, activity, "entry", activity.starts_at)
    _scan(signup, activity, "exit", activity.ends_at)
    made = ledger.follow_late_scans(signup=signup, now=now)
    db.session.expire_all()
    entries = {e.kind: e.status for e in db.session.query(HourEntry)}
    if decided:
        assert made is None and entries == {"retroactive": "approved"}
    else:
        assert entries == {"retroactive": "superseded", "attendance": "pending"}


def _asked(done, now):
    """Two hours approved (she came an hour late by the scans), and her correction asked."""
    activity, organiser, volunteer, signup = done
    _scan(signup, activity, "entry", activity.starts_at + timedelta(minutes=60))
    _scan(signup, activity, "exit", activity.ends_at)
    entry = ledger.close_attendance(activity, now=now)[0]
    review.approve(entry.id, reviewer=organiser, now=now)
    req = services.request_correction(entry, user=volunteer, message="我九点就到了，扫码失败",
                                      now=now)
    return organiser, volunteer, entry, req


def test_correction_request_and_answer(done, now):
    organiser, volunteer, entry, req = _asked(done, now)
    with pytest.raises(WusheError) as excinfo:
        services.request_correction(entry, user=volunteer, message="再问一次", now=now)
    assert excinfo.value.code == "correction_open"
    services.answer_correction(req, reviewer=organiser, minutes=180, reason="核实签到表",
                               now=now)
    assert req.answer == "corrected"
    assert services.summary(volunteer, now=now).total_minutes == 180


@pytest.mark.parametrize("hours,stars,next_at", [(0, 0, 100), (99.99, 0, 100), (100, 1, 300),
                                                 (599, 2, 600), (600, 3, 1000),
                                                 (1500, 5, None)])
def test_star_boundaries(app, hours, stars, next_at):
    assert services.star_level(int(hours * 60)) == (stars, next_at)


def test_due_date_skips_weekends(make_activity):
    activity = make_activity()
    due = deadlines.due_date(activity)
    ended = activity.ends_at.date()
    assert due > ended and due.weekday() < 5
    # ten working days are two calendar weeks, give or take the weekend it starts on
    assert 12 <= (due - ended).days <= 16


def test_an_adjustment_from_the_queue_answers_the_correction_asked_on_that_entry(done, now):
    """The reviewer adjusts the entry without opening the request: it is answered, not
    left asking for a change to an entry that no longer counts."""
    organiser, volunteer, entry, req = _asked(done, now)
    new = review.adjust(entry.id, reviewer=organiser, minutes=180, reason="核实签到表", now=now)
    db.session.expire_all()
    assert (req.answer, req.new_entry_id, req.answer_reason, req.answered_by_id) == (
        "corrected", new.id, "核实签到表", organiser.id)
    assert services.open_correction(entry) is None
    assert services.can_request_correction(new, volunteer)  # the new entry can be questioned
    assert services.summary(volunteer, now=now).total_minutes == 180


@pytest.mark.parametrize("reason,said", [("没人见到你", "没人见到你。"),
                                         ("当天不在场。", "当天不在场。"), ("", "")])
def test_a_reason_is_a_whole_sentence_inside_the_message(app, reason, said):
    """"原因：没人见到你 如有误" ran on: the reason ends as a sentence, in the reader's
    language."""
    from flask_babel import force_locale

    from server.core.labels import sentence
    with app.test_request_context(), force_locale("zh_CN"):
        assert sentence(reason) == said
    with app.test_request_context(), force_locale("en"):
        assert sentence("wrong day") == "wrong day." and sentence("wrong day!") == "wrong day!"


def test_a_rejection_declines_the_correction_asked_on_that_entry(done, now):
    activity, organiser, volunteer, signup = done
    _scan(signup, activity, "entry", activity.starts_at + timedelta(minutes=60))
    _scan(signup, activity, "exit", activity.ends_at)
    entry = ledger.close_attendance(activity, now=now)[0]  # waiting for review
    req = services.request_correction(entry, user=volunteer, message="我九点就到了，扫码失败",
                                      now=now)
    review.reject(entry.id, reviewer=organiser, reason="当天不在场", now=now)
    db.session.expire_all()
    assert (req.answer, req.answer_reason, req.new_entry_id) == ("declined", "当天不在场", None)
    assert services.open_correction(entry) is None


def _approved_then_late(done, now):
    """30 minutes approved (scanned in at 9:30, out at 10:00), then an offline phone's
    upload of a 9:10 entry scan: a 50-minute replacement waits. Returns (first, waiting)."""
    activity, organiser, _volunteer, signup = done
    start = activity.starts_at
    _scan(signup, activity, "entry", start + timedelta(minutes=30))
    _scan(signup, activity, "exit", start + timedelta(minutes=60))
    first = ledger.close_attendance(activity, now=now)[0]
    review.approve(first.id, reviewer=organiser, now=now)
    _scan(signup, activity, "entry", start + timedelta(minutes=10))
    return first, ledger.follow_late_scans(signup=signup, now=now)


@pytest.mark.parametrize("then", ["another_upload", "rejected_then_upload", "adjusted"])
def test_a_chain_of_late_replacements_counts_only_its_last(done, now, then):
    """Approved, then an offline phone uploads an earlier entry scan (a replacement waits);
    whatever comes after it (another upload, a rejection and an upload, the reviewer's own
    minutes), the hours that count are the last approved ones, once: the approved entry
    behind the waiting one is reversed, not left counting beside its successor."""
    activity, organiser, volunteer, signup = done
    start = activity.starts_at
    first, waiting = _approved_then_late(done, now)
    assert (waiting.minutes, waiting.status) == (50, "pending")
    if then == "adjusted":
        last = review.adjust(waiting.id, reviewer=organiser, minutes=45, reason="核对签到表",
                             now=now)
    else:
        if then == "rejected_then_upload":
            review.reject(waiting.id, reviewer=organiser, reason="再核对一下", now=now)
        _scan(signup, activity, "entry", start + timedelta(minutes=1))
        last = ledger.follow_late_scans(signup=signup, now=now)
        review.approve(last.id, reviewer=organiser, now=now)
    db.session.expire_all()
    mine = services.summary(volunteer, now=now)
    assert mine.total_minutes == last.minutes == (45 if then == "adjusted" else 59)
    assert [(r.minutes, r.entry_id) for r in mine.by_activity] == [(last.minutes, last.id)]
    assert services.correctable(db.session.get(HourEntry, last.id))
    assert not services.correctable(db.session.get(HourEntry, first.id))
    assert repair.double_counted() == []  # and the check finds nothing to settle


def test_an_approved_entry_whose_late_replacement_was_rejected_still_takes_reports(done, now):
    """A rejected replacement took nothing's place: the approved entry still counts, and
    我的时长 leads to it, where an error in it can be reported."""
    _activity, organiser, volunteer, _signup = done
    first, waiting = _approved_then_late(done, now)
    assert not services.correctable(first)  # its review is under way
    review.reject(waiting.id, reviewer=organiser, reason="那台手机的时间不准", now=now)
    db.session.expire_all()
    mine = services.summary(volunteer, now=now)
    assert [(r.minutes, r.entry_id) for r in mine.by_activity] == [(30, first.id)]
    assert services.correctable(db.session.get(HourEntry, first.id))


@pytest.mark.parametrize("first_upload", ["set_aside", "rejected"])
def test_new_minutes_for_an_approved_entry_set_aside_a_late_upload_further_along(
        done, now, first_upload):
    """Approved, then two late uploads (the first set aside by the second, or rejected):
    the one still waiting stands for the approved entry though it names the first upload.
    While it waits no error is reported on the approved entry; the reviewer's own minutes
    for it set the waiting upload aside, so the hours count once."""
    activity, organiser, volunteer, signup = done
    start = activity.starts_at
    first, upload = _approved_then_late(done, now)
    if first_upload == "rejected":
        review.reject(upload.id, reviewer=organiser, reason="再核对一下", now=now)
    _scan(signup, activity, "entry", start + timedelta(minutes=1))
    waiting = ledger.follow_late_scans(signup=signup, now=now)
    assert waiting.replaces_id == upload.id and waiting.status == "pending"
    assert not services.correctable(db.session.get(HourEntry, first.id))
    review.adjust(first.id, reviewer=organiser, minutes=45, reason="核对签到表", now=now)
    db.session.expire_all()
    assert db.session.get(HourEntry, waiting.id).status == "superseded"
    with pytest.raises(WusheError):
        review.approve(waiting.id, reviewer=organiser, now=now)
    assert services.summary(volunteer, now=now).total_minutes == 45
