"""Activity lifecycle: draft → published → cancelled / finished, and who may see what."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select

from server.accounts import permissions
from server.accounts.models import SKILLS, User
from server.activities import errors
from server.activities.models import (
    ACTIVITY_KINDS,
    FORCES,
    SIGNUP_MODES,
    Activity,
    Programme,
    Signup,
)
from server.communities.models import Node, Organisation
from server.core import events
from server.core.errors import Forbidden, ValidationError
from server.extensions import db

EDITABLE = ("title", "kind", "description", "place", "starts_at", "ends_at",
            "signup_opens_at", "signup_closes_at", "withdraw_cutoff_hours", "capacity",
            "min_age", "required_skills", "insurance_required", "forces", "contact_name",
            "programme_id", "node_id", "signup_mode")
TRANSITIONS = {"draft": {"published", "cancelled"},
               "published": {"cancelled", "finished"},
               "cancelled": set(), "finished": set()}
PUBLIC_STATUSES = ("published", "cancelled", "finished")
MAX_LENGTH = timedelta(days=14)


def can_manage(user: User | None, activity: Activity) -> bool:
    """Organisers of the activity's organisation, and admins above it."""
    return (activity.organisation_id in permissions.organiser_org_ids(user)
            or permissions.is_admin_for(user, activity.node))


def can_oversee(user: User | None, activity: Activity) -> bool:
    """Who may see the roster and drafts: managers, and coordinators above the place."""
    return can_manage(user, activity) or permissions.oversees(user, activity.node)


def can_create_for(user: User | None, organisation: Organisation) -> bool:
    return (organisation.id in permissions.organiser_org_ids(user)
            or permissions.is_admin_for(user, organisation.node))


