"""Page endpoints (thin): the activity list, an activity, signing up and withdrawing,
and "my activities". Staff pages are in manage_views.py on the same blueprint."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required

from server.accounts import family
from server.accounts.errors import MemberNotFound
from server.activities import (
    chips,
    errors,
    lottery,
    next_steps,
    queries,
    search,
    services,
    signups,
)
from server.activities.models import Activity, Signup
from server.activities.schemas import ActivityArgs
from server.communities.services import places_for_residents
from server.core import clock, timefmt
from server.core.errors import WusheError
from server.core.numbers import id_arg
from server.core.pages import FORM_ERRORS, is_htmx, load_args, me, problem
from server.extensions import db

bp = Blueprint("activities_pages", __name__)
MY_TABS = ("upcoming", "waitlisted", "past")


@bp.app_template_filter("when")
def when(activity: Activity) -> str:
    """Beijing time, e.g. "11月30日 周六 09:00–11:00"."""
    return timefmt.span(activity.starts_at, activity.ends_at)


@bp.app_template_global()
def phase(activity: Activity) -> str:
    """Activity.phase now: "under_way" or "ended" for a published one past its start."""
    return activity.phase(clock.now())


@bp.app_template_filter("at")
def at(value: datetime | None) -> str:
    """One moment in Beijing time, e.g. "11月28日 周五 18:00"."""
    return timefmt.moment(value)


@bp.route("/")
def index():
    """Activities to join: search words, filter chips, an order, soonest first."""
    args = load_args(ActivityArgs())
    notices = []
    raw_q = request.args.get("q")
    if raw_q is not None and args["q"] is None:  # refused (too long): say so, search without
        notices += ActivityArgs(only=("q",)).validate({"q": raw_q}).get("q", [])
    flt, now = args["filter"], clock.now()
    try:
        page = search.public_activities(flt, now=now, viewer=me())
    except (errors.NoHomeCommunity, errors.SearchNeedsLogin) as exc:
        notices.append(exc.text())
        flt.near, flt.skills = None, False
        args.update(near=None, skills=False)
        page = search.public_activities(flt, now=now, viewer=me())
    places = places_for_residents()
    return render_template("activities/index.html", page=page, args=args, notices=notices,
                           places=places, **chips.context(args, user=me(), places=places))


def box_context(activity: Activity, *, now: datetime, result: str | None = None,
                error: str | None = None) -> dict:
    """What the sign-up box shows this viewer: their place, or why they cannot sign up."""
    user = me()
    signup = signups.live_signup(activity.id, user.id) if user else None
    reason, withdraw_until = None, None
    if signup is not None:
        withdraw_until = signups.withdraw_until(signup, activity)
    elif user is not None:
        try:
            signups.check_eligible(activity, user, now=now)
        except WusheError as exc:  # shown, not raised: this only reads
            reason = exc
    lot = lottery.lottery_of(activity) if activity.signup_mode == "lottery" else None
    return {"activity": activity, "signup": signup, "reason": reason, "result": result,
            "family": _family_rows(activity, user, now=now),
            "lottery": lot, "lottery_open": lot is not None and lot.draw is None,
            "lottery_due": lot is not None and lot.draw is None
            and activity.status == "published" and now >= activity.signup_closes_at,
            "error": error, "position": signups.waitlist_position(signup) if signup else None,
            "can_withdraw": withdraw_until is not None and now < withdraw_until,
            "withdraw_until": withdraw_until, "ended": now >= activity.ends_at,
            "can_manage": services.can_manage(user, activity),
            "can_oversee": services.can_oversee(user, activity)}


def _family_rows(activity: Activity, user, *, now: datetime) -> list[dict]:
    """Each family member the viewer manages: their sign-up, or why they cannot sign up."""
    rows = []
    for member in family.members_of(user):
        signup = signups.live_signup(activity.id, member.id)
        reason = None
        if signup is None:
            try:
                signups.check_eligible(activity, member, now=now)
            except WusheError as exc:
                reason = exc
        rows.append({"member": member, "signup": signup, "reason": reason,
                     "can_withdraw": signup is not None and signups.can_withdraw(signup, now=now)})
    return rows


def render_detail(activity: Activity, *, status: int = 200, **extra):
    context = box_context(activity, now=clock.now())
    context.update(extra)
    return render_template("activities/detail.html", **context), status


@bp.route("/activities/<int:activity_id>")
def detail(activity_id: int):
    """One activity: when, where, who organises it, and signing up."""
    return render_detail(services.get_activity(activity_id, viewer=me()))


def _after_signup_change(activity_id: int, *, result: str | None = None,
                         error: str | None = None, status: int = 200):
    """htmx gets the new sign-up box; a plain form post goes back to the activity."""
    if is_htmx():
        activity = services.get_activity(activity_id, viewer=me())
        return render_template("activities/_signup_box.html",
                               **box_context(activity, now=clock.now(), result=result,
                                             error=error)), status
    flash(result or error, "success" if result else "warning")
    return redirect(url_for("activities_pages.detail", activity_id=activity_id))


def result_text(signup: Signup) -> str:
    if signup.status == "entered":
        return _("You are in the lottery. Places are drawn when it closes; we will tell you "
                 "the result.")
    if signup.status == "waitlisted":
        return _("You are number %(n)s on the waitlist.", n=signups.waitlist_position(signup))
    return _("You have a place.")


@bp.route("/activities/<int:activity_id>/signup", methods=["POST"])
@login_required
def signup(activity_id: int):
    """Sign up oneself, or a family member (`member_id`): a place if one is free, else the
    end of the waitlist."""
    try:
        member_id = id_arg(request.form.get("member_id"))
        person = family.acting_for(me(), member_id)
        signup = signups.sign_up(activity_id, user=person, now=clock.now(), acted_by=me())
    except (*FORM_ERRORS, MemberNotFound) as exc:
        message, _fields, status = problem(exc)
        return _after_signup_change(activity_id, error=message, status=status)
    if is_htmx():
        return _after_signup_change(activity_id, result=result_text(signup))
    # a page of its own: what happens next, not a line above the activity
    return redirect(url_for("activities_pages.signed_up", signup_id=signup.id), code=303)


@bp.route("/signups/<int:signup_id>/next")
@login_required
def signed_up(signup_id: int):
    """After signing up: place or waitlist, when to arrive, what to bring, until when one
    can withdraw, and the activity for one's calendar."""
    steps = next_steps.for_signup(signup_id, viewer=me(), now=clock.now())
    return render_template("activities/signed_up.html", steps=steps,
                           activity=steps.activity, signup=steps.signup)


