"""Certificates (志愿服务记录证明): requested by a volunteer, issued by the organising body.

"谁记录谁证明": the organisation whose activities earned the hours issues the certificate,
never the platform and never the volunteer themself. Everything printed is frozen at issue
and covered by an HMAC (a key derived from SECRET_KEY), so the public verification page can
tell a genuine certificate from an edited one; the PDF is rendered deterministically from the
frozen fields and its SHA-256 kept, so an uploaded PDF verifies only if not a byte changed.

A declined request keeps its reason, time and decider in the revoked_* columns: both are
"why and by whom this certificate is not (or no longer) valid".
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from server.accounts import identity, permissions
from server.accounts.models import User
from server.accounts.privacy import mask_name
from server.activities.models import Activity
from server.communities.models import Node, Organisation
from server.core import keys, timefmt
from server.core.clock import as_utc, local
from server.core.db import fetch
from server.core.errors import ValidationError
from server.extensions import db
from server.hours import errors, notices
from server.hours.models import CERTIFICATE_STATUSES, Certificate, HourEntry, HourReview

STATUSES = CERTIFICATE_STATUSES
_SIGNING_LABEL = b"wushe:certificate-signature:v1"
MAX_PDF_BYTES = 5 * 1024 * 1024


def hours_text(minutes: int | None) -> str:
    """Minutes as hours with one decimal, rounded half up: 750 -> "12.5"."""
    return str(timefmt.hours(minutes))


def duration_text(minutes: int | None) -> str:
    """Minutes exactly, as a certificate's lines and their total read, in Chinese as the
    whole certificate: 150 -> "2小时30分", 45 -> "45分". Lines in decimal hours, each
    rounded, did not add up to their rounded total (three of 10 minutes: 0.2 + 0.2 + 0.2
    against 0.5)."""
    with force_locale("zh_CN"):
        return timefmt.duration(minutes)


# who may do what ----------------------------------------------------------------------------

def can_issue(user: User | None, organisation: Organisation) -> bool:
    """The body's organisers, and coordinators or admins at or above its node."""
    return (organisation.id in permissions.organiser_org_ids(user)
            or permissions.oversees(user, organisation.node))


def can_download(user: User | None, cert: Certificate) -> bool:
    if user is None:
        return False
    from server.hours.services import speaks_for
    return speaks_for(user, cert.user_id) or can_issue(user, organisation_of(cert))


def organisation_of(cert: Certificate) -> Organisation:
    return db.session.get(Organisation, cert.organisation_id)


# the hours a certificate is made of ---------------------------------------------------------

def approved_lines(user_id: int, organisation_id: int) -> list[dict]:
    """Approved minutes by activity of this body, net of reversals, zero lines left out."""
    rows = db.session.execute(
        select(Activity.id, Activity.title, Activity.starts_at, func.sum(HourEntry.minutes))
        .join(HourEntry, HourEntry.activity_id == Activity.id)
        .join(HourReview, HourReview.entry_id == HourEntry.id)
        .where(HourEntry.user_id == user_id, Activity.organisation_id == organisation_id,
               HourReview.decision == "approved")
        .group_by(Activity.id, Activity.title, Activity.starts_at)
        .order_by(Activity.starts_at, Activity.id)).all()
    return [{"date": local(starts_at).date().isoformat(), "title": title, "minutes": int(total)}
            for _id, title, starts_at, total in rows if total]


def eligible_organisations(user: User) -> list[Organisation]:
    """Bodies that organised an activity where this person has approved hours."""
    ids = list(db.session.scalars(
        select(Activity.organisation_id)
        .join(HourEntry, HourEntry.activity_id == Activity.id)
        .join(HourReview, HourReview.entry_id == HourEntry.id)
        .where(HourEntry.user_id == user.id, HourReview.decision == "approved")
        .group_by(Activity.organisation_id).having(func.sum(HourEntry.minutes) > 0)))
    if not ids:
        return []
    return list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)))


# reading ------------------------------------------------------------------------------------

def get_certificate(cert_id: int, *, lock: bool = False) -> Certificate:
    return fetch(Certificate, cert_id, errors.CertificateNotFound, lock=lock)


def mine(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                   .order_by(Certificate.requested_at.desc(),
                                             Certificate.id.desc())))


def for_reviewer(reviewer: User, *, statuses: tuple[str, ...] = ("requested",),
                 limit: int = 200) -> list[Certificate]:
    """Certificates of the bodies this person issues for (never their own): requests
    oldest first (first come, first served), anything else newest first."""
    org_ids = permissions.organiser_org_ids(reviewer)
    cond = permissions.under(Node.path, permissions.scope_paths(reviewer, "coordinator",
                                                                "admin"))
    if org_ids:
        cond = cond | Organisation.id.in_(org_ids)
    return list(db.session.scalars(
        select(Certificate)
        .join(Organisation, Certificate.organisation_id == Organisation.id)
        .join(Node, Organisation.node_id == Node.id)
        .where(cond, Certificate.status.in_(statuses), Certificate.user_id != reviewer.id)
        .options(joinedload(Certificate.user))
        .order_by(*((Certificate.requested_at, Certificate.id) if statuses == ("requested",)
                    else (Certificate.issued_at.desc(), Certificate.id.desc())))
        .limit(limit)))


