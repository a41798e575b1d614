"""Page endpoints (thin) for certificates: my certificates and requests, the issuing body's
list, the PDF download, and the public verification page the printed QR opens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from server.accounts import family, identity, permissions
from server.communities.services import get_organisation
from server.core import clock
from server.core.pages import FORM_ERRORS, kept_values, load_form, me, problem
from server.hours import certificates as certs
from server.hours.cert_api import CertificateRequestIn, CertReasonIn, IssueIn, pdf_response

bp = Blueprint("certificate_pages", __name__)

CERT_STATUS = {
    "requested": _l("Requested"),
    "issued": _l("Issued"),
    "declined": _l("Declined"),
    "revoked": _l("Revoked"),
}
# the public answer must not be cached, indexed, or leak its signed link onwards
PUBLIC_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                  "X-Robots-Tag": "noindex, nofollow"}


@bp.app_template_filter("cert_hours")
def cert_hours(minutes: int | None) -> str:
    """Minutes as hours with one decimal: 750 -> "12.5"."""
    return certs.hours_text(minutes)


# the volunteer ------------------------------------------------------------------------------

def _render_mine(*, values=None, errors=None, message=None, status=200, person=None):
    user = me()
    person = person or user
    member = person.id if person.id != user.id else None
    return render_template(
        "certificates/mine.html", items=certs.mine(person), person=person, member=member,
        members=family.members_of(user),
        # a member's certificate is asked for in their own name with their ID: at the
        # organising body, not from here
        organisations=[] if member else certs.eligible_organisations(user),
        id_types=[(k, str(v)) for k, v in identity.ID_TYPE_LABELS.items()],
        id_on_file=identity.masked_number(user) if user.id_type else "",
        statuses=CERT_STATUS, organisation_of=certs.organisation_of,
        values=values or {}, errors=errors or {},
        message=message), status


@bp.route("/hours/certificates")
@login_required
def mine():
    """My certificates, and a request to an organising body; a tab for each family member
    I manage, with theirs."""
    from server.hours.views import member_arg
    return _render_mine(person=family.acting_for(me(), member_arg()))


@bp.route("/hours/certificates", methods=["POST"])
@login_required
def request_certificate():
    """Ask an organising body for a certificate."""
    try:
        data = load_form(CertificateRequestIn())
        certs.request_certificate(
            me(), get_organisation(data["organisation_id"]), now=clock.now(),
            purpose=data["purpose"], id_type=data["id_type"], id_number=data["id_number"])
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        values = kept_values(request.form)
        return _render_mine(values=values, errors=fields, message=message, status=status)
    flash(_("Request sent. The organisation will issue your certificate free of charge."),
          "success")
    return redirect(url_for("certificate_pages.mine"))


@bp.route("/certificates/<int:cert_id>.pdf")
@login_required
def download(cert_id: int):
    """The PDF: the volunteer's own, or for the issuing body's reviewers."""
    cert = certs.get_certificate(cert_id)
    return pdf_response(cert, certs.pdf_for(cert, viewer=me()))


# the issuing body ---------------------------------------------------------------------------

def _render_review(*, failed_id=None, errors=None, message=None, status=200):
    user = me()
    pending = certs.for_reviewer(user)
    issued = certs.for_reviewer(user, statuses=("issued",))
    if not pending and not issued and not permissions.has_any_role(user):
        abort(403)
    previews = {c.id: certs.approved_lines(c.user_id, c.organisation_id) for c in pending}
    return render_template(
        "certificates/review.html", pending=pending, issued=issued,
        previews=previews, organisation_of=certs.organisation_of,
        masked_number=identity.masked_number, failed_id=failed_id, errors=errors or {},
        message=message), status


@bp.route("/review/certificates")
@login_required
def review():
    """Requests waiting for the bodies I issue for, and what they have issued."""
    return _render_review()


def _decide(cert_id: int, action, done: str):
    try:
        action(certs.get_certificate(cert_id))
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _render_review(failed_id=cert_id, errors=fields, message=message,
                              status=status)
    flash(done, "success")
    return redirect(url_for("certificate_pages.review"))


@bp.route("/review/certificates/<int:cert_id>/issue", methods=["POST"])
@login_required
def issue(cert_id: int):
    """Issue a requested certificate."""
    def act(cert):
        data = load_form(IssueIn())
        certs.issue(cert, issuer=me(), now=clock.now(), base_url=request.host_url,
                    leader_name=data["leader_name"])
    return _decide(cert_id, act, _("Certificate issued. The volunteer can download it now."))


@bp.route("/review/certificates/<int:cert_id>/decline", methods=["POST"])
@login_required
def decline(cert_id: int):
    """Decline a request, with a reason."""
    def act(cert):
        certs.decline(cert, issuer=me(), reason=load_form(CertReasonIn())["reason"],
                      now=clock.now())
    return _decide(cert_id, act, _("Request declined. The volunteer sees your reason."))


@bp.route("/review/certificates/<int:cert_id>/revoke", methods=["POST"])
@login_required
def revoke(cert_id: int):
    """Revoke an issued certificate, with a reason."""
    def act(cert):
        certs.revoke(cert, actor=me(), reason=load_form(CertReasonIn())["reason"],
                     now=clock.now())
    return _decide(cert_id, act, _("Certificate revoked. It now verifies as revoked."))


# anyone, no login ---------------------------------------------------------------------------

def _answer(result: certs.Verification, *, uploaded: bool = False):
    body = render_template("certificates/verify.html", result=result, uploaded=uploaded)
    return body, 200, PUBLIC_HEADERS


@bp.route("/verify/<number>")
def verify(number: str):
    """What the printed QR opens: valid, revoked or not valid, and nothing personal."""
    return _answer(certs.verify(number, request.args.get("s")))


@bp.route("/verify", methods=["GET", "POST"])
def verify_upload():
    """Check a certificate PDF someone sent you: only the issued file itself is valid."""
    if request.method == "GET":
        return render_template("certificates/verify_upload.html"), 200, PUBLIC_HEADERS
    upload = request.files.get("pdf")
    data = upload.stream.read(certs.MAX_PDF_BYTES + 1) if upload else b""
    return _answer(certs.verify_pdf(data), uploaded=True)