@bp.route("/activities/<int:activity_id>/calendar.ics")
def calendar_file(activity_id: int):
    """The activity as an .ics file, to add to the phone's calendar."""
    activity = services.get_activity(activity_id, viewer=me())
    body = next_steps.ics_body(activity, now=clock.now(),
                               description=_("Organiser: %(name)s",
                                             name=activity.organisation.name))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{next_steps.ics_filename(activity)}"',
        "Cache-Control": "no-store"})


@bp.route("/signups/<int:signup_id>/withdraw", methods=["POST"])
@login_required
def withdraw(signup_id: int):
    """Give up my place or waitlist spot."""
    signup = db.session.get(Signup, signup_id)
    if signup is None:
        abort(404)
    activity_id = signup.activity_id
    try:
        signups.withdraw(signup, actor=me(), now=clock.now())
    except FORM_ERRORS as exc:
        message, _fields, status = problem(exc)
        return _after_signup_change(activity_id, error=message, status=status)
    return _after_signup_change(
        activity_id, result=_("You have withdrawn. Thank you for letting the organiser know."))


@bp.route("/activities/<int:activity_id>/lottery")
def lottery_page(activity_id: int):
    """An activity's lottery, public: the commitment before, the whole draw after."""
    activity = services.get_activity(activity_id, viewer=me())
    lot = lottery.lottery_of(activity)
    user = me()
    mine = signups.live_signup(activity.id, user.id) if user else None
    check = lottery.verify(lot.draw) if lot.draw else None
    return render_template("activities/lottery.html", activity=activity, lottery=lot,
                           mine=mine, check=check,
                           can_manage=services.can_manage(user, activity),
                           can_draw=lot.draw is None and activity.status == "published"
                           and clock.now() >= activity.signup_closes_at)


@bp.route("/me/activities")
@login_required
def my_activities():
    """What I signed up for: upcoming, waitlisted, past."""
    tab = request.args.get("tab") if request.args.get("tab") in MY_TABS else "upcoming"
    mine = queries.my_activities(me(), now=clock.now())
    return render_template("activities/mine.html", mine=mine, current=tab)


# Staff pages register their routes on `bp` when imported.
from server.activities import manage_views  # noqa: E402,F401
