"""Team rules: joining by request or invitation, answers, leaving, leaders, sign-ups, and
the team's hours, each refusal by its code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.accounts.errors import InvalidPhone
from server.activities.models import Signup
from server.core.errors import ValidationError
from server.extensions import db
from server.hours.models import HourEntry, HourReview
from server.notifications.models import Notification
from server.teams import errors, invitations, queries, services
from server.teams.models import Membership
from tests.imports.conftest import world, xlsx  # noqa: F401 - the import fixture


def _invite(team, *, phone, actor, now):
    """A leader's invitation and its delivery, which follows once the answer has gone out
    (teams.invitations.deliver, run by the outbox after the response)."""
    sent = invitations.invite(team, phone=phone, actor=actor, now=now)
    invitations.deliver(sent.id, actor=actor, now=now)
    return sent


def _kinds(user):
    return [n.kind for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_a_request_is_approved_once_and_the_person_is_told(crew, make_user, now):
    team, leader, _a, _b = crew()
    person = make_user(name="张阿姨")
    m = services.request_to_join(team, user=person, now=now, message="我想参加读书会")
    assert (m.state, m.origin, m.message) == ("requested", "request", "我想参加读书会")
    assert _kinds(leader) == ["team_join_requested"]
    services.answer_request(m.id, actor=leader, approve=True, now=now)
    assert (m.state, m.joined_at, m.decided_by_id) == ("active", now, leader.id)
    assert _kinds(person) == ["team_request_approved"]
    with pytest.raises(errors.AlreadyAnswered) as exc:
        services.answer_request(m.id, actor=leader, approve=True, now=now)
    assert exc.value.code == "team_already_answered"


def test_only_leaders_and_staff_answer_requests(crew, make_user, grant, now):
    team, _leader, member, _b = crew()
    person = make_user()
    m = services.request_to_join(team, user=person, now=now)
    with pytest.raises(errors.LeadersOnly) as exc:
        services.answer_request(m.id, actor=member, approve=True, now=now)
    assert exc.value.code == "team_leaders_only"
    organiser = make_user(name="社工小王")
    grant(organiser, "organiser", team.node, organisation=team)
    services.answer_request(m.id, actor=organiser, approve=False, now=now)
    assert m.state == "declined" and _kinds(person) == ["team_request_declined"]


def test_an_invitation_by_phone_is_accepted_or_declined(crew, make_user, now):
    team, leader, _a, _b = crew()
    person = make_user(name="赵大爷", phone="13800001234")
    sent = _invite(team, phone="138 0000 1234", actor=leader, now=now)
    m = sent.membership
    assert (m.state, m.origin, m.created_by_id) == ("invited", "invitation", leader.id)
    assert (sent.phone_masked, sent.waiting) == ("138****1234", True)
    assert _kinds(person) == ["team_invited"]
    # sent again: the same invitation, nothing sent twice
    assert _invite(team, phone="13800001234", actor=leader, now=now).id == sent.id
    assert _kinds(person) == ["team_invited"]
    services.answer_invitation(m.id, user=person, accept=True, now=now)
    assert m.state == "active" and _kinds(leader) == ["team_invitation_accepted"]
    assert not sent.waiting and invitations.waiting(team.id) == []

    other = make_user(name="钱阿姨")
    m2 = _invite(team, phone=other.phone, actor=leader, now=now).membership
    with pytest.raises(errors.MembershipNotFound):
        services.answer_invitation(m2.id, user=person, accept=True, now=now)
    services.decline(m2.id, actor=other, now=now)
    assert m2.state == "declined" and "team_invitation_declined" in _kinds(leader)


def test_an_invitation_answers_alike_whoever_has_the_number(crew, make_user, now):
    """No user_not_found, no name: a number nobody has, a person's and a member's are each
    recorded as an invitation waiting, which the leaders' list shows alike (masked)."""
    team, leader, member, _b = crew()
    person = make_user(name="赵大爷", phone="13800001234")
    sent = {phone: _invite(team, phone=phone, actor=leader, now=now)
            for phone in ("13999999999", person.phone, member.phone)}
    assert [i.phone_masked for i in invitations.waiting(team.id)] == [
        "139****9999", "138****1234", member.phone[:3] + "****" + member.phone[-4:]]
    assert all(i.waiting and i.created_by_id == leader.id for i in sent.values())
    # only the person with an account and no membership was told
    assert _kinds(person) == ["team_invited"] and _kinds(member) == []
    # taken back alike
    for invitation in sent.values():
        invitations.cancel(invitation.id, actor=leader, now=now)
    assert invitations.waiting(team.id) == []
    assert sent[person.phone].membership.state == "cancelled"
    assert sent["13999999999"].phone is None  # a number nobody has is not kept
    with pytest.raises(errors.AlreadyAnswered):
        invitations.cancel(sent[person.phone].id, actor=leader, now=now)
    with pytest.raises(InvalidPhone):
        _invite(team, phone="12345", actor=leader, now=now)


