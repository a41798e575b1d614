"""Wushe (五社通): volunteer and resident engagement for 五社联动."""

# Before any schema is defined: marshmallow's messages become ours (translated, lazy).
from server.core import messages  # noqa: F401,E402
