"""/api/v1/certificates: request, issue, decline, revoke, download; public verification."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, request
from flask_login import login_required
from flask_smorest.fields import Upload
from marshmallow import validate as v

from server.accounts import identity
from server.accounts.family import acting_for
from server.communities.services import get_organisation
from server.core import clock
from server.core.api import Blueprint
from server.core.fields import Id, LocalDateTime, NestedFrom, Text
from server.core.pages import me
from server.hours import certificates as certs
from server.hours import errors
from server.hours.models import Certificate
from server.hours.schemas import MemberArgs

blp = Blueprint("certificates", __name__, url_prefix="/api/v1/certificates",
                description="Certificates (志愿服务记录证明): request, issue, verify.")
blueprints = [blp]


# schemas ------------------------------------------------------------------------------------

class CertificateRequestIn(ma.Schema):
    organisation_id = Id(required=True)
    purpose = ma.fields.String(load_default="", validate=v.Length(max=200))
    id_type = ma.fields.String(load_default=None, allow_none=True,
                               validate=v.OneOf(identity.ID_TYPES))
    id_number = ma.fields.String(load_default=None, allow_none=True,
                                 validate=v.Length(max=40))


class IssueIn(ma.Schema):
    leader_name = ma.fields.String(load_default=None, allow_none=True,
                                   validate=v.Length(max=40))


class CertReasonIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=v.Length(min=1, max=2000))


class ReviewArgs(ma.Schema):
    status = ma.fields.String(load_default="requested",
                              validate=v.OneOf(("requested", "issued")))


class VerifyArgs(ma.Schema):
    number = ma.fields.String(required=True, validate=v.Length(max=32))
    s = ma.fields.String(required=True, validate=v.Length(max=128))


class VerifyPdfIn(ma.Schema):
    pdf = Upload(required=True)


class OrganisationRefOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class CertificateLineOut(ma.Schema):
    date = ma.fields.String()
    title = ma.fields.String()
    minutes = ma.fields.Integer()
    hours = Text(lambda line: certs.hours_text(line["minutes"]))


class CertificateVolunteerOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    id_number_masked = ma.fields.String(allow_none=True)


class CertificateOut(ma.Schema):
    """A certificate as its volunteer and the issuing body's reviewers see it."""

    id = ma.fields.Integer()
    number = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    organisation = NestedFrom(
        OrganisationRefOut,
        lambda c: {"id": c.organisation_id, "name": certs.organisation_of(c).name})
    volunteer = NestedFrom(CertificateVolunteerOut, lambda c: {
        "id": c.user_id, "name": c.user.name,
        "id_number_masked": identity.masked_number(c.user) or None})
    purpose = ma.fields.String(allow_none=True)
    requested_at = LocalDateTime()
    volunteer_name = ma.fields.String(allow_none=True)
    id_type = ma.fields.String(allow_none=True)
    id_number_masked = ma.fields.String(allow_none=True)
    volunteer_number = ma.fields.String(allow_none=True)
    total_minutes = ma.fields.Integer(allow_none=True)
    total_hours = Text(
        lambda c: None if c.total_minutes is None else certs.hours_text(c.total_minutes),
        nullable=True)
    lines = ma.fields.List(ma.fields.Nested(CertificateLineOut))
    issuer_name = ma.fields.String(allow_none=True)
    leader_name = ma.fields.String(allow_none=True)
    handler_name = ma.fields.String(allow_none=True)
    contact = ma.fields.String(allow_none=True)
    issued_at = LocalDateTime(allow_none=True)
    reason = ma.fields.String(attribute="revoked_reason", allow_none=True,
                              metadata={"description": "why it was declined or revoked"})
    decided_at = LocalDateTime(attribute="revoked_at", allow_none=True)
    verify_url = Text(lambda c: certs.verification_url(c) if c.signature else None,
                      nullable=True)


class VerificationOut(ma.Schema):
    """All that anyone may learn: no phone, no unmasked name, no ID number."""

    status = ma.fields.String(metadata={"description": "valid | revoked | invalid"})
    number = ma.fields.String(allow_none=True)
    masked_name = ma.fields.String(allow_none=True)
    total_hours = ma.fields.String(allow_none=True)
    issuer = ma.fields.String(allow_none=True)
    issued_on = ma.fields.Date(allow_none=True)


