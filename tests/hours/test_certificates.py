"""Certificates (志愿服务记录证明): who may issue, what is frozen, the PDF, verification."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from server.accounts import identity
from server.core.clock import local
from server.core.errors import WusheError
from server.extensions import db
from server.hours import certificates as certs
from server.hours.models import Certificate, HourEntry, HourReview
from tests.pages import EN, csrf, login, text

BASE = "http://localhost/"
ID_NUMBER = "11010519491231002X"
MASKED = "110***********002X"


def _entry(user, activity, minutes, now, decision="approved", kind="retroactive",
           reverses=None, reviewer=None, replaces=None):
    entry = HourEntry(user_id=user.id, activity_id=activity.id, kind=kind, minutes=minutes,
                      sources=[], flags=[], created_at=now,
                      reverses_id=reverses.id if reverses else None,
                      replaces_id=replaces.id if replaces else None)
    db.session.add(entry)
    db.session.flush()
    if decision:
        db.session.add(HourReview(entry_id=entry.id, decision=decision, decided_at=now,
                                  reviewer_id=reviewer.id if reviewer else None,
                                  reason=None if decision == "approved" else "不符"))
        db.session.flush()
    return entry


@pytest.fixture
def w(make_node, make_org, make_user, make_activity, grant, now):
    """运河园社区's volunteer team recorded 3.5 approved hours of 李小梅's, in two activities."""
    w = SimpleNamespace(now=now)
    w.district = make_node(name="通州区", kind="district")
    w.street = make_node(name="通运街道", kind="street", parent=w.district)
    w.community = make_node(name="运河园社区", parent=w.street)
    w.org = make_org(name="运河园社区BQteam-贤妈智囊团", node=w.community)
    w.org.leader_name, w.org.contact_phone = "王秀兰", "010-81234567"
    w.other_org = make_org(name="赵庄子爱心救助基金", node=w.community)
    w.other_org.leader_name, w.other_org.contact_phone = "赵主任", "010-89998888"
    w.organiser = make_user(name="张经办", phone="13800000001")
    grant(w.organiser, "organiser", w.community, organisation=w.org)
    w.other_organiser = make_user(name="外单位")
    grant(w.other_organiser, "organiser", w.community, organisation=w.other_org)
    w.coordinator = make_user(name="街道协调员")
    grant(w.coordinator, "coordinator", w.street)
    w.admin = make_user(name="区管理员")
    grant(w.admin, "admin", w.district)
    w.far_admin = make_user(name="别区管理员")
    grant(w.far_admin, "admin", make_node(name="大兴区", kind="district"))
    w.volunteer = make_user(name="李小梅", phone="13912345678")
    identity.set_identity(w.volunteer, id_type="resident_id", id_number=ID_NUMBER, now=now)

    w.lecture = make_activity(org=w.org, title="法律问题进社区公益讲堂",
                              starts_in=timedelta(days=-10), hours=3)
    w.mothers = make_activity(org=w.org, title="全职妈妈成长计划", starts_in=timedelta(days=-5))
    w.festival = make_activity(org=w.other_org, title="慈善公益节",
                               starts_in=timedelta(days=-3))
    v = w.volunteer
    _entry(v, w.lecture, 150, now)                            # counts
    _entry(v, w.lecture, 45, now, decision=None)              # pending: not yet
    old = _entry(v, w.mothers, 90, now)                       # corrected to 60 below
    _entry(v, w.mothers, -90, now, kind="reversal", reverses=old)
    _entry(v, w.mothers, 60, now, kind="replacement", replaces=old)
    _entry(v, w.mothers, 30, now, decision="rejected")        # rejected: never
    _entry(v, w.festival, 200, now)                           # another body's hours
    return w


def _requested(w, **kw):
    return certs.request_certificate(w.volunteer, w.org, now=w.now, purpose="学校社会实践", **kw)


def _issued(w):
    return certs.issue(_requested(w), issuer=w.organiser, now=w.now, base_url=BASE)


# --- the service -----------------------------------------------------------------------------

def test_issue_freezes_the_bodys_approved_hours_only(w):
    cert = _issued(w)
    assert cert.status == "issued"
    assert cert.total_minutes == 150 + 60
    assert cert.lines == [
        {"date": local(w.lecture.starts_at).date().isoformat(), "title": "法律问题进社区公益讲堂",
         "minutes": 150},
        {"date": local(w.mothers.starts_at).date().isoformat(), "title": "全职妈妈成长计划",
         "minutes": 60}]
    assert (cert.volunteer_name, cert.id_type, cert.id_number_masked) == (
        "李小梅", "resident_id", MASKED)
    assert cert.volunteer_number == f"WS{w.volunteer.id:08d}"
    assert (cert.issuer_name, cert.leader_name, cert.handler_name, cert.contact) == (
        "运河园社区BQteam-贤妈智囊团", "王秀兰", "张经办", "010-81234567")
    assert re.fullmatch(rf"WSC-{local(w.now).year}-\d{{6}}", cert.number)
    assert cert.issued_at == w.now and cert.issued_by_id == w.organiser.id
    assert len(cert.signature) == 64 and len(cert.pdf_sha256) == 64
    assert certs.hours_text(cert.total_minutes) == "3.5"


def test_later_hours_do_not_change_an_issued_certificate(w):
    cert = _issued(w)
    _entry(w.volunteer, w.mothers, 600, w.now)
    db.session.expire_all()
    assert cert.total_minutes == 210
    assert certs.verify(cert.number, cert.signature).status == "valid"


def test_leader_name_can_be_given_at_issue(w):
    cert = certs.issue(_requested(w), issuer=w.organiser, now=w.now, base_url=BASE,
                       leader_name="  陈  主任 ")
    assert cert.leader_name == "陈 主任"


def test_only_a_body_that_recorded_approved_hours_can_be_asked(w, make_org):
    assert [o.name for o in certs.eligible_organisations(w.volunteer)] == [
        "赵庄子爱心救助基金", "运河园社区BQteam-贤妈智囊团"]
    with pytest.raises(Exception) as exc:
        certs.request_certificate(w.volunteer, make_org(), now=w.now)
    assert exc.value.code == "no_hours_with_organisation"


def test_one_open_request_per_body(w):
    first = _requested(w)
    with pytest.raises(Exception) as exc:
        _requested(w)
    assert exc.value.code == "certificate_request_open"
    # another body is another request
    certs.request_certificate(w.volunteer, w.other_org, now=w.now)
    certs.decline(first, issuer=w.organiser, reason="请补充证件号码", now=w.now)
    assert first.status == "declined" and first.revoked_reason == "请补充证件号码"
    assert _requested(w).status == "requested"


def test_the_id_number_given_with_a_request_is_stored_encrypted(w, make_user):
    other = make_user(name="王小明")
    _entry(other, w.lecture, 60, w.now)
    certs.request_certificate(other, w.org, now=w.now, id_type="passport",
                              id_number="e1234 5678")
    assert (other.id_type, identity.decrypt(other.id_number_encrypted)) == (
        "passport", "E12345678")
    assert "E12345678" not in other.id_number_encrypted


def test_an_invalid_id_number_refuses_the_request(w, make_user):
    other = make_user(name="王小明")
    _entry(other, w.lecture, 60, w.now)
    with pytest.raises(Exception) as exc:
        certs.request_certificate(other, w.org, now=w.now, id_type="resident_id",
                                  id_number="110105194912310021")
    assert exc.value.code == "invalid_id_number"
    assert other.id_number_encrypted is None
    assert db.session.query(Certificate).count() == 0


def test_issuing_needs_an_id_number(w, make_user):
    other = make_user(name="王小明")
    _entry(other, w.lecture, 60, w.now)
    cert = certs.request_certificate(other, w.org, now=w.now)
    with pytest.raises(Exception) as exc:
        certs.issue(cert, issuer=w.organiser, now=w.now, base_url=BASE)
    assert exc.value.code == "identity_missing"


def test_nobody_issues_their_own(w, grant):
    grant(w.volunteer, "organiser", w.community, organisation=w.org)
    cert = _requested(w)
    with pytest.raises(Exception) as exc:
        certs.issue(cert, issuer=w.volunteer, now=w.now, base_url=BASE)
    assert exc.value.code == "own_certificate"
    assert cert.status == "requested"


@pytest.mark.parametrize("who, allowed", [
    ("organiser", True), ("coordinator", True), ("admin", True), ("other_organiser", False),
    ("far_admin", False), ("volunteer", False)])
def test_only_the_issuing_bodys_reviewers_issue(w, who, allowed):
    cert = _requested(w)
    if allowed:
        assert certs.issue(cert, issuer=getattr(w, who), now=w.now,
                           base_url=BASE).status == "issued"
    else:
        with pytest.raises(Exception) as exc:
            certs.issue(cert, issuer=getattr(w, who), now=w.now, base_url=BASE)
        assert exc.value.code == "not_issuer"


def test_a_certificate_is_issued_once(w):
    cert = _issued(w)
    with pytest.raises(Exception) as exc:
        certs.issue(cert, issuer=w.coordinator, now=w.now, base_url=BASE)
    assert exc.value.code == "certificate_not_requested"


def test_the_body_needs_a_contact_and_a_leader(w):
    cert = _requested(w)
    w.org.leader_name = None
    with pytest.raises(Exception) as exc:
        certs.issue(cert, issuer=w.organiser, now=w.now, base_url=BASE)
    assert exc.value.code == "validation_error" and "leader_name" in exc.value.errors
    w.org.contact_phone = None
    with pytest.raises(Exception) as exc:
        certs.issue(cert, issuer=w.organiser, now=w.now, base_url=BASE, leader_name="王秀兰")
    assert exc.value.code == "organisation_incomplete"
    assert cert.status == "requested"


def test_decline_and_revoke_need_a_reason(w):
    cert = _requested(w)
    with pytest.raises(Exception) as exc:
        certs.decline(cert, issuer=w.organiser, reason="  ", now=w.now)
    assert exc.value.code == "validation_error"
    cert = certs.issue(cert, issuer=w.organiser, now=w.now, base_url=BASE)
    with pytest.raises(Exception) as exc:
        certs.revoke(cert, actor=w.organiser, reason="", now=w.now)
    assert exc.value.code == "validation_error"
    with pytest.raises(Exception) as exc:
        certs.revoke(cert, actor=w.other_organiser, reason="错误", now=w.now)
    assert exc.value.code == "not_issuer"


def test_revoked_verifies_as_revoked(w):
    cert = _issued(w)
    certs.revoke(cert, actor=w.coordinator, reason="时长有误", now=w.now)
    found = certs.verify(cert.number, cert.signature)
    assert found.status == "revoked" and found.number == cert.number
    assert certs.verify_pdf(certs.pdf_bytes(cert)).status == "revoked"
    # the volunteer is told, with the reason, as of an issue or a refusal
    from server.notifications.models import Notification
    from server.notifications.services import render
    told = db.session.scalars(db.select(Notification).where(
        Notification.user_id == cert.user_id).order_by(Notification.id)).all()[-1]
    assert told.kind == "certificate_revoked" and "时长有误" in render(told)


def test_verify_tells_only_the_masked_facts(w):
    cert = _issued(w)
    found = certs.verify(cert.number, cert.signature)
    assert found == certs.Verification("valid", cert.number, "李**", "3.5",
                                       "运河园社区BQteam-贤妈智囊团", local(w.now).date())


def test_a_tampered_signature_or_number_is_invalid(w):
    cert = _issued(w)
    flipped = ("0" if cert.signature[0] != "0" else "1") + cert.signature[1:]
    assert certs.verify(cert.number, flipped).status == "invalid"
    assert certs.verify(cert.number, "").status == "invalid"
    assert certs.verify("WSC-2000-000001", cert.signature).status == "invalid"
    assert certs.verify(cert.number.lower(), cert.signature.upper()).status == "valid"


def test_a_row_edited_in_the_database_no_longer_verifies(w):
    cert = _issued(w)
    cert.total_minutes = 6000
    db.session.flush()
    assert certs.verify(cert.number, cert.signature).status == "invalid"


def test_the_issued_pdf_verifies_and_an_edited_one_does_not(w):
    cert = _issued(w)
    data = certs.pdf_bytes(cert)
    assert hashlib.sha256(data).hexdigest() == cert.pdf_sha256
    assert certs.pdf_bytes(cert) == data  # re-rendered byte for byte
    assert certs.verify_pdf(data).status == "valid"
    middle = len(data) // 2
    edited = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]
    assert certs.verify_pdf(edited).status == "invalid"
    assert certs.verify_pdf(data + b"\n").status == "invalid"
    assert certs.verify_pdf(b"").status == "invalid"


def test_the_pdf_does_not_depend_on_the_viewers_locale(app, w):
    cert = _issued(w)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert hashlib.sha256(certs.pdf_bytes(cert)).hexdigest() == cert.pdf_sha256


# --- the PDF ---------------------------------------------------------------------------------

def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_carries_every_required_field(w):
    cert = _issued(w)
    found = _pdf_text(certs.pdf_bytes(cert))
    issued = local(w.now).date()
    for value in ("志愿服务记录证明",
                  "李小梅",                                  # name
                  "居民身份证", MASKED,                       # ID type and masked number
                  f"WS{w.volunteer.id:08d}",                 # volunteer number
                  "3.5 小时",                                # total service hours
                  "法律问题进社区公益讲堂", "全职妈妈成长计划",     # the activities
                  cert.lines[0]["date"], cert.lines[1]["date"],
                  "2小时30分", "1小时", "3小时30分",           # the lines, and what they add up to
                  "运河园社区BQteam-贤妈智囊团",                # issuing body
                  "负责人：王秀兰", "经办人：张经办", "联系电话：010-81234567",
                  cert.number,
                  f"出具日期：{issued.year}年{issued.month}月{issued.day}日",
                  "免费", "盖章"):
        assert value in found, value
    assert ID_NUMBER not in found
    assert "慈善公益节" not in found  # another body's hours


def test_a_long_name_is_printed_whole_in_its_box(w):
    """A 29-character name (the limit is 40) was cut to its first line in the box at the
    top; now the box grows. A certificate issued under the old layout is drawn as it was,
    so its bytes still match what was kept at issue."""
    w.volunteer.name = "阿卜杜热合曼·买买提艾力·阿卜杜克热木·艾合买提江·吐尔逊"
    cert = _issued(w)
    assert cert.layout == 2
    data = certs.pdf_bytes(cert)
    first_page = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    # the sentence above the boxes names the person, and so does the box (its second line)
    assert first_page.count("卜杜克热木") == 2
    cert.layout = 1
    old = PdfReader(io.BytesIO(certs.pdf_bytes(cert))).pages[0].extract_text()
    assert old.count("卜杜克热木") == 1 and certs.pdf_bytes(cert) != data


def test_a_name_with_rarer_characters_is_printed_whole(w):
    """黄𠮷磊: 𠮷 (CJK Extension B) is beyond the CID font's reach; it is drawn in an
    embedded font that has it, and read back from the PDF as it was written."""
    w.volunteer.name = "黄𠮷磊"
    cert = _issued(w)
    reader = PdfReader(io.BytesIO(certs.pdf_bytes(cert)))
    fonts = {str(f.get_object()["/BaseFont"])
             for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("HanaMinB" in f for f in fonts), fonts
    assert "兹证明 黄𠮷磊 参加" in reader.pages[0].extract_text().replace("\n", "")


@pytest.mark.parametrize(("name", "fonts", "missing"), [
    ("𰻞𰻞面", "installed", "𰻞"),  # CJK Extension G: in no font here
    ("黄𠮷磊", "missing", "𠮷"),  # a server set up without fonts-hanazono
])
def test_a_character_no_font_here_prints_is_refused_not_issued_as_a_box(
        w, monkeypatch, name, fonts, missing):
    """The certificate is not issued, rather than issued for ever with a box in the
    person's name."""
    from server.core import pdf_text
    if fonts == "missing":
        monkeypatch.setattr(pdf_text, "_rare", [None])
    w.volunteer.name = name
    with pytest.raises(WusheError) as refused:
        _issued(w)
    assert (refused.value.code, refused.value.params) == ("certificate_unprintable",
                                                         {"chars": missing})


