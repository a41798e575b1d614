"""Marshmallow fields shared by the domains' schemas."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma

from server.core.clock import from_local, local


class LocalDateTime(ma.fields.DateTime):
    """ISO 8601 in and out. Input without an offset is Beijing time; stored as UTC;
    output carries +08:00 so a phone shows what the venue's clock says."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if isinstance(value, str) and len(value) == 16 and "T" in value:
            value = value + ":00"  # <input type=datetime-local> sends minutes only
        parsed = super()._deserialize(value, attr, data, **kwargs)
        return from_local(parsed)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return local(value).isoformat()


def trimmed(**kwargs) -> ma.fields.String:
    return ma.fields.String(**kwargs)
