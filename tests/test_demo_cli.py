"""The README's commands work as written: the virtualenv's `flask`, run from the project
root, finds the app in wsgi.py without FLASK_APP. A real process against its own SQLite
database (DATABASE_URL), as a newcomer would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).with_name("flask")


def _flask(*args: str, database: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("FLASK_APP", "WUSHE_ENV", "SECRET_KEY") and not k.startswith("WUSHE_")}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run([str(FLASK), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_readme_commands_run_without_flask_app(tmp_path):
    database = tmp_path / "demo.db"
    assert _flask("db", "upgrade", database=database).returncode == 0

    first = _flask("seed-demo", database=database)
    assert first.returncode == 0, first.stderr
    assert "Seeded the demo." in first.stdout
    assert "13800000001  李秀英" in first.stdout and "wushe2026" in first.stdout
    assert "Try this first:" in first.stdout and "/scanner" in first.stdout

    again = _flask("seed-demo", database=database)
    assert again.returncode == 0 and "nothing changed" in again.stdout

    # the activity that ended half an hour ago: two still inside, who may still scan out
    # for the rest of the hour (the exit grace): the commands leave it, as the scheduler does
    out = _flask("checkin", "auto-checkout", database=database)
    assert out.returncode == 0 and "checked out 0 people automatically" in out.stdout
    out = _flask("activities", "finish-due", database=database)
    assert out.returncode == 0 and "finished 0 activities" in out.stdout, out.stdout
    _an_hour_later(database)
    out = _flask("checkin", "auto-checkout", database=database)
    assert out.returncode == 0 and "checked out 2 people automatically" in out.stdout
    out = _flask("activities", "finish-due", database=database)
    assert out.returncode == 0 and "finished 1 activities" in out.stdout, out.stdout

    reset = _flask("seed-demo", "--reset", database=database)
    assert reset.returncode == 0, reset.stderr
    assert "Emptied the database and seeded the demo afresh." in reset.stdout
    _an_hour_later(database)
    out = _flask("checkin", "auto-checkout", database=database)
    assert "checked out 2 people automatically" in out.stdout  # the world is back


def _an_hour_later(database: Path) -> None:
    """The demo's ended activity as it stands an hour on: past its exit grace."""
    import sqlite3

    from server.demo.upcoming import ENDED_TITLE
    with sqlite3.connect(database) as conn:
        moved = conn.execute(
            "UPDATE activities SET starts_at = strftime('%Y-%m-%d %H:%M:%f', starts_at, "
            "'-61 minutes'), ends_at = strftime('%Y-%m-%d %H:%M:%f', ends_at, '-61 minutes') "
            "WHERE title = ?", (ENDED_TITLE,)).rowcount
    assert moved == 1


def test_a_database_that_is_not_the_demo_is_refused(tmp_path):
    database = tmp_path / "real.db"
    assert _flask("db", "upgrade", database=database).returncode == 0
    import sqlite3
    with sqlite3.connect(database) as conn:
        conn.execute("INSERT INTO nodes (kind, name, path, created_at) "
                     "VALUES ('district', '朝阳区', '/1/', '2026-01-01 00:00:00')")
    out = _flask("seed-demo", database=database)
    assert out.returncode == 1 and "not the demo" in out.stderr
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT name FROM nodes").fetchall() == [("朝阳区",)]
