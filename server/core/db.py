"""Declarative base, naming convention and column types shared by every domain."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores UTC; always returns aware UTC datetimes, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that a column holds one of a fixed vocabulary."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def fetch(model, ident, missing: type[Exception], *, lock: bool = False,
          key_share: bool = False):
    """One row by primary key, or raise `missing` (a typed not-found error).

    lock: SELECT … FOR UPDATE, re-reading the row so the caller decides on what is
    committed now. key_share: FOR NO KEY UPDATE instead, which inserts referring to the
    row (their foreign-key checks take FOR KEY SHARE) do not wait for.
    """
    from server.extensions import db
    lock_mode = ({"key_share": True} if key_share else True) if lock else None
    row = db.session.get(model, ident, with_for_update=lock_mode, populate_existing=lock)
    if row is None:
        raise missing()
    return row


def hold(namespace: int, value: str) -> None:
    """A lock on `value` within `namespace` until the transaction ends (PostgreSQL's
    advisory lock): one writer at a time for something no row stands for yet, such as a
    phone number. SQLite needs none: a write transaction begins with BEGIN IMMEDIATE, one
    writer at a time already."""
    import hashlib

    from sqlalchemy import func, select

    from server.extensions import db
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], "big", signed=True)
    db.session.execute(select(func.pg_advisory_xact_lock(namespace, key)))