def test_a_long_record_continues_on_further_pages(w):
    cert = _requested(w)
    for n in range(70):
        activity = w.lecture if n % 2 else w.mothers
        _entry(w.volunteer, activity, 1, w.now)
    from server.activities.models import Activity
    for n in range(60):
        a = Activity(**{c.name: getattr(w.lecture, c.name) for c in Activity.__table__.columns
                        if c.name != "id"})
        a.title = f"入户走访第{n + 1}次"
        db.session.add(a)
        db.session.flush()
        _entry(w.volunteer, a, 30, w.now)
    cert = certs.issue(cert, issuer=w.organiser, now=w.now, base_url=BASE)
    reader = PdfReader(io.BytesIO(certs.pdf_bytes(cert)))
    pages = len(reader.pages)
    assert pages > 1
    found = _pdf_text(certs.pdf_bytes(cert))
    assert "入户走访第1次" in found and "入户走访第60次" in found
    assert f"共 {pages} 页" in found and "（续）" in found


# --- pages -----------------------------------------------------------------------------------

def test_verification_page_valid(client, w):
    cert = _issued(w)
    resp = client.get(f"/verify/{cert.number}?s={cert.signature}", headers=EN)
    page = text(resp)
    assert resp.status_code == 200
    assert "Certificate is valid" in page
    for shown in ("李**", "3.5 hours", "运河园社区BQteam-贤妈智囊团", cert.number,
                  local(w.now).date().isoformat()):
        assert shown in page
    for hidden in ("李小梅", "13912345678", "010-81234567", MASKED, ID_NUMBER, "王秀兰",
                   "张经办", "法律问题进社区公益讲堂"):
        assert hidden not in page, hidden
    # not even the start of the ID number as text (the random signature in links may
    # contain "110" by chance, so look at what a person reads)
    assert "110" not in re.sub(r'(href|action|src)="[^"]*"', "", page)
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_verification_page_revoked(client, w):
    cert = _issued(w)
    certs.revoke(cert, actor=w.organiser, reason="时长有误，已重新出具", now=w.now)
    page = text(client.get(f"/verify/{cert.number}?s={cert.signature}", headers=EN))
    assert "This certificate has been revoked" in page
    assert "李小梅" not in page and "010-81234567" not in page
    assert "时长有误" not in page