def test_an_invitation_reaches_whoever_registers_with_the_number(crew, make_user, now):
    from server.accounts.services import register_user
    team, leader, member, _b = crew()
    waiting = _invite(team, phone="13999990001", actor=leader, now=now)
    taken_back = _invite(team, phone="13999990002", actor=leader, now=now)
    invitations.cancel(taken_back.id, actor=leader, now=now)
    newcomer = register_user(phone="13999990001", password="correct horse 9", name="孙新来",
                             now=now, accept_privacy=True)
    m = services.open_membership(team.id, newcomer.id)
    assert (m.state, m.origin, m.created_by_id) == ("invited", "invitation", leader.id)
    assert waiting.membership_id == m.id and waiting.waiting
    assert _kinds(newcomer) == ["team_invited"]
    late = register_user(phone="13999990002", password="correct horse 9", name="李后来",
                         now=now, accept_privacy=True)
    assert services.open_membership(team.id, late.id) is None and _kinds(late) == []
    services.answer_invitation(m.id, user=newcomer, accept=True, now=now)
    assert m.state == "active" and not waiting.waiting


def test_crossing_invitation_and_request_make_one_membership(crew, make_user, now):
    team, leader, _a, _b = crew()
    asked, invited = make_user(name="甲"), make_user(name="乙")
    services.request_to_join(team, user=asked, now=now)
    m = _invite(team, phone=asked.phone, actor=leader, now=now).membership
    assert (m.state, m.origin, m.decided_by_id) == ("active", "request", leader.id)
    _invite(team, phone=invited.phone, actor=leader, now=now)
    m = services.request_to_join(team, user=invited, now=now)
    assert (m.state, m.origin) == ("active", "invitation")
    rows = db.session.scalars(select(Membership).where(
        Membership.team_id == team.id, Membership.user_id.in_([asked.id, invited.id]))).all()
    assert len(rows) == 2


def test_asking_twice_or_as_a_member_is_refused(crew, make_user, now):
    team, _leader, member, _b = crew()
    person = make_user()
    services.request_to_join(team, user=person, now=now)
    with pytest.raises(errors.AlreadyPending) as exc:
        services.request_to_join(team, user=person, now=now)
    assert exc.value.code == "team_already_pending"
    with pytest.raises(errors.AlreadyMember):
        services.request_to_join(team, user=member, now=now)


def test_taking_back_a_request_or_an_invitation(crew, make_user, now):
    team, leader, member, _b = crew()
    person, guest = make_user(), make_user()
    asked = services.request_to_join(team, user=person, now=now)
    with pytest.raises(errors.MembershipNotFound):
        services.cancel(asked.id, actor=member, now=now)
    services.cancel(asked.id, actor=person, now=now)
    assert asked.state == "cancelled"
    invitation = _invite(team, phone=guest.phone, actor=leader, now=now)
    invited = invitation.membership
    # by its membership's id an unanswered invitation is the invited person's alone: that
    # id exists only if the number had an account, so to a leader it is not found
    for act in (lambda: services.cancel(invited.id, actor=leader, now=now),
                lambda: services.decline(invited.id, actor=leader, now=now),
                lambda: services.answer_request(invited.id, actor=leader, approve=True,
                                                now=now),
                lambda: services.set_role(invited.id, role="leader", actor=leader, now=now),
                lambda: services.remove(invited.id, actor=leader, now=now, reason="试探")):
        with pytest.raises(errors.MembershipNotFound):
            act()
    invitations.cancel(invitation.id, actor=leader, now=now)
    assert invited.state == "cancelled"
    with pytest.raises(errors.AlreadyAnswered):
        services.answer_invitation(invited.id, user=guest, accept=True, now=now)


def test_leaving_keeps_the_row_and_rejoining_adds_one(crew, now):
    team, leader, member, _b = crew()
    m = services.open_membership(team.id, member.id)
    services.leave(m.id, user=member, now=now + timedelta(hours=1))
    assert (m.state, m.left_at, m.ended_by_id) == ("left", now + timedelta(hours=1), member.id)
    again = services.request_to_join(team, user=member, now=now + timedelta(hours=2))
    assert again.id != m.id and again.state == "requested"
    assert db.session.get(Membership, m.id).state == "left"


