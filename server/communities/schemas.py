"""The community tree and organisations: in and out."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate as v

from server.communities.models import NODE_KINDS, ORG_KINDS
from server.core.fields import Id, Text

SINCE = v.Regexp(r"^\d{4}-\d{2}$", flags=re.ASCII)  # ASCII digits (server.core.numbers)
PHONE_HELP = {"description": "a mainland mobile (11 digits) or a landline with its area code "
                             "(010-12345678); certificates print it as the contact"}
LEADER_HELP = {"description": "负责人: the person in charge, printed on certificates"}
PUBLIC_HELP = {"description": "publish a mobile contact number in full to everyone; "
                              "otherwise it is masked (138****5678) but to the staff of the "
                              "organisation and those over it (a landline is always shown)"}


class NodeIn(ma.Schema):
    parent_id = Id(load_default=None, allow_none=True)
    kind = ma.fields.String(required=True, validate=v.OneOf(tuple(NODE_KINDS)))
    name = ma.fields.String(required=True, validate=v.Length(min=1, max=80))
    platform_name = ma.fields.String(load_default=None, allow_none=True,
                                     validate=v.Length(max=120))
    platform_since = ma.fields.String(load_default=None, allow_none=True, validate=SINCE)


class NodePatch(ma.Schema):
    name = ma.fields.String(validate=v.Length(min=1, max=80))
    platform_name = ma.fields.String(allow_none=True, validate=v.Length(max=120))
    platform_since = ma.fields.String(allow_none=True, validate=SINCE)


class NodeOut(ma.Schema):
    id = ma.fields.Integer()
    parent_id = Id(allow_none=True)
    kind = ma.fields.String()
    level = ma.fields.Integer()
    name = ma.fields.String()
    path = ma.fields.String()
    platform_name = ma.fields.String(allow_none=True)
    platform_since = ma.fields.String(allow_none=True)


class OrganisationIn(ma.Schema):
    node_id = Id(required=True)
    kind = ma.fields.String(required=True, validate=v.OneOf(ORG_KINDS))
    name = ma.fields.String(required=True, validate=v.Length(min=1, max=120))
    description = ma.fields.String(load_default="", validate=v.Length(max=2000))
    contact_phone = ma.fields.String(load_default=None, allow_none=True,
                                     validate=v.Length(max=20), metadata=PHONE_HELP)
    leader_name = ma.fields.String(load_default=None, allow_none=True,
                                   validate=v.Length(max=40), metadata=LEADER_HELP)
    contact_phone_public = ma.fields.Boolean(load_default=False, metadata=PUBLIC_HELP)


class OrganisationPatch(ma.Schema):
    kind = ma.fields.String(validate=v.OneOf(ORG_KINDS))
    name = ma.fields.String(validate=v.Length(min=1, max=120))
    description = ma.fields.String(validate=v.Length(max=2000))
    contact_phone = ma.fields.String(allow_none=True, validate=v.Length(max=20),
                                     metadata=PHONE_HELP)
    leader_name = ma.fields.String(allow_none=True, validate=v.Length(max=40),
                                   metadata=LEADER_HELP)
    contact_phone_public = ma.fields.Boolean(metadata=PUBLIC_HELP)
    active = ma.fields.Boolean()


def _contact_phone(org) -> str | None:
    from flask_login import current_user

    from server.communities.services import contact_phone_for
    viewer = current_user if current_user.is_authenticated else None
    return contact_phone_for(org, viewer)


class OrganisationOut(ma.Schema):
    id = ma.fields.Integer()
    node_id = Id()
    node_name = Text(lambda o: o.node.name)
    kind = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    # both are printed on its certificates: the body's contact and 负责人
    contact_phone = Text(
        lambda o: _contact_phone(o), nullable=True,

        metadata={"description": "a mobile masked (138****5678) unless published or the "
                                 "reader is the organisation's staff or over it"})
    contact_phone_public = ma.fields.Boolean()
    leader_name = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean()
