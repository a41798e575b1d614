"""Feedback pages, as a person sees them: the prompt, the form, the summaries."""

from __future__ import annotations

from sqlalchemy import func, select

from server.activities.models import Programme
from server.extensions import db
from server.feedback import services
from server.feedback.models import Feedback
from tests.pages import EN, login, text


def _count(activity) -> int:
    return db.session.scalar(select(func.count()).select_from(Feedback).where(
        Feedback.activity_id == activity.id))


def test_the_activity_page_asks_who_took_part_for_feedback(client, finished, attended,
                                                          make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    login(client, user)
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "How was it? Rate this activity" in page
    assert f'href="/activities/{activity.id}/feedback"' in page
    assert "Feedback from participants" not in page  # volunteers see no summary


def test_no_prompt_for_someone_who_did_not_take_part(client, finished, give_place,
                                                    make_user):
    activity = finished()
    user = make_user()
    give_place(activity, user)
    login(client, user)
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "Rate this activity" not in page
    resp = client.get(f"/activities/{activity.id}/feedback", headers=EN)
    assert resp.status_code == 403
    assert "Only people who took part" in text(resp)


def test_rate_with_the_form_then_see_it_on_the_activity(client, finished, attended,
                                                       make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    token = login(client, user)
    form = text(client.get(f"/activities/{activity.id}/feedback", headers=EN))
    assert form.count('type="radio" name="rating"') == 5
    assert 'maxlength="500"' in form
    # a Chinese keyboard's full-width digit, as forms send everywhere in the project
    resp = client.post(f"/activities/{activity.id}/feedback",
                       data={"csrf_token": token, "rating": "５", "comment": "很好，谢谢组织者"},
                       headers=EN)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/activities/{activity.id}")
    page = text(client.get(resp.headers["Location"], headers=EN))
    assert "Thank you for your feedback." in page
    assert "You rated it 5 of 5." in page and "很好，谢谢组织者" in page
    assert "Change my feedback" in page
    again = text(client.get(f"/activities/{activity.id}/feedback", headers=EN))
    assert 'value="5" required checked' in again and "Save changes" in again


def test_bad_ratings_come_back_to_the_form_with_the_reason(client, finished, attended,
                                                          make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    token = login(client, user)
    for bad in ("0", "6", "2.5", "abc", ""):
        resp = client.post(f"/activities/{activity.id}/feedback",
                           data={"csrf_token": token, "rating": bad, "comment": "留言保留"},
                           headers=EN)
        assert resp.status_code == 422, bad
        page = text(resp)
        assert 'id="rating-error"' in page
        assert "留言保留" in page  # what they typed is kept
    assert _count(activity) == 0


def test_a_nul_in_the_comment_is_refused_without_a_500(client, finished, attended,
                                                      make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    token = login(client, user)
    resp = client.post(f"/activities/{activity.id}/feedback",
                       data={"csrf_token": token, "rating": "4", "comment": "好\x00"},
                       headers=EN)
    # the form again, with the comment as it can be kept and the field named
    assert resp.status_code == 422
    assert "characters that cannot be stored" in text(resp)
    assert "Characters that cannot be stored were removed from this" in text(resp)
    assert ">好</textarea>" in text(resp)
    assert _count(activity) == 0


def test_a_double_submit_makes_one_feedback(client, finished, attended, make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    token = login(client, user)
    for _ in range(2):
        resp = client.post(f"/activities/{activity.id}/feedback",
                           data={"csrf_token": token, "rating": "4", "comment": "好"})
        assert resp.status_code == 302
    assert _count(activity) == 1


def test_staff_see_the_summary_on_the_activity_without_names(app, client, finished,
                                                             attended, make_user,
                                                             organiser_of, now):
    activity = finished()
    for name, rating, comment in (("王秀兰", 5, "老师讲得很耐心"), ("李建国", 2, "场地太小")):
        user = make_user(name=name)
        attended(activity, user)
        services.give(activity, user=user, rating=rating, comment=comment, now=now)
    login(client, organiser_of(activity))
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "Feedback from participants" in page
    assert "3.5" in page and "2 ratings" in page
    assert 'data-rating="5" data-n="1"' in page and 'data-rating="2" data-n="1"' in page
    assert "老师讲得很耐心" in page and "场地太小" in page
    assert "王秀兰" not in page and "李建国" not in page
    assert "nobody, staff included, sees who gave it" in page


def test_programme_page_shows_feedback_to_staff_only(app, client, finished, attended,
                                                     make_user, make_org, grant, now):
    org = make_org()
    programme = Programme(organisation_id=org.id, name="全职妈妈成长计划", created_at=now)
    db.session.add(programme)
    db.session.flush()
    activity = finished(org=org, programme_id=programme.id, title="亲子阅读")
    user = make_user(name="王小红")
    attended(activity, user)
    services.give(activity, user=user, rating=4, comment="孩子很喜欢", now=now)
    public = text(client.get(f"/programmes/{programme.id}", headers=EN))
    assert "孩子很喜欢" not in public and "Feedback from participants" not in public
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", org.node.parent)
    login(client, coordinator)
    page = text(client.get(f"/programmes/{programme.id}", headers=EN))
    assert "Feedback from participants" in page and "孩子很喜欢" in page
    assert "4.0" in page and "王小红" not in page
    assert f'href="/activities/{activity.id}"' in page


def test_my_activities_prompts_for_feedback(client, finished, attended, make_user, now):
    activity = finished(title="慈善公益节志愿服务")
    user = make_user()
    attended(activity, user)
    login(client, user)
    page = text(client.get("/me/activities?tab=past", headers=EN))
    assert "Rate “慈善公益节志愿服务”" in page
    assert "Waiting for your feedback" in page
    services.give(activity, user=user, rating=5, comment="", now=now)
    page = text(client.get("/me/activities?tab=past", headers=EN))
    assert "Rate “" not in page and "Waiting for your feedback" not in page


def test_staff_see_no_feedback_section_before_the_activity_ends(client, make_activity,
                                                                organiser_of):
    activity = make_activity()
    login(client, organiser_of(activity))
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "Roster" in page  # the staff part is there
    assert "Feedback from participants" not in page


def test_staff_see_an_empty_summary_once_it_ended(client, finished, organiser_of):
    activity = finished()
    login(client, organiser_of(activity))
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "Feedback from participants" in page and "No feedback yet." in page
