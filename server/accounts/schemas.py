"""Accounts: what comes in and what goes out."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate as v

from server.accounts.models import PUBLIC_CODE_PURPOSES, RELATIONS, ROLES, SKILLS
from server.accounts.privacy import mask_phone
from server.core.fields import Day, Id, Text

GENDERS = ("female", "male")


class RegisterIn(ma.Schema):
    phone = ma.fields.String(required=True, validate=v.Length(max=20))
    password = ma.fields.String(required=True, load_only=True, validate=v.Length(max=128))
    name = ma.fields.String(required=True, validate=v.Length(min=1, max=40))
    birth_date = Day(load_default=None, allow_none=True)
    gender = ma.fields.String(load_default=None, allow_none=True, validate=v.OneOf(GENDERS))
    home_node_id = Id(load_default=None, allow_none=True)
    skills = ma.fields.List(ma.fields.String(validate=v.OneOf(SKILLS)), load_default=list)
    accept_privacy = ma.fields.Boolean(load_default=False)
    guardian_name = ma.fields.String(load_default=None, allow_none=True,
                                     validate=v.Length(max=40))
    guardian_consent = ma.fields.Boolean(load_default=False)
    remember = ma.fields.Boolean(load_default=False, metadata={
        "description": "stay logged in on this device for 30 days (the person's choice)"})


class LoginIn(ma.Schema):
    phone = ma.fields.String(required=True, validate=v.Length(max=20))
    password = ma.fields.String(required=True, load_only=True, validate=v.Length(max=128))
    remember = ma.fields.Boolean(load_default=False, metadata={
        "description": "stay logged in on this device for 30 days (the person's choice)"})


class ProfileIn(ma.Schema):
    name = ma.fields.String(validate=v.Length(min=1, max=40))
    gender = ma.fields.String(allow_none=True, validate=v.OneOf(GENDERS))
    birth_date = Day(allow_none=True)
    home_node_id = Id(allow_none=True)
    skills = ma.fields.List(ma.fields.String(validate=v.OneOf(SKILLS)))
    locale = ma.fields.String(allow_none=True, validate=v.OneOf(("zh_CN", "en")))
    care_mode = ma.fields.Boolean()
    email = ma.fields.String(allow_none=True, validate=v.Length(max=254), metadata={
        "description": "optional; where e-mail messages go (the staff's daily summary)"})


class RoleOut(ma.Schema):
    id = ma.fields.Integer()
    role = ma.fields.String()
    node_id = Id()
    node_name = Text(lambda a: a.node.name)
    organisation_id = Id(allow_none=True)
    organisation_name = Text(
        lambda a: a.organisation.name if a.organisation else None, nullable=True)
    user_id = Id()
    user_name = Text(lambda a: a.user.name)
    user_phone = Text(lambda a: mask_phone(a.user.phone))


class ErasureIn(ma.Schema):
    confirm = ma.fields.Boolean(required=True, metadata={
        "description": "true: I understand my account and what identifies me are deleted"})


class PersonalDataOut(ma.Schema):
    """Everything Wushe holds about the person, section by section (core.personal_data):
    profile, consents, family, signups, scans, hours, certificates, pledges, teams,
    feedback, messages, logins; each a list of plain rows."""

    generated_at = ma.fields.String()
    person_id = ma.fields.Integer()
    sections = ma.fields.Dict(keys=ma.fields.String(),
                              values=ma.fields.List(ma.fields.Dict()))


class MeOut(ma.Schema):
    """A person's own record: the only place their full phone number is shown."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String()
    gender = ma.fields.String(allow_none=True)
    birth_date = Day(allow_none=True)
    home_node_id = Id(allow_none=True)
    home_node_name = Text(lambda u: u.home_node.name if u.home_node else None, nullable=True)
    skills = ma.fields.List(ma.fields.String())
    locale = ma.fields.String(allow_none=True)
    care_mode = ma.fields.Boolean()
    email = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.Nested(RoleOut(exclude=("user_name", "user_phone",
                                                             "user_id"))))


