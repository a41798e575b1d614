"""Paper sign-in sheets: the printed PDF, its row codes, entering the ticks back in one
batch (all or nothing, idempotent), who may do it, and where the hours go."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from server.activities import services as activities
from server.activities.models import Signup
from server.checkin import codes, paper, paper_pdf, qr
from server.checkin.errors import (
    NothingTicked,
    PaperNonceReused,
    PaperNotOpen,
    PaperRowsRefused,
)
from server.checkin.models import PaperBatch, Scan
from server.core.clock import local
from server.core.errors import Forbidden
from server.extensions import db
from server.hours import review
from server.hours.models import HourEntry
from tests.pages import EN, csrf, login, text

Tick = paper.Tick


@pytest.fixture
def sheet_of(make_activity, make_user, grant, give_place, now):
    """sheet_of(...): an activity that ran from 3 h to 1 h ago, its organiser, the people
    holding a place, and one on the waitlist."""
    def make(people=3, status="published", series="1234", **kw):
        activity = make_activity(starts_in=timedelta(hours=-3), hours=2, status=status,
                                 title=kw.pop("title", "社区图书漂流"), **kw)
        organiser = make_user(name="社工小张")
        grant(organiser, "organiser", activity.node, activity.organisation)
        volunteers = [make_user(name=f"王阿姨{i}", phone=f"138{series}{i:04d}")
                      for i in range(people)]
        for v in volunteers:
            give_place(activity, v)
        waiting = make_user(name="排队的老李", phone=f"137{series}1111")
        db.session.add(Signup(activity_id=activity.id, user_id=waiting.id, status="waitlisted",
                              queue_no=100, created_at=now))
        db.session.flush()
        return activity, organiser, volunteers, waiting
    return make


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _signup(activity, user) -> Signup:
    return db.session.scalar(select(Signup).where(Signup.activity_id == activity.id,
                                                  Signup.user_id == user.id))


def _scans(**where):
    return db.session.scalars(select(Scan).filter_by(**where).order_by(Scan.id)).all()


# the printed sheet ----------------------------------------------------------------------

def test_the_sheet_lists_the_places_with_masked_phones_and_not_the_waitlist(sheet_of):
    activity, _, volunteers, waiting = sheet_of()
    rows = paper.sheet(activity)
    data = paper_pdf.render(activity, rows)
    assert data.startswith(b"%PDF")
    found = _pdf_text(data)
    assert "志愿服务活动纸质签到表" in found and "社区图书漂流" in found
    assert activity.place in found and activity.organisation.name in found
    for v in volunteers:
        assert v.name in found
        assert "138****" + v.phone[-4:] in found and v.phone not in found
    assert waiting.name not in found and "****1111" not in found
    assert "签到" in found and "签退" in found and "第 1 页 / 共 1 页" in found
    when = local(activity.starts_at)
    assert f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}" in found


def test_a_long_name_is_printed_whole_and_a_rare_character_too(sheet_of):
    """A 40-character name (the longest a name may be) fits its cell in smaller type; 𠮷
    (beyond the BMP) is drawn from an embedded font, not left as a hole."""
    activity, _, volunteers, _ = sheet_of(people=2)
    volunteers[0].name = "阿卜杜热合曼·买买提艾力·阿卜杜克热木·艾合买提江·吐尔逊·都热西提"[:40]
    volunteers[1].name = "黄𠮷磊"
    db.session.flush()
    reader = PdfReader(io.BytesIO(paper_pdf.render(activity, paper.sheet(activity))))
    found = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert volunteers[0].name in found and "黄𠮷磊" in found
    fonts = {str(f.get_object()["/BaseFont"])
             for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("HanaMinB" in f for f in fonts)


def test_each_row_carries_the_qr_of_its_own_signed_code(sheet_of):
    activity, _, volunteers, _ = sheet_of(people=2)
    rows = paper.sheet(activity)
    page = PdfReader(io.BytesIO(paper_pdf.render(activity, rows))).pages[0]
    images = [Image.open(io.BytesIO(img.data)).convert("L") for img in page.images]
    printed = {(i.size, i.tobytes()) for i in images}
    assert len(images) == len(printed) == 2
    for row in rows:
        # no QR decoder in the venv: a picture on the page must be, pixel for pixel, the
        # QR of the row's code (qrcode's own encoding of that very text)
        expected = Image.open(io.BytesIO(qr.png(row.token, box=4))).convert("L")
        assert (expected.size, expected.tobytes()) in printed
        assert codes.read_sheet(row.token) == (activity.id, row.signup.id)
        assert row.token.startswith("WSS1:")
        personal = codes.personal_payload(codes.active_code(row.user, now=activity.created_at))
        assert personal != row.token and personal.split(":")[1] not in row.token


def test_a_long_sheet_turns_pages_and_numbers_them(sheet_of):
    activity, _, _, _ = sheet_of(people=30)
    reader = PdfReader(io.BytesIO(paper_pdf.render(activity, paper.sheet(activity))))
    total = len(reader.pages)
    assert total >= 3
    for n, page in enumerate(reader.pages, start=1):
        assert f"第 {n} 页 / 共 {total} 页" in page.extract_text()
    assert "王阿姨29" in reader.pages[-1].extract_text()


def test_row_codes_are_bound_to_their_activity_and_refuse_tampering(sheet_of, make_activity):
    activity, _, _, _ = sheet_of(people=1)
    token = paper.sheet(activity)[0].token
    a, s, mac = token[len("WSS1:"):].split(".")
    assert codes.read_sheet(f"WSS1:{a}.{int(s) + 1}.{mac}") is None  # another row
    assert codes.read_sheet(f"WSS1:{int(a) + 1}.{s}.{mac}") is None  # another activity
    assert codes.read_sheet(token[:-2]) is None
    assert codes.read_sheet("WSP1:" + "x" * 43) is None
    assert codes.read_sheet("WSS1:１.２.abc") is None  # other scripts' digits


# entering it back -------------------------------------------------------------------------

def test_ticks_without_times_count_from_start_to_end_marked_paper(sheet_of, now):
    activity, organiser, volunteers, _ = sheet_of()
    at = now
    batch = paper.enter(activity.id, [Tick(signup_id=_signup(activity, v).id, entry=True,
                                           exit=True) for v in volunteers[:2]],
                        nonce="sheet-0001", operator=organiser, now=at)
    assert batch.entered_by_id == organiser.id and batch.entered_at == at and batch.rows == 2
    scans = _scans(activity_id=activity.id)
    assert [(s.direction, s.result) for s in scans] == [("entry", "ok"), ("exit", "ok")] * 2
    for s in scans:
        assert s.source == "paper" and s.operator_id == organiser.id
        assert s.paper_batch_id == batch.id and s.server_time == at
        assert not s.assisted and not s.forced
    assert {s.effective_time for s in scans if s.direction == "entry"} == {activity.starts_at}
    assert {s.effective_time for s in scans if s.direction == "exit"} == {activity.ends_at}
    rows = paper.entered_rows(batch)
    assert [r.user.name for r in rows] == ["王阿姨0", "王阿姨1"]
    assert all(r.entry.result == r.exit.result == "ok" for r in rows)


def test_an_untimed_tick_confirms_a_scan_and_does_not_move_it_to_the_start(sheet_of, now):
    """何平 was scanned in a quarter of an hour after the start and out half an hour before
    the end; a tick with no time written on the paper sheet confirms those scans: his stay
    is not moved to the whole activity. Someone with no scan counts start to end."""
    from server.checkin.services import ScanRequest, redeem
    activity, organiser, volunteers, _ = sheet_of(people=2)
    start, end = activity.starts_at, activity.ends_at
    scanned, ticked_only = (_signup(activity, v) for v in volunteers)
    for direction, at in (("entry", start + timedelta(minutes=15)),
                          ("exit", end - timedelta(minutes=30))):
        redeem(ScanRequest(activity_id=activity.id, direction=direction,
                           source="organiser_scan", operator=organiser,
                           user_id=scanned.user_id, nonce=f"live-{direction}-0001"), now=at)
    batch = paper.enter(activity.id, [
        Tick(signup_id=scanned.id, entry=True, exit=True),
        Tick(signup_id=ticked_only.id, entry=True, exit=True)],
        nonce="sheet-untimed", operator=organiser, now=now)
    answers = {r.signup_id: (r.entry.result, r.exit.result) for r in paper.entered_rows(batch)}
    assert answers == {scanned.id: ("already_checked_in", "already_checked_out"),
                       ticked_only.id: ("ok", "ok")}
    activities.finish(activity, actor=organiser, now=now)
    minutes = dict(db.session.execute(select(HourEntry.signup_id, HourEntry.minutes)).all())
    assert minutes == {scanned.id: 75, ticked_only.id: 120}  # 0:15 to 1:30 of 2 h


def test_paper_hours_go_to_review_marked_with_who_entered_them(sheet_of, now):
    activity, organiser, volunteers, _ = sheet_of(people=1)
    signup = _signup(activity, volunteers[0])
    start = activity.starts_at
    paper.enter(activity.id, [Tick(signup_id=signup.id, entry=True,
                                   entry_time=start + timedelta(minutes=10), exit=True)],
                nonce="sheet-0002", operator=organiser, now=now)
    activities.finish(activity, actor=organiser, now=now)
    entry = db.session.scalar(select(HourEntry).where(HourEntry.signup_id == signup.id))
    assert entry.status == "pending" and entry.minutes == 110
    assert "paper" in entry.flags and entry.sources == ["paper"]
    assert review.paper_entered_by(entry) == ["社工小张"]
    # who typed the sheet in does not approve it
    assert organiser.id in review.helpers(entry)


def test_a_sheet_entered_after_the_finish_still_makes_pending_hours(sheet_of, now):
    activity, organiser, volunteers, _ = sheet_of(people=1, status="finished")
    signup = _signup(activity, volunteers[0])
    paper.enter(activity.id, [Tick(signup_id=signup.id, entry=True, exit=True)],
                nonce="sheet-0003", operator=organiser, now=now + timedelta(minutes=5))
    entry = db.session.scalar(select(HourEntry).where(HourEntry.signup_id == signup.id))
    assert entry is not None and entry.status == "pending" and entry.minutes == 120
    assert {"paper", "late_scan"} <= set(entry.flags)


def test_the_same_batch_sent_twice_is_entered_once(sheet_of, now):
    activity, organiser, volunteers, _ = sheet_of()
    ticks = [Tick(signup_id=_signup(activity, v).id, entry=True, exit=True) for v in volunteers]
    first = paper.enter(activity.id, ticks, nonce="sheet-0004", operator=organiser, now=now)
    again = paper.enter(activity.id, ticks, nonce="sheet-0004", operator=organiser,
                        now=now + timedelta(seconds=3))
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 6
    assert db.session.scalar(select(func.count()).select_from(PaperBatch)) == 1


def test_a_batch_number_is_not_anyone_elses(sheet_of, make_user, grant, now):
    activity, organiser, volunteers, _ = sheet_of(people=1)
    other = make_user(name="另一位社工")
    grant(other, "organiser", activity.node, activity.organisation)
    ticks = [Tick(signup_id=_signup(activity, volunteers[0]).id, entry=True)]
    paper.enter(activity.id, ticks, nonce="sheet-0005", operator=organiser, now=now)
    with pytest.raises(PaperNonceReused) as excinfo:
        paper.enter(activity.id, ticks, nonce="sheet-0005", operator=other, now=now)
    assert excinfo.value.code == "paper_nonce_reused"


def test_a_second_organiser_entering_the_same_sheet_adds_no_second_stay(sheet_of, make_user,
                                                                          grant, now):
    activity, organiser, volunteers, _ = sheet_of(people=2)
    other = make_user(name="另一位社工")
    grant(other, "organiser", activity.node, activity.organisation)
    ticks = [Tick(signup_id=_signup(activity, v).id, entry=True, exit=True) for v in volunteers]
    paper.enter(activity.id, ticks, nonce="sheet-0006", operator=organiser, now=now)
    second = paper.enter(activity.id, ticks, nonce="sheet-0007", operator=other, now=now)
    assert [(r.entry.result, r.exit.result) for r in paper.entered_rows(second)] == [
        ("already_checked_in", "already_checked_out")] * 2
    activities.finish(activity, actor=organiser, now=now)
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 2


def test_one_wrong_row_refuses_the_whole_sheet_with_each_reason(sheet_of, make_activity,
                                                                now):
    activity, organiser, volunteers, waiting = sheet_of(people=3)
    elsewhere, _, _, _ = sheet_of(people=1, title="别的活动", series="5678")
    good = paper.sheet(activity)
    foreign = paper.sheet(elsewhere)[0].token
    forged = good[1].token[:-3] + ("AAA" if not good[1].token.endswith("AAA") else "BBB")
    ticks = [Tick(token=good[0].token, entry=True),          # fine
             Tick(token=forged, entry=True),                 # tampered
             Tick(token=foreign, entry=True),                # another activity's sheet
             Tick(signup_id=_signup(activity, waiting).id, entry=True),  # waitlist
             Tick(token=good[2].token, entry=True,
                  entry_time=activity.starts_at - timedelta(days=1)),
             Tick(token=good[0].token, exit=True),           # the same person again
             Tick(signup_id=good[2].signup.id)]              # nothing ticked: ignored
    with pytest.raises(PaperRowsRefused) as excinfo:
        paper.enter(activity.id, ticks, nonce="sheet-0008", operator=organiser, now=now)
    assert excinfo.value.row_codes == {1: "invalid_code", 2: "other_activity",
                                       3: "not_on_sheet", 4: "outside_day", 5: "twice"}
    assert excinfo.value.code == "paper_rows_refused"
    assert set(excinfo.value.errors["rows"]) == {1, 2, 3, 4, 5}


def test_times_must_be_on_the_day_in_the_past_and_in_order(sheet_of, now):
    activity, organiser, volunteers, _ = sheet_of(people=1)
    sid = _signup(activity, volunteers[0]).id
    # "future": the sheet entered half an hour into the activity, a tick an hour into it
    # (on the activity's day whatever the hour: five minutes after the real now is the
    # next day from 23:55 in Beijing, and "outside_day" is checked first)
    during = activity.starts_at + timedelta(minutes=30)
    cases = [
        (Tick(signup_id=sid, exit=True, exit_time=activity.ends_at + timedelta(days=1)),
         now, "outside_day"),
        (Tick(signup_id=sid, entry=True, entry_time=activity.ends_at,
              exit_time=activity.starts_at), now, "exit_before_entry"),
        (Tick(signup_id=sid, exit=True, exit_time=during + timedelta(minutes=30)), during,
         "future"),
    ]
    for tick, at, code in cases:
        with pytest.raises(PaperRowsRefused) as excinfo:
            paper.enter(activity.id, [tick], nonce="sheet-0009", operator=organiser, now=at)
        assert excinfo.value.row_codes == {0: code}
    with pytest.raises(NothingTicked):
        paper.enter(activity.id, [Tick(signup_id=sid)], nonce="sheet-0009",
                    operator=organiser, now=now)
    assert _scans() == []


def test_only_organisers_and_coordinators_above_enter_or_print(sheet_of, make_user, grant,
                                                               make_org, now):
    activity, _, volunteers, _ = sheet_of(people=1)
    tick = [Tick(signup_id=_signup(activity, volunteers[0]).id, entry=True)]
    stranger = make_user(name="别的组织的社工")
    grant(stranger, "organiser", activity.node, make_org())
    for who in (volunteers[0], stranger):
        with pytest.raises(Forbidden):
            paper.enter(activity.id, tick, nonce="sheet-0010", operator=who, now=now)
        with pytest.raises(Forbidden):
            paper.overseen(activity.id, who)
    coordinator = make_user(name="街道协调员")
    grant(coordinator, "coordinator", activity.node.parent)
    batch = paper.enter(activity.id, tick, nonce="sheet-0011", operator=coordinator, now=now)
    assert batch.entered_by_id == coordinator.id


def test_no_sheet_for_a_cancelled_or_future_activity(sheet_of, make_activity, now):
    activity, organiser, volunteers, _ = sheet_of(people=1, status="cancelled")
    with pytest.raises(PaperNotOpen):
        paper.enter(activity.id, [Tick(signup_id=_signup(activity, volunteers[0]).id,
                                       entry=True)],
                    nonce="sheet-0012", operator=organiser, now=now)


# API -----------------------------------------------------------------------------------

def test_api_sheet_pdf_and_batch_entry(api, sheet_of, now):
    activity, organiser, volunteers, waiting = sheet_of(people=2)
    api.login(organiser)
    base = f"/api/v1/activities/{activity.id}/paper-sheet"
    sheet = api.get(base).get_json()
    assert [r["name"] for r in sheet["rows"]] == ["王阿姨0", "王阿姨1"]
    assert sheet["rows"][0]["phone"] == "138****0000"
    resp = api.get(base + ".pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "王阿姨1" in _pdf_text(resp.get_data())

    body = {"nonce": "api-sheet-0001",
            "rows": [{"token": sheet["rows"][0]["token"], "entry": True, "exit": True},
                     {"signup_id": sheet["rows"][1]["signup_id"], "entry": True,
                      "entry_time": local(activity.starts_at + timedelta(minutes=30))
                      .isoformat()}]}
    first = api.post(base + "/entries", json=body)
    assert first.status_code == 200, first.get_json()
    data = first.get_json()
    assert data["source"] == "paper" and data["entered_by"]["name"] == "社工小张"
    assert [(r["name"], r["entry"]["result"], (r["exit"] or {}).get("result"))
            for r in data["rows"]] == [("王阿姨0", "ok", "ok"), ("王阿姨1", "ok", None)]
    again = api.post(base + "/entries", json=body)
    assert again.status_code == 200 and again.get_json() == data
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 3


def test_api_refuses_a_bad_row_with_the_envelope(api, sheet_of):
    activity, organiser, _, _ = sheet_of(people=1)
    api.login(organiser)
    base = f"/api/v1/activities/{activity.id}/paper-sheet"
    token = api.get(base).get_json()["rows"][0]["token"]
    resp = api.post(base + "/entries", json={"nonce": "api-sheet-0002", "rows": [
        {"token": token, "entry": True}, {"token": token[:-1] + "x", "entry": True}]},
        headers=EN)
    body = resp.get_json()
    assert resp.status_code == 422 and body["code"] == "paper_rows_refused"
    assert body["errors"] == {"rows.1": ["This row's code is not one we printed, or it "
                                         "was changed."]}
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 0


def test_api_is_for_the_activitys_staff_only(api, sheet_of):
    activity, _, volunteers, _ = sheet_of(people=1)
    api.login(volunteers[0])
    base = f"/api/v1/activities/{activity.id}/paper-sheet"
    assert api.get(base).status_code == 403
    assert api.get(base + ".pdf").status_code == 403
    resp = api.post(base + "/entries", json={"nonce": "api-sheet-0003", "rows": [
        {"signup_id": 1, "entry": True}]})
    assert resp.status_code == 403


# pages ---------------------------------------------------------------------------------

def test_the_entry_page_enters_the_ticks_and_the_reviewer_sees_who(app, client, sheet_of,
                                                                    make_user, grant, now):
    activity, organiser, volunteers, waiting = sheet_of(people=2)
    token = login(client, organiser)
    page = text(client.get(f"/manage/{activity.id}/paper-sheet"))
    assert "王阿姨0" in page and "138****0001" in page and waiting.name not in page
    assert f"/manage/{activity.id}/paper-sheet.pdf" in page
    # scanning the sheet's codes ticks rows in this very form (static/dist/paper-sheet.js)
    assert 'id="paper-scan-config"' in page and "paper-sheet." in page
    assert f'data-token="{paper.sheet(activity)[0].token}"' in page
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
    pdf = client.get(f"/manage/{activity.id}/paper-sheet.pdf")
    assert pdf.status_code == 200 and "王阿姨1" in _pdf_text(pdf.get_data())

    s0, s1 = (_signup(activity, v).id for v in volunteers)
    form = {"csrf_token": token, "nonce": nonce, "entry": [str(s0), str(s1)],
            "exit": [str(s0)], f"entry_time-{s1}": local(activity.starts_at
                                                         + timedelta(minutes=20))
            .strftime("%H:%M")}
    resp = client.post(f"/manage/{activity.id}/paper-sheet", data=form)
    assert resp.status_code == 302, text(resp)
    done = text(client.get(resp.headers["Location"]))
    assert "纸质签到，由 社工小张 录入" in done and done.count('data-result="ok"') == 3
    # sent again (back button, double tap): nothing more
    again = client.post(f"/manage/{activity.id}/paper-sheet", data=form)
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 3

    activities.finish(activity, actor=organiser, now=now)
    reviewer = make_user(name="街道审核员")
    grant(reviewer, "coordinator", activity.node.parent)
    other = app.test_client()
    login(other, reviewer)
    queue = text(other.get("/review/hours"))
    assert queue.count("纸质签到，由 社工小张 录入") == 2
    entry = db.session.scalar(select(HourEntry).where(HourEntry.signup_id == s1))
    assert "纸质签到，由 社工小张 录入" in text(other.get(f"/hours/entries/{entry.id}"))


def test_a_wrong_time_is_shown_on_its_row_and_nothing_saved(client, sheet_of):
    activity, organiser, volunteers, _ = sheet_of(people=2)
    token = login(client, organiser)
    s0, s1 = (_signup(activity, v).id for v in volunteers)
    resp = client.post(f"/manage/{activity.id}/paper-sheet", headers=EN, data={
        "csrf_token": token, "nonce": "page-sheet-0001", "entry": [str(s0), str(s1)],
        f"entry_time-{s1}": local(activity.ends_at).strftime("%H:%M"),
        f"exit_time-{s1}": local(activity.starts_at).strftime("%H:%M")})
    page = text(resp)
    assert resp.status_code == 422
    assert "The check-out time is before the check-in time." in page
    assert "Nothing was saved" in page and 'value="page-sheet-0001"' in page
    assert _scans() == []


def test_the_pages_are_for_staff_only(client, sheet_of):
    activity, _, volunteers, _ = sheet_of(people=1)
    login(client, volunteers[0])
    for path in ("paper-sheet", "paper-sheet.pdf"):
        assert client.get(f"/manage/{activity.id}/{path}").status_code == 403, path
    assert client.post(f"/manage/{activity.id}/paper-sheet",
                       data={"csrf_token": csrf(client, "/me")}).status_code == 403


def test_the_activity_page_links_the_sheet_for_staff(client, sheet_of):
    activity, organiser, _, _ = sheet_of(people=1)
    login(client, organiser)
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert f"/manage/{activity.id}/paper-sheet" in page and "Paper sign-in sheet" in page

