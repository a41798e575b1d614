"""PostgreSQL finds a roster's duplicates along the phone index, whatever the statistics
it had of import_rows before the rows were staged.

With the table analysed while it was empty (or never), PostgreSQL read each staged row's
earlier rows along the row-number index instead, once per row: seven minutes for a roster
of 10,000 rows. resolve() analyses the table first (resolve.fresh_statistics)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text, update

from server.core import clock
from server.extensions import db
from server.imports import resolve, services
from server.imports.models import ImportRow
from tests.imports.conftest import xlsx

pytestmark = pytest.mark.postgresql


def _name(n: int) -> str:
    return "张" + "".join("零一二三四五六七八九"[int(d)] for d in str(n))


def _plan(statement) -> str:
    sql = statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    return "\n".join(db.session.scalars(text(f"EXPLAIN {sql}")))


def test_duplicates_are_found_along_the_phone_index(world):
    db.session.execute(text("ANALYZE import_rows"))  # analysed while it held nothing
    roster = xlsx(people=[[_name(n), f"138{n:08d}", "运河园社区", "", ""] for n in range(2_000)])
    file = services.check_upload(actor=world.coordinator, node=world.street,
                                 filename="名单.xlsx", stream=io.BytesIO(roster),
                                 now=clock.now())
    duplicate = (update(ImportRow)
                 .where(ImportRow.file_id == file.id, ImportRow.sheet == "people",
                        resolve._earlier_same(file.id, "people", "phone"))
                 .values(status="rejected"))
    plan = _plan(duplicate)
    assert "ix_import_rows_phone" in plan, plan


def test_an_import_does_not_wait_for_another_imports_statistics(world):
    """ANALYZE's lock lasts until the transaction ends (a large confirm takes half a
    minute): another import's resolve goes on without fresh statistics rather than wait."""
    with db.engine.connect() as other:
        other.execute(text("ANALYZE import_rows"))  # its transaction stays open
        db.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
        resolve.fresh_statistics()  # waiting would fail with "lock timeout"
        other.rollback()