class PersonOut(ma.Schema):
    """Someone else, as a coordinator or organiser sees them: phone masked."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = Text(lambda u: mask_phone(u.phone))
    home_node_name = Text(lambda u: u.home_node.name if u.home_node else None, nullable=True)
    skills = ma.fields.List(ma.fields.String())


class RoleIn(ma.Schema):
    user_phone = ma.fields.String(required=True, validate=v.Length(max=20))
    role = ma.fields.String(required=True, validate=v.OneOf(ROLES))
    node_id = Id(required=True)
    organisation_id = Id(load_default=None, allow_none=True)


class PeopleArgs(ma.Schema):
    q = ma.fields.String(load_default=None, validate=v.Length(max=40))


class CsrfOut(ma.Schema):
    csrf_token = ma.fields.String()


# --- SMS codes (accounts.phone_codes) ---------------------------------------------------------

class CodeRequestIn(ma.Schema):
    phone = ma.fields.String(required=True, validate=v.Length(max=20))
    purpose = ma.fields.String(required=True, validate=v.OneOf(PUBLIC_CODE_PURPOSES),
                               metadata={
        "description": "reset: a code to set a new password; login: a code to log in"})


class CodeSentOut(ma.Schema):
    """The same answer whether or not the number is registered."""

    sent = ma.fields.Boolean(metadata={
        "description": "always true: a code goes out if the number belongs to an account"})
    resend_after = ma.fields.Integer(metadata={
        "description": "seconds until this number may ask for another code"})
    expires_in = ma.fields.Integer(metadata={"description": "seconds the code is valid"})


class CodeLoginIn(ma.Schema):
    phone = ma.fields.String(required=True, validate=v.Length(max=20))
    code = ma.fields.String(required=True, load_only=True, validate=v.Length(max=20),
                            metadata={"description": "the six digits of the SMS"})
    remember = ma.fields.Boolean(load_default=False, metadata={
        "description": "stay logged in on this device for 30 days (the person's choice)"})


class PasswordResetIn(CodeLoginIn):
    password = ma.fields.String(required=True, load_only=True, validate=v.Length(max=128),
                                metadata={"description": "the new password"})


# --- family members and residents registered by staff (accounts.family) -------------------

class FamilyMemberIn(ma.Schema):
    name = ma.fields.String(required=True, validate=v.Length(min=1, max=40))
    relation = ma.fields.String(required=True, validate=v.OneOf(RELATIONS), metadata={
        "description": "child, parent, spouse or other: how the member is related to you"})
    birth_date = Day(load_default=None, allow_none=True)
    gender = ma.fields.String(load_default=None, allow_none=True, validate=v.OneOf(GENDERS))
    home_node_id = Id(load_default=None, allow_none=True, metadata={
        "description": "the member's community; yours when left out"})
    consent = ma.fields.Boolean(load_default=False, metadata={
        "description": "under 14: you consent as their guardian; otherwise: they agreed"})


class FamilyMemberOut(ma.Schema):
    """A family member as their guardian sees them (they have no phone)."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    relation = ma.fields.String()
    birth_date = Day(allow_none=True)
    gender = ma.fields.String(allow_none=True)
    home_node_name = Text(lambda u: u.home_node.name if u.home_node else None, nullable=True)
    registered_by_name = Text(
        lambda u: u.registered_by.name if u.registered_by else None, nullable=True)


class HandoverCodeIn(ma.Schema):
    phone = ma.fields.String(required=True, validate=v.Length(max=20), metadata={
        "description": "the family member's own mobile number"})


class HandoverIn(HandoverCodeIn):
    code = ma.fields.String(required=True, load_only=True, validate=v.Length(max=20),
                            metadata={"description": "the six digits sent to that number"})


class ResidentIn(ma.Schema):
    name = ma.fields.String(required=True, validate=v.Length(min=1, max=40))
    phone = ma.fields.String(required=True, validate=v.Length(max=20))
    birth_date = Day(load_default=None, allow_none=True)
    gender = ma.fields.String(load_default=None, allow_none=True, validate=v.OneOf(GENDERS))
    home_node_id = Id(required=True)
    consent = ma.fields.Boolean(load_default=False, metadata={
        "description": "the resident agreed to the privacy notice (on paper or in person)"})


class ResidentOut(PersonOut):
    """A resident a worker registered: phone masked, and who registered them."""

    registered_by_name = Text(
        lambda u: u.registered_by.name if u.registered_by else None, nullable=True)
