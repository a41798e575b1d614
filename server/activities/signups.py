"""Sign-up rules: capacity, FIFO waitlist with promotion, window, age, skills, clashes.

Every change takes the activity row lock first (SELECT … FOR UPDATE on PostgreSQL;
SQLite transactions are BEGIN IMMEDIATE), then counts from the signups table, so
simultaneous sign-ups can never overfill (the count-then-insert race that systers/vms had).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from server.accounts import errors as account_errors
from server.accounts.models import User
from server.accounts.services import age_on
from server.activities import errors, notices
from server.activities.models import ACTIVE_SIGNUP, LIVE_SIGNUP, Activity, LotteryDraw, Signup
from server.core import timefmt
from server.core.clock import local
from server.extensions import db
from server.notifications.services import answered, notify


def lock_activity(activity_id: int) -> Activity:
    """The activity's row, locked FOR NO KEY UPDATE: every sign-up, walk-in and finish
    takes turns on it, while inserts that merely refer to it (a scan, an hours entry:
    their foreign-key checks take KEY SHARE) go on. A plain FOR UPDATE would make a batch
    that holds sign-ups and inserts scans wait for a finish that waits for those sign-ups."""
    activity = db.session.execute(
        select(Activity).where(Activity.id == activity_id).with_for_update(key_share=True)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if activity is None:
        raise errors.ActivityNotFound()
    return activity


def recount(activity: Activity) -> None:
    rows = db.session.execute(
        select(Signup.status, func.count()).where(
            Signup.activity_id == activity.id, Signup.status.in_(ACTIVE_SIGNUP))
        .group_by(Signup.status)).all()
    counts = dict(rows)
    activity.confirmed_count = counts.get("confirmed", 0)
    activity.waitlist_count = counts.get("waitlisted", 0)


def _lock_person(user_id: int) -> None:
    """The person's row, FOR NO KEY UPDATE to the end of the transaction, before a place is
    given to them (sign_up, promote_waitlist), after the activity's lock. Each of those holds
    only its own activity's lock, so two of one person's at once, for two overlapping
    activities, took a place in both: now the second waits, and its look for a clash (a
    statement of its own) sees the place the first took. Only where a place is given: the
    page that merely shows whether one could sign up (check_eligible) locks nothing.
    An account deleted (or closed) while this waited for it gets no place."""
    if lock_people([user_id]):
        raise account_errors.AccountClosed()


def lock_people(user_ids) -> set[int]:
    """Several people's rows (as _lock_person), in one statement, in the order of their ids;
    returns those of them whose account is no longer active.
    Whatever gives places to several people at once (a promotion from the waitlist, a team
    leader signing members up) locks them here first, after the activity: two such at once
    for two activities, each taking the same people in its own order (queue, request), would
    each hold one person the other waits for, a deadlock. In id order, one waits instead."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    # a row locked after a wait is read as the writer committed it: an account deleted
    # meanwhile (accounts.erasure holds the row while its domains let go) reads inactive
    rows = db.session.execute(select(User.id, User.active).where(User.id.in_(ids))
                              .order_by(User.id).with_for_update(key_share=True))
    return {user_id for user_id, active in rows if not active}


def clash(user_id: int, activity: Activity) -> Activity | None:
    """Another published activity this person holds a confirmed place in, overlapping this one."""
    return db.session.scalar(
        select(Activity).join(Signup, Signup.activity_id == Activity.id).where(
            Signup.user_id == user_id, Signup.status == "confirmed",
            Activity.id != activity.id, Activity.status == "published",
            Activity.starts_at < activity.ends_at, Activity.ends_at > activity.starts_at)
        .limit(1))


def _undrawn_lottery(activity: Activity) -> bool:
    """A lottery whose draw has not happened: sign-ups are entries until it does."""
    return activity.signup_mode == "lottery" and db.session.scalar(
        select(LotteryDraw.id).where(LotteryDraw.activity_id == activity.id)) is None


