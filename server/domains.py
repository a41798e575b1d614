"""Wires every domain into the app: blueprints, login, template globals, CLI."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from server.core import labels
from server.core.api import Api
from server.core.clock import local
from server.core.errors import Unauthorised
from server.extensions import login_manager


def _load_user(token: str):
    """The cookies carry a login's token (accounts.sessions): one query finds the person
    and their roles, if that login has not ended."""
    from server.accounts import sessions
    from server.core import clock
    return sessions.user_for(token, now=clock.now())


def _unauthorised():
    if request.path.startswith("/api/"):
        raise Unauthorised()
    back = request.full_path.rstrip("?")
    if request.method != "GET":
        # after logging in, a GET of a POST-only URL would be a dead end: go back to the page
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc in ("", request.host)
        back = (referrer.path or "/") if same_site else "/"
    target = url_for("accounts_pages.login", next=back)
    if request.headers.get("HX-Request"):
        # an htmx swap would paste the login page into a fragment: send the whole page there
        from flask import Response
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target)


def _template_globals() -> dict:
    from server.accounts import permissions
    from server.accounts.privacy import mask_phone
    from server.notifications.services import unread_count
    locale = str(get_locale() or "zh_CN")
    user = current_user if current_user and current_user.is_authenticated else None
    return {
        "current_locale": locale,
        "current_locale_tag": "zh-CN" if locale.startswith("zh") else "en",
        "list_sep": labels.list_separator(),  # in lists built of markup (labels.join)
        "care_mode": bool(user and user.care_mode) or request.cookies.get("care") == "1",
        "labels": labels,
        "label": labels.label,
        "mask_phone": mask_phone,
        "local": local,
        "unread_count": unread_count(user.id) if user else 0,
        "is_staff": permissions.has_any_role(user),
        "permissions": permissions,
    }


def _subscribe() -> None:
    """Who hears what, in this order: check-in closes open check-ins (holding every
    sign-up's lock) before hours are computed from the scans. Each domain's notices
    module declares its kinds of message (server.notifications.kinds) on import."""
    from server.accounts import services as accounts
    from server.activities import notices as activity_notices
    from server.checkin import closing as checkin_closing
    from server.core import events
    from server.donations.services import notices as donation_notices  # noqa: F401 - declares kinds
    from server.feedback import notices as feedback_notices
    from server.hours import ledger as hours
    from server.hours import notices as hours_notices
    from server.notifications import (
        delivery,  # noqa: F401 - declares its outbox handler
        recipients,
    )
    from server.scheduler import notices as scheduler_notices  # noqa: F401 - declares kinds
    from server.teams import invitations as team_invitations
    from server.teams import notices as team_notices  # noqa: F401 - declares kinds
    events.subscribe(events.ACTIVITY_FINISHED, checkin_closing.on_activity_finished)
    events.subscribe(events.ACTIVITY_FINISHED, hours.on_activity_finished)
    # after check-in closed attendance: those it checked in are asked for feedback
    events.subscribe(events.ACTIVITY_FINISHED, feedback_notices.on_activity_finished)
    events.subscribe(events.ATTENDANCE_CHANGED, hours.follow_late_scans)
    events.subscribe(events.ACTIVITY_CANCELLING, checkin_closing.on_activity_cancelling)
    events.subscribe(events.ACTIVITY_CANCELLING, hours.on_activity_cancelling)
    events.subscribe(events.ACTIVITY_CANCELLED, activity_notices.on_cancelled)
    events.subscribe(events.ACTIVITY_CHANGED, activity_notices.on_changed)
    events.subscribe(events.HOURS_DECIDED, hours_notices.on_decided)
    events.subscribe(events.PHONE_CLAIMED, team_invitations.on_phone_claimed)
    events.subscribe(events.PHONES_CLAIMED, team_invitations.on_phones_claimed)
    _erasure(events)
    recipients.provide(accounts.recipient)
    _personal_data()


def _erasure(events) -> None:
    """Who forgets what when a person's account is deleted (accounts.erasure): teams first
    (a team they alone lead refuses it before anything changed), then sign-ups (their
    places go to those waiting), the code, pledges, feedback, and last the messages (the
    promotions just sent are the others')."""
    from server.accounts import erasure
    from server.activities import erasure as activity_erasure
    from server.checkin import codes
    from server.donations.services import limits, pledges
    from server.feedback import services as feedback
    from server.hours import services as hours
    from server.imports import services as imports
    from server.notifications import services as notifications
    from server.teams import invitations as team_invitations
    from server.teams import services as teams
    erasure.add_veto(teams.erasure_refusal)
    erasure.add_left_open(activity_erasure.place_left_open)
    erasure.add_left_open(limits.left_named)
    for handler in (teams.on_person_erased, team_invitations.on_person_erased,
                    activity_erasure.on_person_erased,
                    codes.on_person_erased,
                    hours.on_person_erased, imports.on_person_erased,
                    pledges.on_person_erased, feedback.on_person_erased,
                    notifications.on_person_erased):
        events.subscribe(events.PERSON_ERASED, handler)


def _personal_data() -> None:
    """What each domain holds about a person, in the order 我的 → 我的个人信息 lists it."""
    from flask_babel import lazy_gettext as _l

    from server.accounts import queries as accounts
    from server.activities import queries as activities
    from server.checkin import queries as checkin
    from server.core.personal_data import provide
    from server.donations.services import pledges
    from server.feedback import services as feedback
    from server.hours import services as hours
    from server.notifications import services as notifications
    from server.teams import queries as teams
    provide("profile", _l("Profile"), accounts.profile_rows)
    provide("consents", _l("Consents given"), accounts.consent_rows)
    provide("family", _l("Family members I manage"), accounts.family_rows)
    provide("signups", _l("Sign-ups"), activities.signup_rows)
    provide("scans", _l("Check-ins and check-outs"), checkin.scan_rows)
    provide("hours", _l("Hours recorded"), hours.hour_rows)
    provide("corrections", _l("Corrections I asked for"), hours.correction_rows)
    provide("certificates", _l("Certificates"), hours.certificate_rows)
    provide("pledges", _l("Pledges"), pledges.pledge_rows)
    provide("teams", _l("Volunteer teams"), teams.membership_rows)
    provide("feedback", _l("Feedback given"), feedback.feedback_rows)
    provide("messages", _l("Messages"), notifications.message_rows)
    provide("logins", _l("Logins"), accounts.login_rows)


def register(app: Flask, api: Api) -> None:
    from server.accounts import api as accounts_api
    from server.accounts import views as accounts_views
    from server.activities import api as activities_api
    from server.activities import views as activities_views
    from server.checkin import api as checkin_api
    from server.checkin import views as checkin_views
    from server.communities import api as communities_api
    from server.communities import views as communities_views
    from server.core import cli, health
    from server.donations import api as donations_api
    from server.donations import manage_views as donation_desk
    from server.donations import movements  # noqa: F401 - tables known to the metadata
    from server.donations import views as donation_views
    from server.exports import api as exports_api
    from server.exports import views as export_job_views
    from server.feedback import api as feedback_api
    from server.feedback import views as feedback_views
    from server.hours import api as hours_api
    from server.hours import cert_api, cert_views, export_views
    from server.hours import views as hours_views
    from server.imports import api as imports_api
    from server.imports import views as import_views
    from server.notifications import api as notifications_api
    from server.notifications import views as notification_views
    from server.programmes import api as programmes_api
    from server.programmes import views as programme_views
    from server.reports import api as reports_api
    from server.reports import models as report_models  # noqa: F401 - its tables
    from server.reports import views as report_views
    from server.scheduler import models as scheduler_models  # noqa: F401 - its tables
    from server.scheduler import views as scheduler_views
    from server.shell import views as shell_views
    from server.teams import api as teams_api
    from server.teams import views as team_views

    _subscribe()
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorised)
    app.context_processor(_template_globals)

    for blp in (*accounts_api.blueprints, *communities_api.blueprints,
                *activities_api.blueprints, *checkin_api.blueprints, *hours_api.blueprints,
                *cert_api.blueprints, *export_views.blueprints, *donations_api.blueprints,
                *notifications_api.blueprints, *reports_api.blueprints,
                *programmes_api.blueprints, *imports_api.blueprints,
                *teams_api.blueprints, *feedback_api.blueprints, *exports_api.blueprints,
                *health.blueprints):
        api.register_blueprint(blp)
    from server.core.api import document_errors
    document_errors(api)
    for bp in (accounts_views.bp, communities_views.bp, activities_views.bp, shell_views.bp,
               checkin_views.bp, hours_views.bp, cert_views.bp, export_views.bp,
               donation_views.bp, donation_desk.bp, notification_views.bp, scheduler_views.bp,
               report_views.bp, programme_views.bp,
               import_views.bp, team_views.bp, feedback_views.bp, export_job_views.bp):
        app.register_blueprint(bp)
    cli.register(app)
