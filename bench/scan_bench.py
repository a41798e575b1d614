"""Check-in scan throughput under gunicorn with production settings (issue 3's benchmark).

    .venv/bin/python bench/scan_bench.py        # SQLite in a temp dir
    .venv/bin/python bench/scan_bench.py --database-url postgresql://USER@127.0.0.1:5432/wushe_bench

Seeds one published activity with N confirmed volunteers, each with a personal code,
starts gunicorn on a free loopback port, logs in as the activity's organiser and drives
its phases with the same request count and concurrency: the floor (a bare Flask app,
bench/floor_app.py, under the same gunicorn settings, measured in the same run before
and after the rest, and judged by the mean of the two), Wushe's
trivial endpoint (GET /api/v1/health), distinct codes (every volunteer once: `ok`) and
repeated codes (the same codes again: `already_checked_in`). Prints requests/s and
p50/p99 latency per phase and each scan phase's throughput as a ratio of the floor's
against the targets; writes the figures to bench/results/. bench/README.md explains how
to read them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
for _path in (str(PROJECT_DIR), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import wrk  # noqa: E402
from loadgen import (  # noqa: E402
    BenchError,
    Client,
    Phase,
    Server,
    machine_busy_seconds,
    postgres_cpu_seconds,
    run_phase,
    start_gunicorn,
)
from scan_seed import (  # noqa: E402
    ORGANISER_PHONE,
    migrate_and_seed,
    prepare_postgres,
)

# issue 15: scan throughput at least a quarter of a bare Flask app's (the aim: half), with
# p99 latency at most three times p50
TARGET_RATIO = 0.25
AIM_RATIO = 0.5
TAIL_RATIO = 3.0
NOISY_PCT = 15  # other processes' CPU (percent of one core) worth a warning


def parse_args(argv=None):
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(
        description="Scan throughput vs. a bare Flask app (the floor), under gunicorn.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url", help="PostgreSQL URL; the database is created if "
                   "missing and its public schema dropped and recreated (default: SQLite in a "
                   "temp dir)")
    p.add_argument("--client", choices=["wrk", "python"],
                   default="wrk" if wrk.available() else "python",
                   help="the load client: wrk (issue 15's yardstick, `make bench` installs "
                   "it) or loadgen's threaded Python client (default: wrk if installed)")
    p.add_argument("--volunteers", type=int,
                   help="signed-up volunteers (default: 20000 with wrk, 5000 with python)")
    p.add_argument("--concurrency", type=int, default=32,
                   help="connections (wrk) or client threads (python)")
    p.add_argument("--duration", type=float, default=10, help="seconds per phase (wrk)")
    p.add_argument("--requests", type=int,
                   help="requests per phase (python; default: --volunteers)")
    p.add_argument("--workers", type=int, default=2 * cores,
                   help="gunicorn workers (default: 2 × CPU cores)")
    p.add_argument("--worker-class", default="sync", choices=["sync", "gthread"],
                   help="gunicorn worker class")
    p.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    p.add_argument("--warmup", type=int, default=200,
                   help="unmeasured requests of each kind before the phases")
    p.add_argument("--phase-time-limit", type=float, default=600, help="seconds per phase")
    p.add_argument("--timeout", type=float, default=30, help="seconds per request")
    p.add_argument("--seed", type=int, default=1, help="shuffles the order of the codes")
    p.add_argument("--no-results", action="store_true", help="do not write bench/results/")
    p.add_argument("--door-bound", action="store_true",
                   help="an upper bound, not Wushe: scans answered without the framework "
                        "(bench/door_bound.py; no CSRF, hooks or headers)")
    args = p.parse_args(argv)
    if args.client == "wrk" and not wrk.available():
        p.error("--client wrk: wrk is not installed (make bench installs it)")
    if args.client == "wrk" and args.requests:
        p.error("--requests is for --client python; wrk runs each phase for --duration")
    args.volunteers = args.volunteers or (20000 if args.client == "wrk" else 5000)
    args.requests = args.requests or args.volunteers
    if args.duration <= 0:
        p.error("--duration must be positive")
    for name in ("volunteers", "concurrency", "requests", "workers", "threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if args.requests > args.volunteers:
        p.error("--requests cannot exceed --volunteers: each distinct code is scanned once")
    if args.worker_class == "sync" and args.threads != 1:
        p.error("--threads needs --worker-class gthread")
    if args.database_url and not args.database_url.startswith(("postgresql://", "postgres://")):
        p.error("--database-url must be a postgresql:// URL (SQLite is the default)")
    return args


def expect_result(wanted: str):
    def check(data) -> str | None:
        got = data.get("result") if isinstance(data, dict) else None
        return None if got == wanted else f"result {got!r}, expected {wanted!r}"
    return check


def health_ok(data) -> str | None:
    return None if isinstance(data, dict) and data.get("status") == "ok" else f"body {data!r}"


def server_env(database_url: str, secret: str) -> dict[str, str]:
    """Production settings, from the environment only (as a deployment would set them)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("WUSHE_") and k not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update(WUSHE_ENV="production", WUSHE_SECRET_KEY=secret, DATABASE_URL=database_url,
               # no Redis needed; plain http on loopback
               WUSHE_RATELIMIT_STORAGE_URI="memory://", WUSHE_SESSION_COOKIE_SECURE="false")
    return env