def check_eligible(activity: Activity, user: User, *, now: datetime) -> None:
    """Every rule except capacity; raises the first that fails. The same rules hold for
    entering a lottery; once it is drawn, sign-up stays open until the start."""
    if activity.status == "cancelled":
        raise errors.ActivityCancelled()
    if activity.status == "finished" or now >= activity.ends_at:
        raise errors.ActivityFinished()
    if activity.status != "published":
        raise errors.NotOpen()
    if activity.signup_opens_at and now < activity.signup_opens_at:
        raise errors.SignupNotOpenYet(opens=timefmt.moment(activity.signup_opens_at))
    closes = activity.signup_closes_at or activity.starts_at
    if activity.signup_mode == "lottery" and not _undrawn_lottery(activity):
        closes = activity.starts_at
    if now >= closes:
        if activity.signup_mode == "lottery" and now < activity.starts_at:
            raise errors.AwaitingDraw()
        raise errors.SignupClosed()
    if activity.min_age:
        if user.birth_date is None:
            raise errors.BirthDateRequired()
        if age_on(user.birth_date, local(activity.starts_at).date()) < activity.min_age:
            raise errors.TooYoung(min_age=activity.min_age)
    missing = [s for s in activity.required_skills or [] if s not in (user.skills or [])]
    if missing:
        from server.core.labels import join, skill_label
        raise errors.SkillsMissing(skills=join(skill_label(s) for s in missing),
                                   errors={"skills": missing})
    other = clash(user.id, activity)
    if other is not None:
        raise errors.TimeClash(other=other.title)


def open_for_signup(now: datetime) -> ColumnElement[bool]:
    """check_eligible's window rules as SQL, for lists ("有空位"): published, not ended,
    opened, not closed (a drawn lottery stays open until the start). The same rule as
    above, kept beside it; tests/activities/test_search.py checks both agree."""
    drawn = exists().where(LotteryDraw.activity_id == Activity.id)
    closes = case((and_(Activity.signup_mode == "lottery", drawn), Activity.starts_at),
                  else_=func.coalesce(Activity.signup_closes_at, Activity.starts_at))
    return and_(Activity.status == "published", Activity.ends_at > now,
                or_(Activity.signup_opens_at.is_(None), Activity.signup_opens_at <= now),
                closes > now)


def sign_up(activity_id: int, *, user: User, now: datetime,
            acted_by: User | None = None) -> Signup:
    """A place if one is free, else the end of the waitlist; in a lottery not yet drawn,
    an entry (server/activities/lottery.py)."""
    activity = lock_activity(activity_id)
    live = db.session.scalar(select(Signup).where(
        Signup.activity_id == activity.id, Signup.user_id == user.id,
        Signup.status.in_(LIVE_SIGNUP)))
    if live is not None:
        raise errors.AlreadySignedUp()
    _lock_person(user.id)
    check_eligible(activity, user, now=now)
    recount(activity)
    last = db.session.scalar(select(func.max(Signup.queue_no)).where(
        Signup.activity_id == activity.id)) or 0
    status = "confirmed" if activity.confirmed_count < activity.capacity else "waitlisted"
    if _undrawn_lottery(activity):
        status = "entered"
    signup = Signup(activity_id=activity.id, user_id=user.id, status=status, queue_no=last + 1,
                    created_at=now,
                    acted_by_id=acted_by.id if acted_by and acted_by.id != user.id else None)
    db.session.add(signup)
    db.session.flush()
    recount(activity)
    db.session.flush()
    return signup


def sign_up_for(activity_id: int, *, phone: str, actor: User, now: datetime) -> Signup:
    """A community worker signs up a resident who is not on a phone (recorded as acted_by).

    Only staff who oversee the activity may, and only residents of a place they serve: a
    number from elsewhere is answered as an unknown one (a worker cannot look up anyone's
    name by their number). Every sign-up rule still applies, and the person is told.
    """
    from server.accounts.errors import ResidentNotFound
    from server.accounts.roles import find_resident_by_phone
    from server.activities.services import can_oversee, get_activity
    from server.core.errors import Forbidden
    activity = get_activity(activity_id, viewer=actor)
    if not can_oversee(actor, activity):
        raise Forbidden()
    person = find_resident_by_phone(actor, phone)
    if person is None:
        raise ResidentNotFound(errors={"phone": [str(ResidentNotFound.message)]})
    signup = sign_up(activity.id, user=person, now=now, acted_by=actor)
    notify(person.id, "signed_up_by_worker", now=now, activity_id=activity.id,
           signup_id=signup.id, worker=actor.name, status=signup.status,
           **notices.facts(activity))
    return signup


