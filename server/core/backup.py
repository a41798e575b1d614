"""Backups: one archive holds everything needed to bring a Wushe back.

`flask backup create` writes `wushe-backup-<UTC time>.tar` into BACKUP_DIR:

- `database.dump`: PostgreSQL's own consistent snapshot (pg_dump, custom format: every
  table, row, index, constraint and sequence value as of one moment, without stopping
  the site); on SQLite, `database.sqlite3`, copied with SQLite's online backup;
- `files/`: what lives on disk beside the database and is not in the repository: the
  configuration (config/*.toml but the examples), the instance folder, and the files
  BACKUP_EXTRA_FILES names (a deployment's /etc/wushe/wushe.toml and /etc/wushe/env, which
  hold SECRET_KEY: without it the ID numbers cannot be read nor certificates verified);
- `manifest.json`: when, from which schema revision, and how many rows each table held.

`flask backup restore ARCHIVE` puts it back into an empty database (it refuses one that
holds tables) and checks every table's row count against the manifest. The archive holds
secrets and personal data: keep it where only the operators can read it (see docs/deploy.md
for the schedule, retention and off-site copies).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.engine import make_url

from server.extensions import db

PREFIX = "wushe-backup-"


class BackupError(RuntimeError):
    """The backup or restore could not be done; nothing half-done is left in place."""


@dataclass
class Made:
    path: Path
    tables: dict[str, int]
    removed: list[Path]


def _project() -> Path:
    from server.settings import PROJECT_DIR
    return Path(PROJECT_DIR)


def _libpq(url) -> tuple[str, dict[str, str]]:
    """A URL for pg_dump / pg_restore without the password (which goes in PGPASSWORD, so
    it never shows in the process list)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _counts() -> dict[str, int]:
    found = MetaData()
    found.reflect(bind=db.session.connection())
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in found.sorted_tables}


def _revision() -> str | None:
    from alembic.migration import MigrationContext
    heads = MigrationContext.configure(db.session.connection()).get_current_heads()
    return ",".join(sorted(heads)) or None


def _files() -> list[Path]:
    """Configuration and the instance folder (never the SQLite database itself, which goes
    in through SQLite's backup, nor its journal files)."""
    root = _project()
    chosen = [p for p in (root / "config").glob("*.toml") if "example" not in p.name]
    chosen += sorted((root / "config" / "holidays").glob("*.toml"))
    instance = Path(current_app.instance_path)
    if instance.is_dir():
        chosen += [p for p in sorted(instance.rglob("*")) if p.is_file()
                   and not p.name.endswith((".db", ".db-wal", ".db-shm", ".db-journal"))
                   and PREFIX not in p.name]
    return chosen


def _dump_database(work: Path) -> str:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        target, env = _libpq(url)
        out = work / "database.dump"
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                               f"--file={out}", f"--dbname={target}"], env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        return "postgresql"
    source = sqlite3.connect(url.database)
    copy = sqlite3.connect(work / "database.sqlite3")
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return "sqlite"


def create(*, directory: Path, now: datetime, keep: int | None = None) -> Made:
    """Write one archive into `directory` (made if missing, readable by its owner only);
    with `keep`, remove the oldest archives beyond that many afterwards."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{PREFIX}{now:%Y%m%dT%H%M%SZ}.tar"
    tables = _counts()
    revision = _revision()
    db.session.rollback()  # no transaction of ours is open while the dump runs
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        work = Path(tmp)
        kind = _dump_database(work)
        manifest = {"format": 1, "created_at": now.isoformat(), "database": kind,
                    "revision": revision, "tables": tables}
        partial = work / (name + ".part")
        with tarfile.open(partial, "w") as tar:
            for member in ("database.dump", "database.sqlite3"):
                if (work / member).exists():
                    tar.add(work / member, arcname=member)
            root = _project()
            for path in _files():
                relative = path.relative_to(root) if path.is_relative_to(root) else Path(
                    "instance") / path.relative_to(current_app.instance_path)
                tar.add(path, arcname=f"files/{relative}")
            for extra in current_app.config["BACKUP_EXTRA_FILES"]:
                path = Path(extra)
                if not path.is_file():
                    raise BackupError(f"BACKUP_EXTRA_FILES names {extra}, which is not a "
                                      "file this user can read")
                tar.add(path, arcname=f"files/extra/{path.resolve().relative_to('/')}")
            data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(now.timestamp())
            tar.addfile(info, io.BytesIO(data))
        final = directory / name
        os.chmod(partial, 0o600)
        partial.replace(final)  # whole or not at all: a reader never sees half an archive
    removed = _prune(directory, keep) if keep else []
    return Made(final, tables, removed)


def _prune(directory: Path, keep: int) -> list[Path]:
    archives = sorted(directory.glob(f"{PREFIX}*.tar"))
    old = archives[:-keep] if len(archives) > keep else []
    for path in old:
        path.unlink()
    return old


def _empty() -> bool:
    names = set(inspect(db.session.connection()).get_table_names())
    return not names - {"alembic_version"}


def restore(archive: Path, *, with_config: bool = False) -> dict[str, int]:
    """Put an archive back into the configured, empty database (and the instance folder;
    the configuration only with `with_config`). Returns the row counts it checked."""
    if not _empty():
        raise BackupError("the database is not empty: restore into a new, empty one")
    db.session.rollback()
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
        work = Path(tmp)
        tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        kind = "postgresql" if url.get_backend_name() == "postgresql" else "sqlite"
        if manifest["database"] != kind:
            raise BackupError(f"this archive holds a {manifest['database']} database; the "
                              f"configured one is {kind}")
        if kind == "postgresql":
            target, env = _libpq(url)
            done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges",
                                   "--exit-on-error", "--single-transaction",
                                   f"--dbname={target}", str(work / "database.dump")],
                                  env=env, capture_output=True, text=True)
            if done.returncode:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
        else:
            db.engine.dispose()
            for journal in ("-wal", "-shm", "-journal"):  # the empty database's, not ours
                Path(url.database + journal).unlink(missing_ok=True)
            shutil.copyfile(work / "database.sqlite3", url.database)
        _restore_files(work / "files", with_config=with_config)
    db.engine.dispose()  # connections opened before the restore see the new database
    found = _counts()
    db.session.rollback()
    wrong = {t: (n, found.get(t)) for t, n in manifest["tables"].items() if found.get(t) != n}
    if wrong:
        raise BackupError(f"restored, but these tables differ (expected, found): {wrong}")
    return found


def _restore_files(files: Path, *, with_config: bool) -> None:
    if not files.is_dir():
        return
    root = _project()
    for path in sorted(files.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(files)
        if relative.parts[0] == "extra" or (relative.parts[0] == "config" and not with_config):
            continue  # files from elsewhere on the machine go back by hand (see docs/deploy.md)
        target = (Path(current_app.instance_path) / Path(*relative.parts[1:])
                  if relative.parts[0] == "instance" else root / relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