# the volunteer asks -------------------------------------------------------------------------

def request_certificate(user: User, organisation: Organisation, *, now: datetime,
                        purpose: str | None = None, id_type: str | None = None,
                        id_number: str | None = None) -> Certificate:
    """Ask a body that recorded approved hours of mine for a certificate (free of charge)."""
    # one open request per person and body: serialise this person's requests on their row
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if organisation.id not in {o.id for o in eligible_organisations(user)}:
        raise errors.NoHoursWithOrganisation()
    purpose = " ".join((purpose or "").split())
    if len(purpose) > 200:
        raise ValidationError(errors={"purpose": ["length"]})
    if normalised := identity.normalise(id_number):
        identity.set_identity(user, id_type=id_type or "resident_id", id_number=normalised,
                              now=now)
    open_one = db.session.scalar(select(Certificate.id).where(
        Certificate.user_id == user.id, Certificate.organisation_id == organisation.id,
        Certificate.status == "requested"))
    if open_one:
        raise errors.CertificateRequestOpen()
    cert = Certificate(user_id=user.id, organisation_id=organisation.id, status="requested",
                       requested_at=now, purpose=purpose or None, lines=[])
    db.session.add(cert)
    db.session.flush()
    return cert


# the body decides ---------------------------------------------------------------------------

def _decider_checked(cert: Certificate, user: User, status: str,
                     wrong_state: type[Exception]) -> Certificate:
    cert = get_certificate(cert.id, lock=True)
    if not can_issue(user, organisation_of(cert)):
        raise errors.NotIssuer()
    if cert.user_id == user.id:
        raise errors.OwnCertificate()
    if cert.status != status:
        raise wrong_state()
    return cert


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(errors={"reason": ["required"]})
    return reason[:2000]


def issue(cert: Certificate, *, issuer: User, now: datetime, base_url: str,
          leader_name: str | None = None) -> Certificate:
    """Freeze the approved hours of this body into a signed certificate and its PDF."""
    cert = _decider_checked(cert, issuer, "requested", errors.CertificateNotRequested)
    organisation, volunteer = organisation_of(cert), cert.user
    number = identity.decrypt(volunteer.id_number_encrypted)
    if not (volunteer.id_type and number):
        raise errors.IdentityMissing()
    lines = approved_lines(volunteer.id, organisation.id)
    if not lines:
        raise errors.NoHoursWithOrganisation()
    leader = " ".join((leader_name or organisation.leader_name or "").split())
    if not 1 <= len(leader) <= 40:
        raise ValidationError(errors={"leader_name": ["required" if not leader else "length"]})
    if not organisation.contact_phone:
        raise errors.OrganisationIncomplete()
    base_url = (base_url or "").strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")) or len(base_url) > 200:
        raise ValueError("base_url must be the site's absolute address")

    cert.volunteer_name = volunteer.name
    cert.id_type = volunteer.id_type
    cert.id_number_masked = identity.mask(number)
    cert.volunteer_number = f"WS{volunteer.id:08d}"
    cert.lines = lines
    cert.total_minutes = sum(line["minutes"] for line in lines)
    cert.issuer_name = organisation.name
    cert.leader_name = leader
    cert.handler_name = issuer.name  # 经办人
    cert.contact = organisation.contact_phone
    cert.base_url = base_url
    cert.issued_by_id = issuer.id
    # whole seconds: the same instant after a round trip through any database
    cert.issued_at = as_utc(now).replace(microsecond=0)
    # the row id makes the number unique without a race; the year is Beijing's
    cert.number = f"WSC-{local(cert.issued_at).year}-{cert.id:06d}"
    cert.status = "issued"
    cert.signature = sign(cert)
    from server.core.pdf_text import unprintable
    from server.hours.certificate_pdf import LAYOUT
    cert.layout = LAYOUT
    missing = unprintable("".join([cert.volunteer_name or "", cert.issuer_name or "",
                                   cert.leader_name, cert.handler_name or "",
                                   *(line["title"] for line in lines)]))
    if missing:
        raise errors.CertificateUnprintable(chars="".join(missing))
    cert.pdf_sha256 = hashlib.sha256(pdf_bytes(cert)).hexdigest()
    db.session.flush()
    notices.certificate_decided(cert, issuer_name=organisation.name, now=now)
    return cert


def decline(cert: Certificate, *, issuer: User, reason: str, now: datetime) -> Certificate:
    """Say no to a request, with a reason the volunteer reads."""
    reason = _reason(reason)
    cert = _decider_checked(cert, issuer, "requested", errors.CertificateNotRequested)
    cert.status = "declined"
    cert.revoked_reason, cert.revoked_at, cert.revoked_by_id = reason, now, issuer.id
    db.session.flush()
    notices.certificate_decided(cert, issuer_name=organisation_of(cert).name, now=now)
    return cert