def walk_in(activity_id: int, *, user: User, operator: User,
            now: datetime) -> tuple[Signup | None, bool]:
    """At the venue, the organiser admits someone who did not sign up, if a place is free.

    (sign-up, full). Under the activity's lock: a second organiser admitting the same
    person at once gets the sign-up the first one made (locked), not a second one. The
    caller has checked the operator's right.
    """
    activity = lock_activity(activity_id)
    if activity.status != "published":
        return None, False
    existing = db.session.scalar(select(Signup).where(
        Signup.activity_id == activity.id, Signup.user_id == user.id,
        Signup.status.in_(LIVE_SIGNUP)).with_for_update(key_share=True)
        .execution_options(populate_existing=True))
    if existing is not None:
        return existing, False
    recount(activity)
    if activity.confirmed_count >= activity.capacity:
        return None, True
    last = db.session.scalar(select(func.max(Signup.queue_no)).where(
        Signup.activity_id == activity.id)) or 0
    signup = Signup(activity_id=activity.id, user_id=user.id, status="confirmed",
                    queue_no=last + 1, created_at=now, walk_in=True, acted_by_id=operator.id,
                    presence="none", scan_seq=0)
    db.session.add(signup)
    db.session.flush()
    recount(activity)
    db.session.flush()
    return signup, False


def withdraw_until(signup: Signup, activity: Activity | None = None) -> datetime:
    """Until when a place can be given up online: the organiser's cutoff before the start
    for a place one signed up for; until the start for a waitlist spot, and for a place
    that came by promotion (the person did not choose when it came, and giving it back
    promotes the next in line)."""
    activity = activity or signup.activity
    if signup.status == "entered":
        # the entrants are fixed when the lottery closes
        return min(activity.signup_closes_at or activity.starts_at, activity.starts_at)
    if signup.status == "confirmed" and signup.promoted_at is None:
        return activity.starts_at - timedelta(hours=activity.withdraw_cutoff_hours)
    return activity.starts_at


def can_withdraw(signup: Signup, *, now: datetime) -> bool:
    return (signup.status in LIVE_SIGNUP and signup.presence == "none"
            and now < withdraw_until(signup))


def get_signup(signup_id: int) -> Signup | None:
    return db.session.get(Signup, signup_id)


def acts_for(viewer: User | None, signup: Signup) -> bool:
    """Who answers for a sign-up (its next steps, "I can't come", withdrawing it): the
    person, or the guardian who manages them now (a family member without a phone). Not
    whoever else signed them up (a team leader, a worker at the desk, a guardian since the
    hand-over): the place is the person's, and staff take one away only with a reason the
    person is told (remove)."""
    if viewer is None:
        return False
    if viewer.id == signup.user_id:
        return True
    person = signup.user
    return person.managed_by_id == viewer.id and person.active


def withdraw(signup: Signup, *, actor: User, now: datetime) -> Signup:
    """The person (or their guardian) gives up their place or waitlist spot."""
    activity = lock_activity(signup.activity_id)
    # the sign-up's own lock, after the activity's: a scan deciding now is waited for
    db.session.refresh(signup, with_for_update={"key_share": True})
    if not acts_for(actor, signup) or signup.status not in LIVE_SIGNUP:
        raise errors.SignupNotFound()
    if signup.presence != "none":
        raise errors.WithdrawCheckedIn()
    if now >= withdraw_until(signup, activity):
        raise errors.WithdrawClosed()
    was_confirmed = signup.status == "confirmed"
    signup.status = "withdrawn"
    signup.ended_at = now
    signup.end_reason = "withdrawn"
    db.session.flush()
    answered(signup.user_id, activity.id, ("promoted",), now=now)  # its question: settled
    if was_confirmed:
        promote_waitlist(activity, now=now)
    recount(activity)
    db.session.flush()
    return signup