def get_activity(activity_id: int, *, viewer: User | None) -> Activity:
    """An activity the viewer may see; drafts only to those who oversee it."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise errors.ActivityNotFound()
    # never published (a draft, or a draft that was cancelled): staff only
    if activity.published_at is None and not can_oversee(viewer, activity):
        raise errors.ActivityNotFound()
    return activity


def _validate(fields: dict, organisation: Organisation) -> dict:
    problems: dict[str, list[str]] = {}
    if "title" in fields:
        fields["title"] = " ".join((fields["title"] or "").split())
        if not 1 <= len(fields["title"]) <= 120:
            problems["title"] = ["length"]
    if "kind" in fields and fields["kind"] not in ACTIVITY_KINDS:
        problems["kind"] = ["unknown"]
    if "signup_mode" in fields and fields["signup_mode"] not in SIGNUP_MODES:
        problems["signup_mode"] = ["unknown"]
    if "place" in fields and not (fields["place"] or "").strip():
        problems["place"] = ["required"]
    if "capacity" in fields and not 1 <= (fields["capacity"] or 0) <= 100000:
        problems["capacity"] = ["range"]
    if fields.get("min_age") is not None and not 0 <= fields["min_age"] <= 120:
        problems["min_age"] = ["range"]
    if "withdraw_cutoff_hours" in fields and not 0 <= fields["withdraw_cutoff_hours"] <= 720:
        problems["withdraw_cutoff_hours"] = ["range"]
    bad = [s for s in fields.get("required_skills") or [] if s not in SKILLS]
    if bad:
        problems["required_skills"] = bad
    bad = [f for f in fields.get("forces") or [] if f not in FORCES]
    if bad:
        problems["forces"] = bad
    if problems:
        raise ValidationError(errors=problems)
    for listed in ("forces", "required_skills"):  # each once, in the order given
        if fields.get(listed) is not None:
            fields[listed] = list(dict.fromkeys(fields[listed]))
    if fields.get("programme_id") is not None:
        programme = db.session.get(Programme, fields["programme_id"])
        if programme is None or programme.organisation_id != organisation.id:
            raise ValidationError(errors={"programme_id": ["not_this_organisation"]})
    if "node_id" in fields:
        node = db.session.get(Node, fields["node_id"])
        if node is None or not organisation.node.contains(node):
            raise errors.PlaceOutsideOrganisation()
    return fields


def _check_schedule(activity: Activity) -> None:
    start, end = activity.starts_at, activity.ends_at
    opens, closes = activity.signup_opens_at, activity.signup_closes_at
    if end <= start:
        raise errors.BadSchedule(errors={"ends_at": ["after_start"]})
    if end - start > MAX_LENGTH:  # the reason's text says 14 days
        raise errors.BadSchedule(errors={"ends_at": ["too_long"]})
    if closes is not None and (closes > end or (opens is not None and opens >= closes)):
        raise errors.BadSchedule(errors={"signup_closes_at": ["window"]})
    if opens is not None and opens >= (closes or start):
        raise errors.BadSchedule(errors={"signup_opens_at": ["window"]})


def _check_lottery(activity: Activity, *, now: datetime, mode_changed: bool,
                   window_changed: bool) -> None:
    """A lottery's window and seed; the way places are given is fixed once anyone is in.
    The activity holds the changes unflushed (its CHECK would refuse a half-made lottery)."""
    with db.session.no_autoflush:
        _lottery_rules(activity, now=now, mode_changed=mode_changed,
                       window_changed=window_changed)


def _lottery_rules(activity: Activity, *, now: datetime, mode_changed: bool,
                   window_changed: bool) -> None:
    from server.activities import lottery
    if mode_changed and activity.id is not None and db.session.scalar(
            select(Signup.id).where(Signup.activity_id == activity.id).limit(1)) is not None:
        raise errors.SignupModeLocked()
    if activity.signup_mode != "lottery":
        activity.lottery_seed = activity.lottery_commitment = None
        return
    if activity.signup_opens_at is None or activity.signup_closes_at is None:
        raise errors.LotteryWindowRequired()
    if activity.signup_closes_at >= activity.starts_at:
        raise errors.LotteryClosesAfterStart()
    if (mode_changed or window_changed) and activity.signup_closes_at <= now \
            and lottery.draw_of(activity.id or 0) is None:
        raise errors.LotteryInPast()
    if activity.lottery_seed is None:
        activity.lottery_seed, activity.lottery_commitment = lottery.new_seed()


def create_activity(*, actor: User, organisation: Organisation, now: datetime,
                    **fields) -> Activity:
    if not can_create_for(actor, organisation):
        raise Forbidden()
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(errors={k: ["unknown"] for k in unknown})
    fields.setdefault("node_id", organisation.node_id)
    fields = _validate(fields, organisation)
    activity = Activity(organisation_id=organisation.id, status="draft", created_by_id=actor.id,
                        created_at=now, updated_at=now, confirmed_count=0, waitlist_count=0,
                        **fields)
    activity.organisation = organisation
    activity.required_skills = list(fields.get("required_skills") or [])
    activity.forces = list(fields.get("forces") or [])
    activity.signup_mode = fields.get("signup_mode") or "first_come"
    _check_schedule(activity)
    _check_lottery(activity, now=now, mode_changed=activity.signup_mode == "lottery",
                   window_changed=False)
    db.session.add(activity)
    db.session.flush()
    return activity


def update_activity(activity: Activity, *, actor: User, now: datetime, **changes) -> Activity:
    from server.activities import signups  # sign-up rules own promotion
    if not can_manage(actor, activity):
        raise Forbidden()
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(errors={k: ["unknown"] for k in unknown})
    # the status as it stands under the lock: a cancel or finish that committed while this
    # waited is seen (read before the lock, a cancelled activity took the edit)
    activity = signups.lock_activity(activity.id)
    if activity.status == "finished" and set(changes) <= {"programme_id"}:
        # which programme a session belonged to changes no record of it: its figures move
        # with it (reports.rollups reads the activity's updated_at)
        changes = _validate(changes, activity.organisation)
        activity.programme_id = changes.get("programme_id", activity.programme_id)
        activity.updated_at = now
        db.session.flush()
        return activity
    if activity.status in ("cancelled", "finished"):
        raise refusal(activity, "edit")
    # under way: someone has checked in (a sign-up's count of successful scans), at the
    # time and place as they stand
    began = db.session.scalar(select(Signup.id).where(
        Signup.activity_id == activity.id, Signup.scan_seq > 0).limit(1)) is not None
    changes = _validate(changes, activity.organisation)
    if "capacity" in changes and changes["capacity"] < activity.confirmed_count:
        raise errors.CapacityBelowConfirmed(confirmed=activity.confirmed_count)
    moved = any(k in changes and changes[k] != getattr(activity, k)
                for k in ("starts_at", "ends_at", "place"))
    mode_changed = "signup_mode" in changes and changes["signup_mode"] != activity.signup_mode
    window_changed = any(k in changes and changes[k] != getattr(activity, k)
                         for k in ("signup_opens_at", "signup_closes_at"))
    for key, value in changes.items():
        setattr(activity, key, value)
    _check_schedule(activity)
    _check_lottery(activity, now=now, mode_changed=mode_changed,
                   window_changed=window_changed)
    if activity.status == "published" and moved and (began or activity.starts_at < now):
        # people signed up for a future date; moving it into the past loses them, and
        # people checked in came at its time and place
        raise errors.BadSchedule(errors={"starts_at": ["started" if began else "past"]})
    activity.updated_at = now
    db.session.flush()
    if activity.status == "published":
        signups.promote_waitlist(activity, now=now)
        if moved:
            events.announce(events.ACTIVITY_CHANGED, activity=activity,
                            people=signups.live_people(activity), now=now)
    return activity


def refusal(activity: Activity, target: str) -> errors.BadTransition:
    from server.core.labels import ACTIVITY_STATUS, label
    names = {**{k: label(ACTIVITY_STATUS, k) for k in ACTIVITY_STATUS},
             "edit": str(errors.EDITED), "finished": label(ACTIVITY_STATUS, "finished")}
    if names[activity.status] == names[target]:  # "Open → Open": it already is
        return errors.AlreadyInState(current=names[activity.status], target=names[target])
    if target == "edit":
        closed = errors.FinishedKeepsItsRecord if activity.status == "finished" \
            else errors.NotEditable
        return closed(current=names[activity.status], target=names[target])
    return errors.BadTransition(current=names[activity.status], target=names[target])


def closed_for_edits(activity: Activity) -> errors.NotEditable:
    """What the edit page says of a cancelled or finished activity (it offers no form; a
    finished one's programme is set through the API)."""
    from server.core.labels import ACTIVITY_STATUS, label
    status = label(ACTIVITY_STATUS, activity.status)
    return errors.NotEditable(current=status, target=str(errors.EDITED))


def _transition(activity: Activity, target: str) -> None:
    if target not in TRANSITIONS[activity.status]:
        raise refusal(activity, target)


def publish(activity: Activity, *, actor: User, now: datetime) -> Activity:
    from server.activities import signups
    if not can_manage(actor, activity):
        raise Forbidden()
    # under the lock, as cancel takes it: a cancel that committed meanwhile is seen, and
    # the cancelled activity is not published again
    activity = signups.lock_activity(activity.id)
    _transition(activity, "published")
    if activity.ends_at <= now:
        raise errors.BadSchedule(errors={"ends_at": ["past"]})
    if activity.signup_mode == "lottery" and activity.signup_closes_at <= now:
        raise errors.LotteryInPast()
    activity.status = "published"
    activity.published_at = activity.updated_at = now
    db.session.flush()
    return activity


def cancel(activity: Activity, *, actor: User, now: datetime, reason: str) -> Activity:
    from server.activities import signups
    if not can_manage(actor, activity):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(errors={"reason": ["required"]})
    activity = signups.lock_activity(activity.id)
    _transition(activity, "cancelled")
    events.announce(events.ACTIVITY_CANCELLING, activity=activity, now=now)
    activity.status = "cancelled"
    activity.cancel_reason = reason
    activity.updated_at = now
    people = signups.end_all(activity, reason="activity_cancelled", now=now)
    events.announce(events.ACTIVITY_CANCELLED, activity=activity, people=people, now=now)
    return activity


def finish(activity: Activity, *, actor: User | None, now: datetime) -> Activity:
    """Close an activity that has started. actor=None is the scheduler/CLI.

    Attendance closes with it: the subscribers (check-in, then hours) lock every sign-up,
    check out whoever is still inside and turn the scans into pending hours. The
    activity's own lock first, as sign-ups and walk-ins take it, so nobody is admitted
    half-way through.
    """
    from server.activities import signups
    if actor is not None and not can_manage(actor, activity):
        raise Forbidden()
    activity = signups.lock_activity(activity.id)
    _transition(activity, "finished")
    if now < activity.starts_at:
        raise errors.NotStarted()
    activity.status = "finished"
    activity.finished_at = activity.updated_at = now
    db.session.flush()
    events.announce(events.ACTIVITY_FINISHED, activity=activity, now=now)
    return activity


def managed_query(actor: User) -> Select:
    """Activities the actor manages or oversees, any status."""
    org_ids = permissions.organiser_org_ids(actor)
    paths = permissions.scope_paths(actor, "coordinator", "admin")
    cond = permissions.under(Node.path, paths)
    if org_ids:
        cond = cond | Activity.organisation_id.in_(org_ids)
    return (select(Activity).join(Node, Activity.node_id == Node.id).where(cond)
            .order_by(Activity.starts_at.desc()))