def test_removal_needs_a_reason_and_is_told(crew, now):
    team, leader, member, _b = crew()
    m = services.open_membership(team.id, member.id)
    with pytest.raises(ValidationError):
        services.remove(m.id, actor=leader, now=now, reason="  ")
    with pytest.raises(errors.LeadersOnly):
        services.remove(services.open_membership(team.id, leader.id).id, actor=member, now=now,
                        reason="不来了")
    services.remove(m.id, actor=leader, now=now, reason="长期未参加活动")
    assert (m.state, m.end_reason, m.ended_by_id) == ("removed", "长期未参加活动", leader.id)
    assert _kinds(member) == ["team_removed"]


def test_the_last_leader_stays_until_another_is_named(crew, now):
    team, leader, member, _b = crew()
    own = services.open_membership(team.id, leader.id)
    with pytest.raises(errors.LastLeader) as exc:
        services.leave(own.id, user=leader, now=now)
    assert exc.value.code == "team_last_leader"
    with pytest.raises(errors.LastLeader):
        services.set_role(own.id, role="member", actor=leader, now=now)
    other = services.open_membership(team.id, member.id)
    services.set_role(other.id, role="leader", actor=leader, now=now)
    services.leave(own.id, user=leader, now=now)
    assert own.state == "left" and services.is_leader(member, team)


def test_a_leader_signs_members_up_under_the_usual_rules(crew, make_user, make_activity, now):
    team, leader, a, b = crew()
    outsider = make_user(name="路人")
    activity = make_activity(capacity=1)
    results = services.sign_up_members(team, activity_id=activity.id,
                                       user_ids=[a.id, b.id, outsider.id, a.id, 987654],
                                       actor=leader, now=now)
    assert [(r.name, r.status, r.code) for r in results] == [
        ("王芳", "confirmed", None), ("李秀英", "waitlisted", None),
        ("", None, "team_not_a_member"), ("", None, "team_not_a_member")]
    # someone the team never knew is answered as an id that names nobody: no name learnt,
    # and no raw id shown to the leader either
    assert results[2].message == results[3].message == "目前不是本队队员。"
    assert "路人" not in results[2].message
    rows = db.session.scalars(select(Signup).where(Signup.activity_id == activity.id)
                              .order_by(Signup.queue_no)).all()
    assert [(s.user_id, s.acted_by_id) for s in rows] == [(a.id, leader.id), (b.id, leader.id)]
    assert _kinds(a) == ["team_signed_up"] and _kinds(b) == ["team_signed_up"]
    again = services.sign_up_members(team, activity_id=activity.id, user_ids=[a.id],
                                     actor=leader, now=now)
    # the leader reads about the member, not "you are already signed up"
    assert (again[0].code, again[0].message) == ("already_signed_up", "已报名该活动。")
    with pytest.raises(errors.LeadersOnly):
        services.sign_up_members(team, activity_id=activity.id, user_ids=[b.id], actor=a,
                                 now=now)


def _hours(user, activity, minutes, *, decision="approved", now):
    entry = HourEntry(user_id=user.id, activity_id=activity.id, kind="retroactive",
                      minutes=minutes, sources=[], flags=[], created_at=now)
    db.session.add(entry)
    db.session.flush()
    if decision:
        db.session.add(HourReview(entry_id=entry.id, decision=decision, decided_at=now))
        db.session.flush()
    return entry


def test_team_hours_count_what_members_gave_while_members(make_team, make_user, enrol,
                                                         make_activity, now):
    team = make_team()
    a, b = make_user(name="甲"), make_user(name="乙")
    joined = now - timedelta(days=30)
    before = make_activity(starts_in=timedelta(days=-40), status="finished")
    during = make_activity(starts_in=timedelta(days=-10), status="finished")
    after = make_activity(starts_in=timedelta(days=-2), status="finished")
    m = enrol(team, a, role="leader", at=joined)
    enrol(team, b, at=joined - timedelta(days=1))
    _hours(a, before, 600, now=now)          # before joining: a's alone
    _hours(a, during, 120, now=now)          # counts
    _hours(a, during, 30, decision=None, now=now)        # pending: not yet
    _hours(a, during, 45, decision="rejected", now=now)   # rejected: never
    _hours(b, during, 90, now=now)
    _hours(b, after, 60, now=now)
    enrol(team, make_user(name="丙"))
    # b left five days ago: the activity two days ago is not the team's
    mb = services.open_membership(team.id, b.id)
    mb.state, mb.left_at = "left", now - timedelta(days=5)
    db.session.flush()
    assert queries.total_minutes(team.id) == 210
    rows = [(r.user.name, r.minutes) for r in queries.members(team.id)]
    assert rows == [("甲", 120), ("丙", 0)]  # leaders first
    assert m.role == "leader"


