"""Page endpoints (thin) for SMS codes: forgot password, log in by code.

Two steps each, one thing per screen, and no JavaScript needed: the mobile number (and a
"send code" button), then the code (with a new password, to reset). Between the steps the
number waits in the session, never in a URL (addresses end up in logs). The resend button
counts down with JavaScript (resendCode in web/src/components.js); without it the server's
limit answers a press that comes too early, as it does for everyone.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from server.accounts import errors, phone_codes, services
from server.accounts.login import log_in
from server.accounts.privacy import mask_phone
from server.accounts.schemas import CodeLoginIn, CodeRequestIn, PasswordResetIn
from server.accounts.views import bp
from server.core import clock
from server.core.pages import FORM_ERRORS, load_form, me, problem, safe_next

PENDING = "phone_code"  # session: {"phone": ..., "purpose": ...} between the two steps
STEPS = {"reset": ("accounts_pages.forgot_password", "accounts_pages.reset_password"),
         "login": ("accounts_pages.sms_login", "accounts_pages.sms_login_code")}


def _next_args() -> dict:
    target = safe_next("")
    return {"next": target} if target else {}


def _ask(purpose: str):
    enter = STEPS[purpose][1]
    message, fields, status = None, {}, 200
    if request.method == "POST":
        try:
            phone = services.normalise_phone(load_form(CodeRequestIn(only=("phone",)))["phone"])
            phone_codes.request_code(phone=phone, purpose=purpose, ip=request.remote_addr,
                                     now=clock.now())
        except errors.CodeTooSoon as exc:
            # a second tap, a resend too early or a limit reached: an earlier code may still
            # be valid, so the person goes on to type it, told when a new one can come
            flash(problem(exc)[0], "warning")
        except FORM_ERRORS as exc:
            message, fields, status = problem(exc)
            return render_template(
                "accounts/code_ask.html", purpose=purpose, message=message, errors=fields,
                phone=request.form.get("phone", ""), next=safe_next("")), status
        session[PENDING] = {"phone": phone, "purpose": purpose}
        return redirect(url_for(enter, **_next_args()))
    return render_template("accounts/code_ask.html", purpose=purpose, message=None, errors={},
                           phone="", next=safe_next(""))


def _enter(purpose: str):
    ask = STEPS[purpose][0]
    pending = session.get(PENDING) or {}
    if pending.get("purpose") != purpose or not pending.get("phone"):
        return redirect(url_for(ask, **_next_args()))
    phone = pending["phone"]
    message, fields, status = None, {}, 200
    if request.method == "POST":
        schema = (PasswordResetIn(only=("code", "password", "remember")) if purpose == "reset"
                  else CodeLoginIn(only=("code", "remember")))
        try:
            data = load_form(schema)
            if purpose == "reset":
                user = phone_codes.reset_password(phone=phone, code=data["code"],
                                                  password=data["password"], now=clock.now())
            else:
                user = phone_codes.log_in_with_code(phone=phone, code=data["code"],
                                                    now=clock.now())
        except (*FORM_ERRORS, errors.AccountDisabled) as exc:
            message, fields, status = problem(exc)
        else:
            log_in(user, remember=data["remember"], now=clock.now())  # a fresh session
            if purpose == "reset":
                flash(_("Your password is changed. You are logged in on this phone; every "
                        "other device was logged out."), "success")
            else:
                flash(_("Welcome back, %(name)s.", name=user.name), "success")
            return redirect(safe_next(url_for("activities_pages.index")))
    wait = phone_codes.wait_seconds(phone, ip=request.remote_addr, now=clock.now())
    return render_template("accounts/code_enter.html", purpose=purpose, message=message,
                           errors=fields, phone=phone, masked=mask_phone(phone), wait=wait,
                           minutes=current_app.config["PHONE_CODE_MINUTES"],
                           remember=bool(request.form.get("remember")),
                           next=safe_next("")), status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Forgot password: the mobile number, to send a reset code to."""
    return _ask("reset")


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    """The reset code from the SMS and a new password."""
    return _enter("reset")


@bp.route("/login/sms", methods=["GET", "POST"])
def sms_login():
    """Log in by SMS code: the mobile number, to send a login code to."""
    if me() is not None and request.method == "GET":
        return redirect(safe_next(url_for("activities_pages.index")))
    return _ask("login")


@bp.route("/login/sms/code", methods=["GET", "POST"])
def sms_login_code():
    """Log in by SMS code: the code from the SMS."""
    return _enter("login")
