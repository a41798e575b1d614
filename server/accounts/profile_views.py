"""Page endpoints (thin) about oneself: profile, devices, language, care mode (messages are
server/notifications/views.py)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from server.accounts import family, permissions, services, sessions
from server.accounts.login import log_out
from server.accounts.models import SKILLS
from server.accounts.schemas import ProfileIn
from server.accounts.views import bp
from server.communities.services import places_for_residents
from server.core import clock
from server.core.pages import FORM_ERRORS, load_form, me, problem, safe_next

PROFILE_FIELDS = ("name", "gender", "birth_date", "home_node_id", "skills", "email")
LANG_ALIASES = {"zh": "zh_CN", "zh-CN": "zh_CN", "zh_CN": "zh_CN", "en": "en"}
ONE_YEAR = 365 * 24 * 3600


@bp.route("/me", endpoint="me")
@login_required
def me_page():
    """My profile and everything about me."""
    user = me()
    return render_template("accounts/me.html", user=user,
                           family_count=len(family.members_of(user)),
                           admin=bool(permissions.assignments(user, "admin")),
                           overseer=bool(permissions.assignments(user, "coordinator", "admin")))


def _profile_values(user) -> dict:
    return {"name": user.name, "gender": user.gender or "",
            "birth_date": user.birth_date.isoformat() if user.birth_date else "",
            "home_node_id": user.home_node_id or "", "skills": list(user.skills or []),
            "email": user.email or ""}


@bp.route("/me/data")
@login_required
def my_data():
    """What Wushe holds about me, section by section, and the download of all of it."""
    from server.accounts import erasure
    return _my_data_page(refused=erasure.refusal(me()))


def _my_data_page(*, refused=None, message=None, status=200):
    from server.core import personal_data
    return render_template("accounts/my_data.html", sections=personal_data.collect(me()),
                           refused=refused, message=message), status


@bp.route("/me/data/erase", methods=["POST"])
@login_required
def erase_me():
    """Delete my account, at my request: logged out, and told it is done."""
    from server.accounts import erasure
    try:
        erasure.erase(me(), confirmed=request.form.get("confirm") == "1", now=clock.now())
    except FORM_ERRORS as exc:
        message, _fields, status = problem(exc)
        return _my_data_page(refused=erasure.refusal(me()), message=message, status=status)
    log_out(now=clock.now())
    flash(_("Your account has been deleted. Thank you for all you did."), "success")
    return redirect(url_for("activities_pages.index"))


@bp.route("/me/data.json")
@login_required
def my_data_file():
    """All of it as one JSON file, to keep (personal data: never cached)."""
    import json

    from flask import Response

    from server.core import personal_data
    body = json.dumps(personal_data.document(me(), now=clock.now()), ensure_ascii=False,
                      indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="wushe-my-data.json"',
        "Cache-Control": "no-store"})


@bp.route("/me/devices")
@login_required
def devices():
    """Where I am logged in, and a way to log out of all of them."""
    user = me()
    rows = [(row, sessions.is_current(row, user)) for row in sessions.live(user, now=clock.now())]
    return render_template("accounts/devices.html", rows=rows)


@bp.route("/me/devices/logout", methods=["POST"])
@login_required
def logout_everywhere():
    """Log out of every device, this one included."""
    count = log_out(now=clock.now(), everywhere=True)
    flash(ngettext("Logged out of %(num)d device.", "Logged out of %(num)d devices.", count),
          "success")
    return redirect(url_for("accounts_pages.login"))


@bp.route("/me/edit", methods=["GET", "POST"])
@login_required
def edit_profile():
    """Change my name, gender, birth date, community, skills and e-mail address."""
    user = me()
    message, fields, status = None, {}, 200
    values = _profile_values(user)
    if request.method == "POST":
        try:
            data = load_form(ProfileIn(only=PROFILE_FIELDS))
            services.update_profile(user, now=clock.now(), **data)
        except FORM_ERRORS as exc:
            message, fields, status = problem(exc)
            values = {**request.form.to_dict(), "skills": request.form.getlist("skills")}
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts_pages.me"))
    return render_template("accounts/edit.html", values=values, message=message,
                           errors=fields, places=places_for_residents(),
                           skills=SKILLS), status


@bp.route("/me/care-mode", methods=["POST"])
@login_required
def care_mode():
    """Turn 关怀模式 (larger text, stronger contrast) on or off."""
    user = me()
    services.update_profile(user, now=clock.now(), care_mode=not user.care_mode)
    flash(_("Care mode is on.") if user.care_mode else _("Care mode is off."), "success")
    return redirect(safe_next(url_for("accounts_pages.me")))


@bp.route("/care/<any(on, off):state>")
def care_cookie(state: str):
    """关怀模式 for visitors who are not logged in (logged-in people keep it in their profile)."""
    resp = redirect(safe_next(url_for("activities_pages.index")))
    resp.set_cookie("care", "1" if state == "on" else "0", max_age=ONE_YEAR, samesite="Lax",
                    httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return resp


@bp.route("/lang/<code>", methods=["GET", "POST"])
def lang(code: str):
    """Switch the interface language, remembered in a cookie. The form on 我的 (a POST, with
    its CSRF token) also saves it as the person's language: the messages, SMS codes and
    e-mails sent to them follow it. A GET (the visitors' links at the foot of each page, or
    a link from another site, or a prefetch) changes the pages only, never the account."""
    locale = LANG_ALIASES.get(code)
    if locale not in current_app.config["LANGUAGES"]:
        abort(404)
    if request.method == "POST" and current_user.is_authenticated \
            and current_user.locale != locale:
        services.update_profile(me(), now=clock.now(), locale=locale)
    resp = redirect(safe_next(url_for("activities_pages.index")))
    resp.set_cookie("lang", locale, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                    secure=current_app.config["SESSION_COOKIE_SECURE"])
    return resp