def test_the_database_refuses_two_open_memberships_and_unknown_states(make_team, make_user,
                                                                      enrol, now):
    team, person = make_team(), make_user()
    enrol(team, person)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Membership(team_id=team.id, user_id=person.id, state="requested",
                                  role="member", origin="request", created_at=now,
                                  created_by_id=person.id))
    other = make_user()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Membership(team_id=team.id, user_id=other.id, state="limbo",
                                  role="member", origin="request", created_at=now,
                                  created_by_id=other.id))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Membership(team_id=team.id, user_id=other.id, state="active",
                                  role="member", origin="request", created_at=now,
                                  created_by_id=other.id))  # active without joined_at


def test_a_team_is_an_active_volunteer_team(make_org, make_team):
    with pytest.raises(errors.TeamNotFound) as exc:
        services.get_team(make_org(kind="social_org").id)
    assert exc.value.code == "team_not_found"
    assert services.get_team(make_team().id)


def test_a_former_member_refused_a_team_sign_up_is_still_named(crew, make_activity, now):
    team, leader, a, b = crew()
    services.leave(services.open_membership(team.id, b.id).id, user=b, now=now)
    [result] = services.sign_up_members(team, activity_id=make_activity().id,
                                        user_ids=[b.id], actor=leader, now=now)
    assert (result.name, result.status, result.code) == ("李秀英", None, "team_not_a_member")
    assert result.message == "目前不是本队队员。"  # beside her name, on the page and in the API


def test_someone_only_invited_is_not_named_by_a_team_sign_up(crew, make_user, make_activity,
                                                              now):
    team, leader, *_ = crew()
    guest = make_user(name="赵大爷", phone="13922223333")
    _invite(team, phone=guest.phone, actor=leader, now=now)
    [result] = services.sign_up_members(team, activity_id=make_activity().id,
                                        user_ids=[guest.id], actor=leader, now=now)
    assert (result.name, result.code) == ("", "team_not_a_member")
    assert "赵大爷" not in result.message


def test_a_deleted_account_s_number_goes_from_the_invitations(crew, make_user, now):
    from server.accounts import erasure
    team, leader, member, _b = crew()
    person = make_user(name="赵大爷", phone="13800005678")
    reached = _invite(team, phone=person.phone, actor=leader, now=now)
    erasure.erase(person, confirmed=True, now=now)
    assert (reached.phone, reached.phone_masked) == (None, "138****5678")
    assert invitations.waiting(team.id) == []
    # a number nobody has waits; an inert invitation to a member ends with their account
    inert = _invite(team, phone=member.phone, actor=leader, now=now)
    services.leave(services.open_membership(team.id, member.id).id, user=member, now=now)
    erasure.erase(member, confirmed=True, now=now)
    assert inert.phone is None and inert.cancelled_at == now


def test_an_invitation_reaches_whoever_a_roster_import_makes_an_account_for(
        crew, world, now):  # noqa: F811
    """Accounts made in bulk claim their numbers too (PHONES_CLAIMED): the waiting
    invitation becomes the new account's, in its messages; other numbers change nothing."""
    import io

    from server.accounts.models import User
    from server.imports import services as imports
    team, leader, _a, _b = crew()
    waiting = _invite(team, phone="13812345678", actor=leader, now=now)
    data = xlsx(people=[["张三", "13812345678", "运河园", "", ""],
                        ["李四", "13812345679", "新华社区", "", ""]])
    checked = imports.check_upload(actor=world.coordinator, node=world.street,
                                   filename="名单.xlsx", stream=io.BytesIO(data), now=now)
    imports.confirm(checked, actor=world.coordinator, now=now)
    zhang = db.session.scalar(select(User).where(User.phone == "13812345678"))
    li = db.session.scalar(select(User).where(User.phone == "13812345679"))
    m = services.open_membership(team.id, zhang.id)
    assert (m.state, m.origin, m.created_by_id) == ("invited", "invitation", leader.id)
    assert waiting.membership_id == m.id and _kinds(zhang) == ["team_invited"]
    assert services.open_membership(team.id, li.id) is None and _kinds(li) == []