def _content(page: str) -> str:
    """The page's own content, without the language links that repeat the visited URL."""
    return page[page.index("<main"):].split('class="visitor-prefs"')[0]


def test_verification_page_tampered(client, w):
    cert = _issued(w)
    bad = cert.signature[:-1] + ("0" if cert.signature[-1] != "0" else "1")
    for url in (f"/verify/{cert.number}?s={bad}", f"/verify/{cert.number}",
                "/verify/WSC-1999-000001?s=abc"):
        page = _content(text(client.get(url, headers=EN)))
        assert "Not a valid certificate" in page, url
        for hidden in ("李", "13912345678", "010-81234567", "3.5 hours", cert.number):
            assert hidden not in page, (url, hidden)


def test_verification_by_upload(client, w):
    cert = _issued(w)
    data = certs.pdf_bytes(cert)
    token = csrf(client, "/verify")
    resp = client.post("/verify", headers=EN, content_type="multipart/form-data", data={
        "csrf_token": token, "pdf": (io.BytesIO(data), "certificate.pdf")})
    assert "Certificate is valid" in text(resp) and "李**" in text(resp)
    edited = data.replace(b"/Producer", b"/Producxr", 1)
    resp = client.post("/verify", headers=EN, content_type="multipart/form-data", data={
        "csrf_token": token, "pdf": (io.BytesIO(edited), "certificate.pdf")})
    assert "Not a valid certificate" in text(resp) and "李" not in text(resp)