def remove(signup: Signup, *, actor: User, now: datetime, reason: str) -> Signup:
    """An organiser takes someone off the list (with a reason they are told); not once
    the activity is finished, nor someone who has checked in."""
    from server.activities.services import can_manage
    from server.core.errors import Forbidden, ValidationError
    activity = lock_activity(signup.activity_id)
    if not can_manage(actor, activity):
        raise Forbidden()
    if not (reason or "").strip():
        raise ValidationError(errors={"reason": ["required"]})
    # the sign-up's own lock, after the activity's: a scan deciding now (it holds only the
    # sign-up's) is waited for, and its check-in seen below
    db.session.refresh(signup, with_for_update={"key_share": True})
    if signup.activity_id != activity.id:
        raise errors.SignupNotFound()
    if signup.status not in LIVE_SIGNUP:
        raise errors.SignupAlreadyRemoved(name=signup.user.name)
    if activity.status == "finished":
        raise errors.ActivityFinished()
    if signup.presence != "none":
        # they came: their attendance stands, and their hours are for the review to judge
        raise errors.SignupAttended()
    was_confirmed = signup.status == "confirmed"
    signup.status, signup.ended_at, signup.end_reason = "cancelled", now, reason.strip()
    notify(signup.user_id, "signup_removed", now=now, activity_id=activity.id,
           reason=reason.strip(), **notices.facts(activity))
    db.session.flush()
    if was_confirmed and activity.status == "published":
        promote_waitlist(activity, now=now)
    recount(activity)
    db.session.flush()
    return signup


def promote_waitlist(activity: Activity, *, now: datetime) -> list[Signup]:
    """Fill free places from the waitlist in FIFO order; the caller holds the lock.

    Someone who meanwhile took a clashing place is passed over but keeps their spot.
    """
    recount(activity)
    free = activity.capacity - activity.confirmed_count
    promoted: list[Signup] = []
    if free <= 0 or now >= activity.starts_at:
        return promoted
    waiting = db.session.scalars(select(Signup).where(
        Signup.activity_id == activity.id, Signup.status == "waitlisted")
        .order_by(Signup.queue_no)).all()
    # everyone waiting, not only the first `free`: one passed over for a clash makes room for
    # the next, and a lock taken then, out of id order, could close a cycle
    lock_people(signup.user_id for signup in waiting)
    for signup in waiting:
        if len(promoted) == free:
            break
        if clash(signup.user_id, activity) is not None:
            continue
        signup.status = "confirmed"
        signup.promoted_at = now
        notify(signup.user_id, "promoted", now=now, activity_id=activity.id,
               signup_id=signup.id, **notices.facts(activity))
        promoted.append(signup)
    db.session.flush()
    recount(activity)
    return promoted


def end_all(activity: Activity, *, reason: str, now: datetime) -> list[int]:
    """The activity was cancelled: every live sign-up (and lottery entry) ends. Returns
    who held one."""
    people = []
    for signup in db.session.scalars(select(Signup).where(
            Signup.activity_id == activity.id, Signup.status.in_(LIVE_SIGNUP))):
        signup.status, signup.ended_at, signup.end_reason = "cancelled", now, reason
        people.append(signup.user_id)
    db.session.flush()
    recount(activity)
    db.session.flush()
    return people


def live_people(activity: Activity) -> list[int]:
    return list(db.session.scalars(select(Signup.user_id).where(
        Signup.activity_id == activity.id, Signup.status.in_(LIVE_SIGNUP))))


def waitlist_position(signup: Signup) -> int | None:
    if signup.status != "waitlisted":
        return None
    return db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.activity_id == signup.activity_id, Signup.status == "waitlisted",
        Signup.queue_no <= signup.queue_no))


def live_signup(activity_id: int, user_id: int) -> Signup | None:
    return db.session.scalar(select(Signup).where(
        Signup.activity_id == activity_id, Signup.user_id == user_id,
        Signup.status.in_(LIVE_SIGNUP)))

