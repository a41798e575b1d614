"""Per-request overhead in process (issue 15): no gunicorn, no sockets, no client threads.

Seeds the scan benchmark's database (SQLite in a temporary directory, or --database-url),
creates the app with the production settings scan_bench.py gives gunicorn, logs in as the
organiser through app.test_client(), and times N requests of each kind (CPU time of the
process, so a busy machine disturbs it less; wall time beside it): the floor app's
/api/v1/health, Wushe's /api/v1/health, first scans and repeated scans. --profile prints
cProfile's top functions (by cumulative time, then by own time) for one kind.

    .venv/bin/python bench/overhead_profile.py -n 2000
    .venv/bin/python bench/overhead_profile.py -n 1000 --profile health
    .venv/bin/python bench/overhead_profile.py -n 1000 --profile scan --database-url …
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadgen import postgres_cpu_seconds  # noqa: E402
from scan_seed import (  # noqa: E402
    ORGANISER_PHONE,
    migrate_and_seed,
    prepare_postgres,
    settings_overrides,
)


def _postgres_cpu() -> float:
    return sum((postgres_cpu_seconds() or {}).values())


def _timed(name: str, items, send, profile: str | None, database: bool) -> float:
    # CPU time, as the figures: waiting for the database is not the app's cost
    profiler = cProfile.Profile(time.process_time) if profile == name else None
    started, cpu = time.perf_counter(), time.process_time()
    db_cpu = _postgres_cpu() if database else 0.0
    if profiler:
        profiler.enable()
    for item in items:
        send(item)
    if profiler:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    db_cpu = _postgres_cpu() - db_cpu if database else 0.0
    # CPU time of this process (the app runs in it): less disturbed by a busy machine than
    # wall time, and what the ratio is computed from
    per, wall = cpu / len(items) * 1000, elapsed / len(items) * 1000
    print(f"{name:<8} {len(items):>6} requests  {per:7.3f} ms CPU each ({wall:.3f} ms wall) "
          f"{1 / per * 1000:8.0f} /s of CPU"
          + (f"; PostgreSQL {db_cpu / len(items) * 1000:.3f} ms CPU each" if database else ""),
          flush=True)
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    return per


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=1000, help="requests of each kind")
    p.add_argument("--database-url", help="PostgreSQL (its public schema is dropped)")
    p.add_argument("--profile", choices=["floor", "health", "scan", "repeat"])
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/profile.db"
        if args.database_url:
            prepare_postgres(url)
        secret, password = secrets.token_urlsafe(36), secrets.token_urlsafe(12)
        seeded = migrate_and_seed(url, secret, args.n, password)

        from floor_app import app as floor

        from server.app import create_app
        app = create_app(settings_overrides(url, secret))
        floor_client, client = floor.test_client(), app.test_client()

        def csrf() -> str:
            return client.get("/api/v1/auth/csrf").get_json()["csrf_token"]

        token = csrf()
        answer = client.post("/api/v1/auth/login", headers={"X-CSRFToken": token},
                             json={"phone": ORGANISER_PHONE, "password": password})
        assert answer.status_code == 200, answer.get_json()
        token = csrf()
        path = f"/api/v1/activities/{seeded['activity_id']}/scans"

        def scan(code, wanted):
            answer = client.post(path, headers={"X-CSRFToken": token}, json={
                "code": code, "direction": "entry", "nonce": uuid.uuid4().hex})
            assert answer.get_json().get("result") == wanted, answer.get_json()

        for _ in range(200):  # warm-up: imports, compiled SQL, the pool
            floor_client.get("/api/v1/health")
            client.get("/api/v1/health")
            scan("WSP1:" + secrets.token_urlsafe(32), "invalid_code")
        codes = seeded["payloads"]
        pg = bool(args.database_url)  # the server's CPU beside the app's
        per = {
            "floor": _timed("floor", range(args.n),
                            lambda _: floor_client.get("/api/v1/health"), args.profile, pg),
            "health": _timed("health", range(args.n),
                             lambda _: client.get("/api/v1/health"), args.profile, pg),
            "scan": _timed("scan", codes, lambda c: scan(c, "ok"), args.profile, pg),
            "repeat": _timed("repeat", codes, lambda c: scan(c, "already_checked_in"),
                             args.profile, pg),
        }
        print("ratio to the floor: " + ", ".join(
            f"{name} {per['floor'] / ms:.2f}" for name, ms in per.items() if name != "floor"))
        print(f"median of the four: {statistics.median(per.values()):.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
