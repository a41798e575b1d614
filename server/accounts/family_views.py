"""Page endpoints (thin): one's family members (家庭成员) and residents a community worker
registers on their behalf (/manage/residents)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.accounts import errors, family, permissions
from server.accounts.schemas import FamilyMemberIn, HandoverCodeIn, HandoverIn, ResidentIn
from server.accounts.throttle import handover_limit
from server.accounts.views import bp
from server.communities.services import places_for_residents
from server.core import clock
from server.core.pages import FORM_ERRORS, kept_values, load_form, me, problem


@bp.route("/me/family", endpoint="family")
@login_required
def family_page():
    """My family members without a phone: sign them up, show their codes."""
    return render_template("accounts/family.html", members=family.members_of(me()),
                           limit=current_app.config["FAMILY_MEMBERS_MAX"])


@bp.route("/me/family/new", methods=["GET", "POST"])
@login_required
def add_family_member():
    """Add a family member: a child (with my consent as guardian) or an adult who agreed."""
    message, fields, status, values = None, {}, 200, request.form.to_dict()
    if request.method == "POST":
        try:
            data = load_form(FamilyMemberIn())
            member = family.add_member(me(), now=clock.now(), ip=request.remote_addr, **data)
        except (*FORM_ERRORS, errors.ManagedCannotManage) as exc:
            message, fields, status = problem(exc)
        else:
            flash(_("%(name)s is added. You can now sign them up.", name=member.name),
                  "success")
            return redirect(url_for("accounts_pages.family_member", member_id=member.id))
    return render_template("accounts/family_new.html", message=message, errors=fields,
                           values=values, places=places_for_residents(),
                           guardian_age=current_app.config["GUARDIAN_CONSENT_AGE"]), status


@bp.route("/me/family/<int:member_id>")
@login_required
def family_member(member_id: int):
    """One family member: who they are, who registered them and with whose consent."""
    try:
        member = family.get_member(me(), member_id)
    except errors.MemberNotFound:
        abort(404)
    return render_template("accounts/family_member.html", member=member,
                           consents=family.consents_of(member))


def _own_member(member_id: int):
    try:
        return family.get_member(me(), member_id)
    except errors.MemberNotFound:
        abort(404)


@bp.route("/me/family/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit_family_member(member_id: int):
    """Correct a family member's details."""
    member = _own_member(member_id)
    message, fields, status = None, {}, 200
    values = request.form.to_dict() if request.method == "POST" else {
        "name": member.name, "relation": member.relation, "gender": member.gender or "",
        "birth_date": member.birth_date.isoformat() if member.birth_date else "",
        "home_node_id": str(member.home_node_id or "")}
    if request.method == "POST":
        try:
            data = load_form(FamilyMemberIn())
            family.update_member(me(), member, now=clock.now(), ip=request.remote_addr,
                                 **data)
        except FORM_ERRORS as exc:
            message, fields, status = problem(exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("accounts_pages.family_member", member_id=member_id))
    return render_template("accounts/family_new.html", member=member, message=message,
                           errors=fields, values=values, places=places_for_residents(),
                           guardian_age=current_app.config["GUARDIAN_CONSENT_AGE"]), status


@bp.route("/me/family/<int:member_id>/remove", methods=["POST"])
@login_required
def remove_family_member(member_id: int):
    """Take a family member off my list (nothing of theirs is deleted)."""
    member = _own_member(member_id)
    try:
        family.remove_member(me(), member, now=clock.now())
    except FORM_ERRORS as exc:
        message, _fields, status = problem(exc)
        return render_template("accounts/family_member.html", member=member,
                               consents=family.consents_of(member), message=message), status
    flash(_("%(name)s is no longer on your list. Their records are kept.", name=member.name),
          "success")
    return redirect(url_for("accounts_pages.family"))


@bp.route("/me/family/<int:member_id>/handover", methods=["GET", "POST"])
@login_required
@handover_limit
def handover(member_id: int):
    """Give a member their own login: their phone number, then the code sent to it."""
    member = _own_member(member_id)
    message, fields, status = None, {}, 200
    values = request.form.to_dict()
    step = "number"
    if request.method == "POST":
        try:
            data = load_form(HandoverCodeIn())
            family.ask_handover(me(), member, phone=data["phone"], ip=request.remote_addr,
                                now=clock.now())
        except (*FORM_ERRORS, errors.CodeTooSoon) as exc:
            message, fields, status = problem(exc)
        else:
            step = "code"
    return render_template("accounts/family_handover.html", member=member, step=step,
                           message=message, errors=fields, values=values), status


@bp.route("/me/family/<int:member_id>/handover/confirm", methods=["POST"])
@login_required
def confirm_handover(member_id: int):
    """The code from the member's phone: they log in themself from now on."""
    member = _own_member(member_id)
    values = kept_values(request.form)
    try:
        data = load_form(HandoverIn())
        family.hand_over(me(), member, phone=data["phone"], code=data["code"], now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return render_template("accounts/family_handover.html", member=member, step="code",
                               message=message, errors=fields, values=values), status
    flash(_("%(name)s now logs in with their own phone, with an SMS code.", name=member.name),
          "success")
    return redirect(url_for("accounts_pages.family"))


@bp.route("/manage/residents", methods=["GET", "POST"])
@login_required
def residents():
    """Register a resident on their behalf (staff, in their own communities)."""
    worker = me()
    if not permissions.has_any_role(worker):
        abort(403)
    message, fields, status, values = None, {}, 200, request.form.to_dict()
    if request.method == "POST":
        try:
            data = load_form(ResidentIn())
            resident = family.register_resident(worker, now=clock.now(),
                                                ip=request.remote_addr, **data)
        except (*FORM_ERRORS, errors.NodeOutOfScope) as exc:
            message, fields, status = problem(exc)
        else:
            flash(_("%(name)s is registered. They can log in with an SMS code to their phone.",
                    name=resident.name), "success")
            return redirect(url_for("accounts_pages.residents"))
    return render_template("accounts/residents.html", message=message, errors=fields,
                           values=values, places=family.worker_places(worker),
                           recent=family.registered_by_worker(worker)), status
