"""Instructions per request, counted by valgrind (callgrind): a figure the machine's speed
does not move (issue 15).

    .venv/bin/python bench/scan_instructions.py                  # SQLite in a temp dir
    .venv/bin/python bench/scan_instructions.py --database-url postgresql://postgres@127.0.0.1:5432/wushe_bench

scan_bench.py's ratio swings with the machine from run to run (bench/README.md); this
counts the instructions the app's own process runs, which are the same whatever else the
machine is doing. Requests go through the app in process (`test_client()`: no gunicorn, no
sockets), so the figures are the app's work and the test client's, not gunicorn's. The
database's server process (PostgreSQL) is not counted; SQLite runs inside the process and
is. Each kind is run twice under callgrind, with `--base` and with `--base` + `--requests`
requests after the same start-up, and the difference divided by `--requests`: start-up
cancels out. Kinds: the floor (floor_app.py's route), Wushe's /api/v1/health, and a first
scan of a signed-up volunteer's code (`ok`). A run under callgrind is about fifty times
slower than without: a few minutes for the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
for _path in (str(PROJECT_DIR), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from scan_seed import (  # noqa: E402
    ORGANISER_PHONE,
    migrate_and_seed,
    postgres_url,
    prepare_postgres,
    settings_overrides,
)

SECRET, PASSWORD = "bench-" + "s" * 42, "bench-password"
KINDS = ("floor", "health", "scan")
COLLECTED = re.compile(r"Collected : (\d+)")


def child(kind: str, url: str, seed_file: str, count: int) -> None:
    """The measured process: start-up, a fixed warm-up, then `count` requests of `kind`.
    ("seed": the database and seed_file, in a process of its own so that no connection to
    the database is left open when it is copied.)"""
    if kind == "seed":
        Path(seed_file).write_text(json.dumps(migrate_and_seed(url, SECRET, count, PASSWORD)))
        return
    if kind == "floor":
        from floor_app import app as floor
        client = floor.test_client()
        for _ in range(30 + count):
            assert client.get("/api/v1/health").status_code == 200
        return
    seeded = json.loads(Path(seed_file).read_text())
    from server.app import create_app
    client = create_app(settings_overrides(url, SECRET)).test_client()
    token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    answer = client.post("/api/v1/auth/login", headers={"X-CSRFToken": token},
                         json={"phone": ORGANISER_PHONE, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    path = f"/api/v1/activities/{seeded['activity_id']}/scans"

    def scan(i: int, code: str, wanted: str) -> None:
        body = {"code": code, "direction": "entry", "nonce": uuid.UUID(int=i).hex}
        result = client.post(path, headers={"X-CSRFToken": token}, json=body).get_json()
        assert result.get("result") == wanted, result

    for i in range(30):  # the same warm-up in both runs: unknown codes
        scan(10**6 + i, f"WSP1:{'unknown':a<32}{i}", "invalid_code")
    for i, code in enumerate(seeded["payloads"][:count] if kind == "scan" else ()):
        scan(i, code, "ok")
    for _ in range(count if kind == "health" else 0):
        assert client.get("/api/v1/health").status_code == 200


def _database(url: str, tag: str, workdir: Path) -> str:
    """A fresh copy of the seeded database for one run."""
    if url.startswith("sqlite"):
        copy = workdir / f"{tag}.db"
        copy.write_bytes((workdir / "seed.db").read_bytes())
        return f"sqlite:///{copy}"
    name = urlsplit(url).path.lstrip("/")
    with _maintenance(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}_{tag}"')
        conn.execute(f'CREATE DATABASE "{name}_{tag}" TEMPLATE "{name}"')
    return postgres_url(url, f"{name}_{tag}")


def _maintenance(url: str):
    """A connection to the server's `postgres` database."""
    import psycopg
    return psycopg.connect(postgres_url(url, "postgres"), autocommit=True)


def _drop_copies(url: str, runs) -> None:
    name = urlsplit(url).path.lstrip("/")
    with _maintenance(url) as conn:
        for kind, count in runs:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}_{kind}_{count}"')


def _counted(kind: str, url: str, workdir: Path, count: int) -> int:
    tag = f"{kind}_{count}"
    database = _database(url, tag, workdir) if kind != "floor" else url
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         __file__, "--child", kind, database, str(workdir / "seed.json"), str(count)],
        capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        timeout=3600)
    found = COLLECTED.search(run.stderr)
    if run.returncode != 0 or not found:
        raise SystemExit(f"{tag} failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return int(found.group(1))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", help="PostgreSQL; its public schema is dropped, and "
                   "copies named <database>_<kind>_<count> are made beside it")
    p.add_argument("--requests", type=int, default=500, help="measured requests of each kind")
    p.add_argument("--base", type=int, default=10, help="requests in the shorter run")
    p.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        kind, url, seed_file, count = args.child
        child(kind, url, seed_file, int(count))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian's package valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'seed.db'}"
        if args.database_url:
            prepare_postgres(url)
        print("migrating and seeding …", flush=True)
        seeding = subprocess.run([sys.executable, __file__, "--child", "seed", url,
                                  str(workdir / "seed.json"), str(args.base + args.requests)],
                                 capture_output=True, text=True)
        if seeding.returncode != 0:
            raise SystemExit(f"seeding failed:\n{seeding.stderr[-3000:]}")
        runs = [(kind, n) for kind in KINDS for n in (args.base, args.base + args.requests)]
        print(f"{len(runs)} runs under callgrind, {os.cpu_count()} at a time …", flush=True)
        try:
            with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
                counts = dict(zip(runs, pool.map(
                    lambda run: _counted(run[0], url, workdir, run[1]), runs), strict=True))
        finally:
            if args.database_url:
                _drop_copies(url, runs)
    per = {kind: (counts[kind, args.base + args.requests] - counts[kind, args.base])
           / args.requests for kind in KINDS}
    print(f"\n{'request':<8} {'instructions each':>18} {'floor / this':>13}")
    for kind in KINDS:
        print(f"{kind:<8} {per[kind]:>18,.0f} {per['floor'] / per[kind]:>13.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
