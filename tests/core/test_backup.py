"""A backup restored into an empty database holds every row and every sequence as they
were (on PostgreSQL: pg_dump and pg_restore; on SQLite: its online backup)."""

from __future__ import annotations

import tarfile
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from server.activities import signups
from server.app import create_app
from server.checkin import codes
from server.core import backup, clock
from server.extensions import db
from server.hours import ledger
from server.notifications.services import notify

pytestmark = pytest.mark.concurrency


@pytest.fixture
def empty_target(app, tmp_path):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"wushe_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _world(make_activity, make_user, grant, give_place, scan):
    """Rows in most tables, some ids used up (deleted rows leave gaps in the sequences)."""
    now = clock.now()
    activity = make_activity(starts_in=timedelta(minutes=10), hours=2, capacity=5)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    people = [make_user(name=f"志愿者{i}") for i in range(4)]
    for person in people:
        signups.sign_up(activity.id, user=person, now=now)
        scan(activity, organiser, code=codes.personal_payload(codes.active_code(person, now=now)))
    past = make_activity(starts_in=-timedelta(days=2), title="上周的活动")
    give_place(past, people[0])
    ledger.file_retroactive(actor=people[0], activity=past, user=people[0], minutes=60,
                            evidence="组织者可以证明", now=now)
    for person in people:
        notify(person.id, "work_digest", now=now, hours=1)
    from server.communities.models import Node
    gone = Node(kind="district", name="撤销的区", path="/", created_at=now)
    db.session.add(gone)
    db.session.flush()
    db.session.delete(gone)  # its id is used up: the sequence is ahead of the rows
    db.session.commit()


def _rows(engine) -> dict[str, list[tuple]]:
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(
            select(t).order_by(*t.primary_key.columns or t.columns))]
            for t in meta.sorted_tables}


def _sequences(engine) -> dict[str, int | None]:
    if engine.dialect.name != "postgresql":
        # SQLite's tables here have no AUTOINCREMENT: the next id is the largest plus one,
        # which the rows themselves carry
        return {}
    with engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )).all())


def test_a_backup_restores_every_row_and_sequence(app, tmp_path, empty_target, make_activity,
                                                  make_user, grant, give_place, scan):
    _world(make_activity, make_user, grant, give_place, scan)
    rows, sequences = _rows(db.engine), _sequences(db.engine)
    assert rows["users"] and rows["scans"] and rows["notifications"]
    made = backup.create(directory=tmp_path / "backups", now=clock.now())
    assert made.path.stat().st_mode & 0o777 == 0o600  # secrets and personal data inside
    with tarfile.open(made.path) as tar:
        names = set(tar.getnames())
    assert "manifest.json" in names and any(n.startswith("files/config/") for n in names)
    assert names & {"database.dump", "database.sqlite3"}

    restored = create_app({"ENV": "testing", "DATABASE_URL": empty_target,
                           "HOLIDAYS_DIR": app.config["HOLIDAYS_DIR"]})
    with restored.app_context():
        counts = backup.restore(made.path)
        assert counts == {name: len(found) for name, found in rows.items()}
        assert _rows(db.engine) == rows
        assert _sequences(db.engine) == sequences
        # the next id carries on from the sequence, not from the rows left
        db.session.execute(text("INSERT INTO nodes (kind, name, path, created_at) "
                                "VALUES ('district', '恢复后', '/', CURRENT_TIMESTAMP)"))
        new_id = db.session.scalar(text("SELECT max(id) FROM nodes"))
        assert new_id > max(r[0] for r in rows["nodes"])
        db.session.rollback()
        # a second restore into the same (no longer empty) database is refused
        with pytest.raises(backup.BackupError, match="not empty"):
            backup.restore(made.path)
        db.session.remove()
        db.engine.dispose()


def test_old_archives_beyond_the_kept_number_go(app, tmp_path, make_user):
    make_user()
    db.session.commit()
    folder = tmp_path / "backups"
    made = [backup.create(directory=folder, now=clock.now() + timedelta(days=i), keep=2)
            for i in range(3)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(m.path.name for m in made[1:])
    assert made[2].removed == [made[0].path]
    assert Path(made[0].path).exists() is False


def test_files_from_elsewhere_go_into_the_archive(app, tmp_path, make_user):
    secrets = tmp_path / "etc" / "env"
    secrets.parent.mkdir()
    secrets.write_text("SECRET_KEY=the-one-to-keep\n")
    make_user()
    db.session.commit()
    saved = app.config["BACKUP_EXTRA_FILES"]
    try:
        app.config["BACKUP_EXTRA_FILES"] = [str(secrets)]
        made = backup.create(directory=tmp_path / "backups", now=clock.now())
        with tarfile.open(made.path) as tar:
            member = tar.extractfile(f"files/extra/{str(secrets).lstrip('/')}")
            assert member.read() == b"SECRET_KEY=the-one-to-keep\n"
        app.config["BACKUP_EXTRA_FILES"] = [str(tmp_path / "missing")]
        with pytest.raises(backup.BackupError, match="not a file"):
            backup.create(directory=tmp_path / "backups", now=clock.now())
    finally:
        app.config["BACKUP_EXTRA_FILES"] = saved