def revoke(cert: Certificate, *, actor: User, reason: str, now: datetime) -> Certificate:
    """Withdraw an issued certificate; it verifies as revoked from now on."""
    reason = _reason(reason)
    cert = _decider_checked(cert, actor, "issued", errors.CertificateNotIssued)
    cert.status = "revoked"
    cert.revoked_reason, cert.revoked_at, cert.revoked_by_id = reason, now, actor.id
    db.session.flush()
    notices.certificate_decided(cert, issuer_name=organisation_of(cert).name, now=now)
    return cert


# signature and PDF --------------------------------------------------------------------------

def _signature(cert: Certificate, key: bytes) -> str:
    return hmac.new(key, canonical(cert).encode(), hashlib.sha256).hexdigest()


def canonical(cert: Certificate) -> str:
    """Every frozen field, in one fixed serialisation (sorted keys, no spaces)."""
    return json.dumps({
        "v": 1, "number": cert.number, "user_id": cert.user_id,
        "organisation_id": cert.organisation_id, "volunteer_name": cert.volunteer_name,
        "id_type": cert.id_type, "id_number_masked": cert.id_number_masked,
        "volunteer_number": cert.volunteer_number, "total_minutes": cert.total_minutes,
        "lines": [{"date": line["date"], "title": line["title"],
                   "minutes": int(line["minutes"])} for line in cert.lines],
        "issuer_name": cert.issuer_name, "leader_name": cert.leader_name,
        "handler_name": cert.handler_name, "contact": cert.contact,
        "issued_by_id": cert.issued_by_id, "base_url": cert.base_url,
        "issued_at": as_utc(cert.issued_at).isoformat(timespec="seconds"),
    }, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sign(cert: Certificate) -> str:
    """The signature under the current key (server.core.keys)."""
    return _signature(cert, keys.current_hkdf(_SIGNING_LABEL))


def signed(cert: Certificate) -> bool:
    """The stored signature matches the stored fields under some key on the list: a
    certificate issued before SECRET_KEY was rotated still verifies."""
    return bool(cert.signature) and any(
        hmac.compare_digest(_signature(cert, key), cert.signature)
        for key in keys.hkdf_keys(_SIGNING_LABEL))


def verification_url(cert: Certificate) -> str:
    return f"{cert.base_url}/verify/{cert.number}?s={cert.signature}"


def pdf_bytes(cert: Certificate) -> bytes:
    """The certificate's PDF, the same bytes every time (see certificate_pdf)."""
    if cert.status not in ("issued", "revoked") or not cert.signature:
        raise errors.CertificateNotIssued()
    from server.hours.certificate_pdf import render
    return render(cert, verify_url=verification_url(cert))


def pdf_for(cert: Certificate, *, viewer: User | None) -> bytes:
    """The download: the volunteer's own, or for the issuing body's reviewers."""
    if not can_download(viewer, cert):
        raise errors.CertificateNotFound()
    if cert.status != "issued":
        raise errors.CertificateNotIssued()
    return pdf_bytes(cert)


# public verification ------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    """What anyone may learn about a certificate: nothing but these."""

    status: str  # valid | revoked | invalid
    number: str | None = None
    masked_name: str | None = None
    total_hours: str | None = None
    issuer: str | None = None
    issued_on: date | None = None


INVALID = Verification("invalid")


def _answer(cert: Certificate | None) -> Verification:
    # re-signing the stored fields also catches a row edited in the database
    if cert is None or not signed(cert):
        return INVALID
    return Verification("valid" if cert.status == "issued" else "revoked", cert.number,
                        mask_name(cert.volunteer_name), hours_text(cert.total_minutes),
                        cert.issuer_name, local(cert.issued_at).date())


def verify(number: str | None, signature: str | None) -> Verification:
    """The QR's link: the number and the signature printed with it."""
    number, signature = (number or "").strip().upper(), (signature or "").strip().lower()
    if not number or len(number) > 32 or not signature or len(signature) > 128:
        return INVALID
    cert = db.session.scalar(select(Certificate).where(
        Certificate.number == number, Certificate.status.in_(("issued", "revoked"))))
    if cert is None or not hmac.compare_digest(cert.signature or "", signature):
        return INVALID
    return _answer(cert)


def verify_pdf(data: bytes) -> Verification:
    """An uploaded file verifies only if it is, byte for byte, the PDF that was issued."""
    if not data or len(data) > MAX_PDF_BYTES:
        return INVALID
    digest = hashlib.sha256(data).hexdigest()
    cert = db.session.scalar(select(Certificate).where(
        Certificate.pdf_sha256 == digest, Certificate.status.in_(("issued", "revoked"))))
    return _answer(cert)
