"""What the donations API tests share: the error envelope, counts of every money table,
a body sent as written."""

from __future__ import annotations

from sqlalchemy import func, select

from server.donations.models import Fund, Pledge, PledgeLine
from server.donations.movements import (
    Distribution,
    Fulfilment,
    IntakeBatch,
    LedgerEntry,
)
from server.extensions import db

BOOKS = {"category": "picture_books", "item": "儿童绘本", "unit": "book", "quantity": 50}
TABLES = (Pledge, PledgeLine, Fulfilment, IntakeBatch, Distribution, LedgerEntry, Fund)


def error(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status and body["message"]
    return body


def counts() -> dict[str, int]:
    return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t))
            for t in TABLES}


def raw(client, url, text, method="POST"):
    """A JSON body sent exactly as written (a number stays a number)."""
    return client.open(url, method=method, data=text, content_type="application/json")