def _visible(cert_id: int) -> Certificate:
    """The volunteer's own or one the viewer may issue; anyone else's is "not found"."""
    cert = certs.get_certificate(cert_id)
    if not certs.can_download(me(), cert):
        raise errors.CertificateNotFound()
    return cert


def pdf_response(cert: Certificate, data: bytes) -> Response:
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{cert.number}.pdf"',
        "Cache-Control": "private, no-store"})


# the volunteer ------------------------------------------------------------------------------

@blp.route("", methods=["GET"])
@login_required
@blp.arguments(MemberArgs, location="query")
@blp.response(200, CertificateOut(many=True))
def list_mine(args):
    """My certificates and requests (or my family member's, `member_id`), newest first."""
    return certs.mine(acting_for(me(), args["member_id"]))


@blp.route("/organisations", methods=["GET"])
@login_required
@blp.response(200, OrganisationRefOut(many=True))
def eligible():
    """The organising bodies I may ask: those that recorded approved hours of mine."""
    return certs.eligible_organisations(me())


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(CertificateRequestIn)
@blp.response(201, CertificateOut)
def request_certificate(data):
    """Ask an organising body for a certificate (free of charge)."""
    return certs.request_certificate(
        me(), get_organisation(data["organisation_id"]), now=clock.now(),
        purpose=data["purpose"], id_type=data["id_type"], id_number=data["id_number"])


@blp.route("/<int:cert_id>", methods=["GET"])
@login_required
@blp.response(200, CertificateOut)
def show(cert_id):
    """One certificate: the volunteer's own, or one the viewer's body issues."""
    return _visible(cert_id)


@blp.route("/<int:cert_id>/pdf", methods=["GET"])
@login_required
@blp.response(200, description="The certificate as a PDF", content_type="application/pdf")
def pdf(cert_id):
    """The certificate's PDF, byte for byte the one that was issued."""
    cert = certs.get_certificate(cert_id)
    return pdf_response(cert, certs.pdf_for(cert, viewer=me()))


# the issuing body ---------------------------------------------------------------------------

@blp.route("/review", methods=["GET"])
@login_required
@blp.arguments(ReviewArgs, location="query")
@blp.response(200, CertificateOut(many=True))
def review_list(args):
    """Requests waiting (or certificates issued) for the bodies the viewer issues for."""
    return certs.for_reviewer(me(), statuses=(args["status"],))


@blp.route("/<int:cert_id>/issue", methods=["POST"])
@login_required
@blp.arguments(IssueIn)
@blp.response(200, CertificateOut)
def issue(data, cert_id):
    """Issue: freeze the approved hours of this body, sign them, make the PDF."""
    return certs.issue(certs.get_certificate(cert_id), issuer=me(), now=clock.now(),
                       base_url=request.host_url, leader_name=data["leader_name"])


@blp.route("/<int:cert_id>/decline", methods=["POST"])
@login_required
@blp.arguments(CertReasonIn)
@blp.response(200, CertificateOut)
def decline(data, cert_id):
    """Decline a request, with a reason for the volunteer."""
    return certs.decline(certs.get_certificate(cert_id), issuer=me(), reason=data["reason"],
                         now=clock.now())


@blp.route("/<int:cert_id>/revoke", methods=["POST"])
@login_required
@blp.arguments(CertReasonIn)
@blp.response(200, CertificateOut)
def revoke(data, cert_id):
    """Revoke an issued certificate, with a reason; it verifies as revoked from now on."""
    return certs.revoke(certs.get_certificate(cert_id), actor=me(), reason=data["reason"],
                        now=clock.now())


# anyone -------------------------------------------------------------------------------------

@blp.route("/verify", methods=["GET"])
@blp.arguments(VerifyArgs, location="query")
@blp.response(200, VerificationOut)
def verify(args):
    """Check a certificate by its number and signature (the QR's link); no login."""
    return certs.verify(args["number"], args["s"])


@blp.route("/verify", methods=["POST"])
@blp.arguments(VerifyPdfIn, location="files")
@blp.response(200, VerificationOut)
def verify_pdf(files):
    """Check an uploaded PDF: valid only if it is exactly the file that was issued."""
    return certs.verify_pdf(files["pdf"].stream.read(certs.MAX_PDF_BYTES + 1))
