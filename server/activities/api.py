"""/api/v1 activities: the public list, the organiser's lifecycle, sign-ups and rosters."""

from __future__ import annotations

from dataclasses import dataclass

import marshmallow as ma
from flask import Response, url_for
from flask_login import current_user, login_required

from server.accounts import family, permissions
from server.activities import errors, lottery, next_steps, queries, search, services, signups
from server.activities.models import Activity, Signup
from server.activities.schemas import (
    ActivityArgs,
    ActivityIn,
    ActivityOut,
    ActivityPageOut,
    ActivityPatch,
    LotteryOut,
    NextStepsOut,
    ReasonIn,
    RosterEntryOut,
    SignupIn,
    SignupOut,
)
from server.communities.services import get_organisation
from server.core import clock
from server.core.api import Blueprint
from server.core.errors import Forbidden
from server.core.fields import Whole
from server.extensions import db

activities = Blueprint("activities", __name__, url_prefix="/api/v1/activities",
                       description="Activities: browse, manage, sign up, roster.")
signups_blp = Blueprint("signups", __name__, url_prefix="/api/v1/signups",
                        description="Withdraw a sign-up (volunteer) or remove it (organiser).")
blueprints = [activities, signups_blp]


class MySignupOut(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    position = ma.fields.Integer(allow_none=True)


@dataclass
class ActivityView:
    activity: Activity
    my_signup: Signup | None


class ActivityDetailOut(ActivityOut):
    """An activity plus, for a logged-in viewer, their own live sign-up; dumps ActivityView."""

    my_signup = ma.fields.Nested(MySignupOut, allow_none=True)

    @ma.pre_dump
    def _activity(self, view, **kwargs):
        return view.activity

    @ma.post_dump(pass_original=True)
    def _mine(self, data, view, **kwargs):
        mine = view.my_signup
        data["my_signup"] = None if mine is None else {
            "id": mine.id, "status": mine.status, "position": signups.waitlist_position(mine)}
        return data


class PositionedSignupOut(SignupOut):
    """A sign-up with its waitlist position (None when it holds a place); dumps a Signup."""

    @ma.post_dump(pass_original=True)
    def _position(self, data, signup, **kwargs):
        data["position"] = signups.waitlist_position(signup)
        return data


class ManageArgs(ma.Schema):
    page = Whole(load_default=1, validate=ma.validate.Range(1, 10000))


def _actor():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _signup(signup_id: int) -> Signup:
    signup = db.session.get(Signup, signup_id)
    if signup is None:
        raise errors.SignupNotFound()
    return signup


def _visible(activity_id: int):
    return services.get_activity(activity_id, viewer=_actor())


# --- browsing ------------------------------------------------------------------------------

@activities.route("", methods=["GET"])
@activities.arguments(ActivityArgs, location="query")
@activities.response(200, ActivityPageOut)
def list_activities(args):
    """Published activities, soonest first: words, kind, day or period, place or near the
    logged-in person, open places, suits their skills; another order on request (public)."""
    return search.public_activities(args["filter"], now=clock.now(), viewer=_actor())


@activities.route("/manage", methods=["GET"])
@login_required
@activities.arguments(ManageArgs, location="query")
@activities.response(200, ActivityPageOut)
def managed_activities(args):
    """Every activity, any status, that the organiser, coordinator or admin handles."""
    if not permissions.has_any_role(_actor()):
        raise Forbidden()
    return db.paginate(services.managed_query(_actor()), page=args["page"],
                       per_page=search.PAGE_SIZE, error_out=False)


@activities.route("/<int:activity_id>", methods=["GET"])
@activities.response(200, ActivityDetailOut)
def show_activity(activity_id):
    """One activity (drafts only to those who oversee it), with the viewer's own sign-up."""
    activity = _visible(activity_id)
    return ActivityView(activity, signups.live_signup(activity.id, _actor().id)
                        if _actor() else None)


# --- lifecycle -----------------------------------------------------------------------------

@activities.route("", methods=["POST"])
@login_required
@activities.arguments(ActivityIn)
@activities.response(201, ActivityOut)
def create_activity(data):
    """Create a draft activity for an organisation one organises for (or administers)."""
    organisation = get_organisation(data.pop("organisation_id"))
    return services.create_activity(actor=_actor(), organisation=organisation, now=clock.now(),
                                    **data)


@activities.route("/<int:activity_id>", methods=["PATCH"])
@login_required
@activities.arguments(ActivityPatch)
@activities.response(200, ActivityOut)
def update_activity(data, activity_id):
    """Change a draft or published activity; a larger capacity promotes from the waitlist."""
    return services.update_activity(_visible(activity_id), actor=_actor(), now=clock.now(),
                                    **data)


@activities.route("/<int:activity_id>/publish", methods=["POST"])
@login_required
@activities.response(200, ActivityOut)
def publish_activity(activity_id):
    """Open a draft for sign-up."""
    return services.publish(_visible(activity_id), actor=_actor(), now=clock.now())


@activities.route("/<int:activity_id>/cancel", methods=["POST"])
@login_required
@activities.arguments(ReasonIn)
@activities.response(200, ActivityOut)
def cancel_activity(data, activity_id):
    """Cancel an activity; everyone signed up is told why."""
    return services.cancel(_visible(activity_id), actor=_actor(), now=clock.now(),
                           reason=data["reason"])


@activities.route("/<int:activity_id>/finish", methods=["POST"])
@login_required
@activities.response(200, ActivityOut)
def finish_activity(activity_id):
    """Mark a started activity as finished."""
    return services.finish(_visible(activity_id), actor=_actor(), now=clock.now())


# --- lotteries -----------------------------------------------------------------------------

@activities.route("/<int:activity_id>/lottery", methods=["GET"])
@activities.response(200, LotteryOut)
def show_lottery(activity_id):
    """An activity's lottery (public): window, commitment, entries; once drawn, the seed,
    entrants and drawn order, so anyone can re-run it."""
    return lottery.lottery_of(_visible(activity_id))


@activities.route("/<int:activity_id>/lottery/draw", methods=["POST"])
@login_required
@activities.response(200, LotteryOut)
def draw_lottery(activity_id):
    """Draw now, after the window closed (organisers; the scheduler normally does it)."""
    activity = _visible(activity_id)
    lottery.draw(activity.id, actor=_actor(), now=clock.now())
    return lottery.lottery_of(activity)


# --- sign-ups ------------------------------------------------------------------------------

@activities.route("/<int:activity_id>/signups", methods=["POST"])
@login_required
@activities.arguments(SignupIn)
@activities.response(201, PositionedSignupOut)
def sign_up(data, activity_id):
    """Sign oneself (or one's family member, `member_id`) up: a place if one is free, else
    the end of the waitlist. Every rule applies to the person signed up."""
    activity = _visible(activity_id)
    actor = _actor()
    person = family.acting_for(actor, data["member_id"])
    return signups.sign_up(activity.id, user=person, now=clock.now(), acted_by=actor)


@activities.route("/<int:activity_id>/roster", methods=["GET"])
@login_required
@activities.response(200, RosterEntryOut(many=True))
def roster(activity_id):
    """Who is signed up and who is waiting (phones masked); organisers and coordinators."""
    activity = _visible(activity_id)
    if not services.can_oversee(_actor(), activity):
        raise Forbidden()
    return queries.roster(activity, include_ended=activity.status == "cancelled")


@signups_blp.route("/<int:signup_id>/withdraw", methods=["POST"])
@login_required
@signups_blp.response(200, PositionedSignupOut)
def withdraw(signup_id):
    """Give up one's place or waitlist spot; the next person waiting is promoted."""
    return signups.withdraw(_signup(signup_id), actor=_actor(), now=clock.now())


@signups_blp.route("/<int:signup_id>/remove", methods=["POST"])
@login_required
@signups_blp.arguments(ReasonIn)
@signups_blp.response(200, PositionedSignupOut)
def remove(data, signup_id):
    """Take someone off the list, with a reason they are told (organisers)."""
    return signups.remove(_signup(signup_id), actor=_actor(), now=clock.now(),
                          reason=data["reason"])


@signups_blp.route("/<int:signup_id>/next-steps", methods=["GET"])
@login_required
@signups_blp.response(200, NextStepsOut)
def signup_next_steps(signup_id):
    """What to do next: when to arrive, what to bring, until when one can withdraw."""
    steps = next_steps.for_signup(signup_id, viewer=_actor(), now=clock.now())
    person = steps.signup.user_id
    steps.code_url = None if steps.signup.status == "entered" else (
        url_for("checkin_pages.my_code") if person == _actor().id
        else url_for("checkin_pages.my_code", member=person))
    steps.calendar_url = url_for("activities.activity_calendar", activity_id=steps.activity.id)
    return steps


@activities.route("/<int:activity_id>/calendar.ics", methods=["GET"])
@activities.response(200, description="The activity as an iCalendar (RFC 5545) file")
def activity_calendar(activity_id):
    """The activity as an .ics file to add to a calendar (UTC times, a stable UID)."""
    activity = _visible(activity_id)
    body = next_steps.ics_body(activity, now=clock.now())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{next_steps.ics_filename(activity)}"',
        "Cache-Control": "no-store"})