def print_table(phases: list[Phase], db_label: str) -> None:
    """The figures; CPU columns are percent of one core (bench/README.md)."""
    head = (f"{'phase':<22} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>7} "
            f"{'p99 ms':>7} │ CPU: {'client':>6} {'gunicorn':>8} {db_label:>8} {'other':>6}")
    print(head)
    print("-" * len(head))

    def pct(value):
        return "-" if value is None else f"{value:.0f}%"

    for ph in phases:
        print(f"{ph.name:<22} {ph.requests:>8} {ph.errors:>6} {ph.rps:>8.1f} "
              f"{ph.p50_ms:>7.1f} {ph.p99_ms:>7.1f} │      {pct(ph.client_cpu_pct):>6} "
              f"{pct(ph.server_cpu_pct):>8} {pct(ph.db_cpu_pct):>8} {pct(ph.other_cpu_pct):>6}")


def git_state() -> dict:
    """The commit measured, and whether files outside bench/ differ from it."""
    def git(*cmd: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(PROJECT_DIR), *cmd], capture_output=True,
                                 text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None
    changed = git("status", "--porcelain", "--", ".", ":(exclude)bench")
    return {"commit": git("rev-parse", "HEAD"),
            "uncommitted_changes": None if changed is None else bool(changed)}


def busy_before(seconds: float = 3) -> float | None:
    """How busy the machine is without us: percent of one core over a short sample."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    after = machine_busy_seconds()
    return None if before is None or after is None else round(100 * (after - before) / seconds)


def write_results(args, kind: str, database_url: str, phases: list[Phase],
                  ratios: dict[str, float], retries: int, busy: float | None) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = BENCH_DIR / "results" / f"{stamp}-{kind}.json"
    out.parent.mkdir(exist_ok=True)
    parts = urlsplit(database_url)  # never the password
    shown = (f"postgresql://{parts.hostname}:{parts.port or 5432}{parts.path}"
             if kind == "postgresql" else "sqlite (temp file)")
    out.write_text(json.dumps({
        "when": stamp, "database": kind, "database_url": shown, **git_state(),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "busy_before_pct": busy,
        "client": args.client, "volunteers": args.volunteers, "door_bound": args.door_bound,
        "requests_per_phase": args.requests if args.client == "python" else None,
        "seconds_per_phase": args.duration if args.client == "wrk" else None,
        "concurrency": args.concurrency, "warmup": args.warmup,
        "gunicorn": {"workers": args.workers, "worker_class": args.worker_class,
                     "threads": args.threads},
        "phases": [asdict(ph) for ph in phases], "retries": retries,
        "floor_rps_mean": round((phases[0].rps + phases[-1].rps) / 2, 1),
        "ratios_to_floor": ratios, "target_ratio": TARGET_RATIO, "aim_ratio": AIM_RATIO,
        "meets_target": all(r >= TARGET_RATIO for r in ratios.values()),
        "tails_within": all(ph.p99_ms <= TAIL_RATIO * ph.p50_ms for ph in phases),
    }, ensure_ascii=False, indent=2) + "\n")
    return out


def measure_floor(args, workdir: Path, servers: list[Server], when: str) -> Phase:
    """A bare Flask app under the same gunicorn settings: the fastest any request can be.
    `when` ("before", "after") names the phase and its working directory."""
    floor_dir = workdir / f"floor-{when}"
    floor_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUSHE_")}
    server = start_gunicorn("floor_app:app", env=env, workers=args.workers,
                            worker_class=args.worker_class, threads=args.threads,
                            workdir=floor_dir, chdir=BENCH_DIR)
    servers.append(server)
    client = Client(server.port, args.timeout)

    def hello(_):
        return client.call("GET", "/api/v1/health")

    def checked(measured: Phase) -> Phase:  # a floor that fails stops the run
        if measured.errors:
            raise BenchError(f"{measured.name} failed: {measured.error_kinds}\n"
                             f"{server.log_tail()}")
        return measured

    def threaded(name: str, count: int) -> Phase:
        return checked(run_phase(name, client, server, list(range(count)), hello, health_ok,
                                 concurrency=args.concurrency,
                                 time_limit=args.phase_time_limit))

    name = f"floor {when} (Flask)"
    try:
        threaded("warm-up: floor", args.warmup)
        if args.client == "python":
            return threaded(name, args.requests)
        script = wrk.write_script(floor_dir / "floor.lua", url_path="/api/v1/health",
                                  headers=client.headers(False), want='"status": "ok"')
        return checked(wrk.measure(args, name, server, script))
    finally:
        server.stop()


def run(args, workdir: Path, servers: list[Server]) -> int:
    if args.database_url:
        kind, database_url = "postgresql", args.database_url
        print(f"preparing PostgreSQL database {urlsplit(database_url).path.lstrip('/')} …")
        prepare_postgres(database_url)
    else:
        kind, database_url = "sqlite", f"sqlite:///{workdir / 'bench.db'}"
    idle_check = busy_before()
    if idle_check is not None and idle_check > NOISY_PCT:
        print(f"note: the machine was {idle_check}% busy (of one core) before the run: other "
              "work skews the figures")
    floor = measure_floor(args, workdir, servers, "before")
    secret = secrets.token_urlsafe(36)  # 48 characters
    password = secrets.token_urlsafe(12)
    started = time.perf_counter()
    print(f"migrating and seeding {args.volunteers} volunteers ({kind}) …", flush=True)
    seeded = migrate_and_seed(database_url, secret, args.volunteers, password)
    print(f"  done in {time.perf_counter() - started:.1f} s")

    env = server_env(database_url, secret)
    if args.door_bound:  # bench/door_bound.py importable; gunicorn runs in the project's directory
        env["PYTHONPATH"] = str(BENCH_DIR)
    server = start_gunicorn("door_bound:app" if args.door_bound else "server.app:create_app()",
                            env=env,
                            workers=args.workers, worker_class=args.worker_class,
                            threads=args.threads, workdir=workdir, chdir=PROJECT_DIR)
    servers.append(server)
    threads = f" × {args.threads} threads" if args.worker_class == "gthread" else ""
    load = (f"wrk -t1 -c{args.concurrency}, {args.duration:g} s per phase"
            if args.client == "wrk" else
            f"{args.concurrency} Python threads, {args.requests} requests per phase")
    print(f"gunicorn on 127.0.0.1:{server.port}: {args.workers} {args.worker_class} "
          f"workers{threads}; client: {load}", flush=True)
    if args.door_bound:
        print("UPPER BOUND, not Wushe: scans answered by bench/door_bound.py, without CSRF, "
              "hooks, headers or metrics", flush=True)

    client = Client(server.port, args.timeout)
    client.login(ORGANISER_PHONE, password)
    scans = f"/api/v1/activities/{seeded['activity_id']}/scans"

    def scan(code):
        return client.call("POST", scans, {"code": code, "direction": "entry",
                                           "nonce": uuid.uuid4().hex, "device": "bench"})

    def health(_):
        return client.call("GET", "/api/v1/health")

    def phase(name, items, send, check):
        return run_phase(name, client, server, list(items), send, check,
                         concurrency=args.concurrency, time_limit=args.phase_time_limit,
                         db_cpu=postgres_cpu_seconds if kind == "postgresql" else None)

    # warm-up, unmeasured: imports, compiled SQL and connection pools in every worker. The
    # codes are well-formed but unknown: the whole scan path up to `invalid_code`.
    unknown = ["WSP1:" + secrets.token_urlsafe(32) for _ in range(args.warmup)]
    for warm in (phase("warm-up: health", range(args.warmup), health, health_ok),
                 phase("warm-up: scans", unknown, scan, expect_result("invalid_code"))):
        if warm.errors:
            raise BenchError(f"{warm.name} failed: {warm.error_kinds}\n{server.log_tail()}")

    codes = random.Random(args.seed).sample(seeded["payloads"], args.requests)
    if args.client == "wrk":
        measured = wrk.scan_phases(args, workdir, server, client, scans, codes,
                              postgres_cpu_seconds if kind == "postgresql" else None)
    else:
        again = random.Random(args.seed + 1).sample(codes, len(codes))
        measured = [
            phase("trivial (health)", range(args.requests), health, health_ok),
            phase("scan: distinct codes", codes, scan, expect_result("ok")),
            phase("scan: repeated codes", again, scan, expect_result("already_checked_in"))]
    server.stop()  # the floor again, alone on the machine as the first time
    after = measure_floor(args, workdir, servers, "after")
    phases = [floor, *measured, after]

    print()
    print_table(phases, "postgres" if kind == "postgresql" else "db")
    # the machine's speed drifts over a run: the phases between are judged against the
    # floor's mean, measured before and after them (bench/README.md)
    floor_rps = (floor.rps + after.rps) / 2
    ratios = {ph.name: round(ph.rps / floor_rps, 3) if floor_rps else 0.0 for ph in measured}
    print()
    print(f"floor: {floor.rps:.1f} req/s before, {after.rps:.1f} after (after / before = "
          f"{after.rps / floor.rps if floor.rps else 0.0:.2f}); the ratios below are to "
          f"their mean, {floor_rps:.1f}")
    for name, ratio in ratios.items():
        verdict = ("meets the aim" if ratio >= AIM_RATIO else "meets the target"
                   if ratio >= TARGET_RATIO else "MISSES the target")
        print(f"{name} / floor throughput = {ratio:.2f} ({verdict}: target ≥ {TARGET_RATIO}, "
              f"aim ≥ {AIM_RATIO})")
    for ph in phases:
        tail = ph.p99_ms / ph.p50_ms if ph.p50_ms else 0.0
        if tail > TAIL_RATIO:
            print(f"  {ph.name}: p99 is {tail:.1f} × p50 (more than {TAIL_RATIO:.0f} ×)")
    for ph in phases:
        for problem, count in ph.error_kinds.items():
            print(f"  error in {ph.name}: {count} × {problem}")
    noisy = [ph.name for ph in phases if (ph.other_cpu_pct or 0) > NOISY_PCT]
    if noisy:
        print(f"  other work used over {NOISY_PCT}% of a core during: {', '.join(noisy)}; "
              "those figures are low, run again on a quiet machine")
    if client.retries:
        print(f"  {client.retries} request(s) retried after the server closed a kept-alive "
              "connection")
    if not args.no_results:
        out = write_results(args, kind, database_url, phases, ratios, client.retries,
                            idle_check)
        print(f"\nfigures written to {out.relative_to(PROJECT_DIR)}")
    return 1 if any(ph.errors for ph in phases) else 0


def _interrupt(signum, frame):
    """A SIGTERM (a CI timeout, say) cleans up the way Ctrl-C does."""
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="wushe-bench-"))
    servers: list[Server] = []
    try:
        return run(args, workdir, servers)
    except BenchError as exc:
        print(f"scan_bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nscan_bench: interrupted", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