def test_inviting_a_member_again_after_they_left_reaches_them(crew, now):
    """An invitation to a member waits (answered alike: the leader cannot tell a member's
    number from a stranger's); once they have left, the same invitation reaches them."""
    team, leader, member, _b = crew()
    waiting = _invite(team, phone=member.phone, actor=leader, now=now)
    assert waiting.membership_id is None and "team_invited" not in _kinds(member)
    services.leave(services.open_membership(team.id, member.id).id, user=member, now=now)
    again = _invite(team, phone=member.phone, actor=leader, now=now)
    m = services.open_membership(team.id, member.id)
    assert again.id == waiting.id and again.membership_id == m.id
    assert (m.state, m.origin) == ("invited", "invitation")
    assert _kinds(member).count("team_invited") == 1
    assert _invite(team, phone=member.phone, actor=leader, now=now).id == again.id
    assert _kinds(member).count("team_invited") == 1  # asked once, told once


def test_an_invitation_reaches_its_person_only_when_delivered_and_once(crew, make_user, now):
    """The leader's request records the invitation and asks for its delivery after the
    answer (the outbox); the person is reached by the delivery, once however often."""
    from server.core import outbox
    team, leader, _a, _b = crew()
    person = make_user(name="赵大爷")
    sent = invitations.invite(team, phone=person.phone, actor=leader, now=now)
    assert sent.membership_id is None and services.open_membership(team.id, person.id) is None
    assert _kinds(person) == []
    assert ("team_invitation", sent.id, (("actor_id", leader.id), ("now", now))) in \
        outbox.waiting()
    m = invitations.deliver(sent.id, actor=leader, now=now)
    assert (m.state, m.created_by_id, sent.membership_id) == ("invited", leader.id, m.id)
    assert invitations.deliver(sent.id, actor=leader, now=now) is None
    assert _kinds(person) == ["team_invited"]


def test_an_invitation_taken_back_before_its_delivery_reaches_nobody(crew, make_user, now):
    team, leader, _a, _b = crew()
    person = make_user(name="赵大爷")
    sent = invitations.invite(team, phone=person.phone, actor=leader, now=now)
    invitations.cancel(sent.id, actor=leader, now=now)
    assert invitations.deliver(sent.id, actor=leader, now=now) is None
    assert services.open_membership(team.id, person.id) is None and _kinds(person) == []
    assert invitations.waiting(team.id) == []


def test_a_delivery_after_the_person_registered_finds_it_delivered(crew, now):
    from server.accounts.services import register_user
    team, leader, _a, _b = crew()
    sent = invitations.invite(team, phone="13999990031", actor=leader, now=now)
    newcomer = register_user(phone="13999990031", password="correct horse 9", name="孙新来",
                             now=now, accept_privacy=True)
    m = services.open_membership(team.id, newcomer.id)
    assert sent.membership_id == m.id
    assert invitations.deliver(sent.id, actor=leader, now=now) is None
    assert _kinds(newcomer) == ["team_invited"]


def test_the_scheduler_delivers_an_invitation_whose_delivery_did_not_happen(crew, make_user,
                                                                            now):
    """The worker stopped after answering: the job team_invitations delivers it, from
    whoever sent it, once; not to a member, nor to one who has left since (a leader's new
    invitation reaches them), nor one taken back."""
    from server.core import outbox
    from server.scheduler import jobs
    team, leader, member, other = crew()
    person, gone, dropped = make_user(name="赵大爷"), make_user(), make_user()
    lost = invitations.invite(team, phone=person.phone, actor=leader, now=now)
    invitations.invite(team, phone=member.phone, actor=leader, now=now)
    invitations.invite(team, phone=other.phone, actor=leader, now=now)
    services.leave(services.open_membership(team.id, other.id).id, user=other, now=now)
    taken_back = invitations.invite(team, phone=dropped.phone, actor=leader, now=now)
    invitations.cancel(taken_back.id, actor=leader, now=now)
    gone.active = False
    invitations.invite(team, phone=gone.phone, actor=leader, now=now)
    db.session.flush()
    outbox.discard()  # the worker stopped once it had answered: no delivery followed
    # a fresh invitation is left to the delivery its request asked for
    assert jobs.team_invitations(now + timedelta(minutes=1)).done == 0
    tally = jobs.team_invitations(now + timedelta(minutes=5))
    assert (tally.done, tally.failures) == (1, [])
    m = services.open_membership(team.id, person.id)
    assert (m.state, m.created_by_id, lost.membership_id) == ("invited", leader.id, m.id)
    assert _kinds(person) == ["team_invited"]
    assert jobs.team_invitations(now + timedelta(minutes=10)).done == 0  # once
    for someone in (other, dropped, gone):
        assert services.open_membership(team.id, someone.id) is None
        assert "team_invited" not in _kinds(someone)
    assert services.open_membership(team.id, member.id).state == "active"