def test_volunteer_requests_reviewer_issues_volunteer_downloads(app, w):
    volunteer, reviewer = app.test_client(), app.test_client()
    token = login(volunteer, w.volunteer)
    page = text(volunteer.get("/hours/certificates", headers=EN))
    assert "Request a certificate" in page and "运河园社区BQteam-贤妈智囊团" in page
    assert MASKED in page and ID_NUMBER not in page
    resp = volunteer.post("/hours/certificates", data={
        "csrf_token": token, "organisation_id": w.org.id, "purpose": "学校社会实践",
        "id_type": "resident_id", "id_number": ""})
    assert resp.status_code == 302
    cert = db.session.query(Certificate).one()
    assert cert.status == "requested" and cert.purpose == "学校社会实践"

    token = login(reviewer, w.organiser)
    page = text(reviewer.get("/review/certificates", headers=EN))
    assert "李小梅" in page and "3.5" in page and MASKED in page and ID_NUMBER not in page
    resp = reviewer.post(f"/review/certificates/{cert.id}/issue",
                         data={"csrf_token": token, "leader_name": "王秀兰"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert cert.status == "issued"

    resp = volunteer.get(f"/certificates/{cert.id}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert hashlib.sha256(resp.data).hexdigest() == cert.pdf_sha256
    assert certs.verify_pdf(resp.data).status == "valid"
    assert "Download PDF" in text(volunteer.get("/hours/certificates", headers=EN))


def test_nobody_else_downloads_a_certificate(app, w):
    cert = _issued(w)
    other = app.test_client()
    login(other, w.other_organiser)
    assert other.get(f"/certificates/{cert.id}.pdf").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/certificates/{cert.id}.pdf").status_code == 302  # to log in


def test_request_form_shows_the_refusal(app, w, make_org):
    client = app.test_client()
    token = login(client, w.volunteer)
    _requested(w)
    resp = client.post("/hours/certificates", headers=EN, data={
        "csrf_token": token, "organisation_id": w.org.id, "id_type": "resident_id",
        "id_number": "110105194912310021"})
    assert resp.status_code == 422
    assert "not valid" in text(resp)
    assert "110105194912310021" not in text(resp)  # a typed number is not echoed back
    # the box itself says what is wrong, and that the number was cleared on purpose
    box = re.search(r'id="id_number-error"[^>]*>(.*?)</', text(resp), re.S)
    assert box and "not valid" in box.group(1)
    assert "For your privacy the number you typed was cleared" in text(resp)


def test_declining_without_a_reason_says_so_on_the_page(app, w):
    cert = _requested(w)
    client = app.test_client()
    token = login(client, w.organiser)
    resp = client.post(f"/review/certificates/{cert.id}/decline", headers=EN,
                       data={"csrf_token": token, "reason": ""})
    assert resp.status_code == 422
    assert "Some fields need your attention." in text(resp)
    resp = client.post(f"/review/certificates/{cert.id}/decline", headers=EN,
                       data={"csrf_token": token, "reason": "请补充证件号码"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert cert.status == "declined"
    volunteer = app.test_client()
    login(volunteer, w.volunteer)
    assert "请补充证件号码" in text(volunteer.get("/hours/certificates", headers=EN))


def test_a_volunteer_cannot_open_the_review_page(app, w):
    client = app.test_client()
    login(client, w.volunteer)
    assert client.get("/review/certificates").status_code == 403


# --- API -------------------------------------------------------------------------------------

def test_api_request_issue_verify(api, app, w):
    api.login(w.volunteer)
    assert [o["name"] for o in api.get("/api/v1/certificates/organisations").get_json()] == [
        "赵庄子爱心救助基金", "运河园社区BQteam-贤妈智囊团"]
    resp = api.post("/api/v1/certificates", json={"organisation_id": w.org.id,
                                                  "purpose": "学校社会实践"})
    assert resp.status_code == 201, resp.get_json()
    cert_id = resp.get_json()["id"]
    resp = api.post(f"/api/v1/certificates/{cert_id}/issue", json={})
    assert resp.status_code == 403 and resp.get_json()["code"] == "not_issuer"

    from tests.conftest import ApiClient
    reviewer = ApiClient(app.test_client())
    reviewer.login(w.organiser)
    queue = reviewer.get("/api/v1/certificates/review").get_json()
    assert [c["id"] for c in queue] == [cert_id]
    assert queue[0]["volunteer"]["id_number_masked"] == MASKED
    resp = reviewer.post(f"/api/v1/certificates/{cert_id}/issue", json={})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["total_hours"] == "3.5" and body["id_number_masked"] == MASKED
    assert body["verify_url"].startswith("http://localhost/verify/WSC-")

    number, signature = body["number"], body["verify_url"].split("?s=")[1]
    anonymous = app.test_client()
    found = anonymous.get(f"/api/v1/certificates/verify?number={number}&s={signature}")
    assert found.get_json() == {"status": "valid", "number": number, "masked_name": "李**",
                                "total_hours": "3.5", "issuer": "运河园社区BQteam-贤妈智囊团",
                                "issued_on": local(w.now).date().isoformat()}
    resp = api.get(f"/api/v1/certificates/{cert_id}/pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"

    resp = reviewer.post(f"/api/v1/certificates/{cert_id}/revoke", json={"reason": ""})
    assert resp.status_code == 422
    resp = reviewer.post(f"/api/v1/certificates/{cert_id}/revoke", json={"reason": "有误"})
    assert resp.get_json()["status"] == "revoked"
    found = anonymous.get(f"/api/v1/certificates/verify?number={number}&s={signature}")
    assert found.get_json()["status"] == "revoked"
    assert api.get(f"/api/v1/certificates/{cert_id}/pdf").get_json()["code"] == (
        "certificate_not_issued")


@pytest.mark.parametrize("minutes,text", [(0, "0分"), (10, "10分"), (60, "1小时"),
                                          (150, "2小时30分"), (1500, "25小时")])
def test_a_certificate_s_lines_are_exact_so_they_add_up(minutes, text):
    assert certs.duration_text(minutes) == text
