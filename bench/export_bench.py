"""Hours export to Excel: time and memory for 100,000 approved entries (issue 4).

    .venv/bin/python bench/export_bench.py        # SQLite in a temp dir
    .venv/bin/python bench/export_bench.py --database-url postgresql://USER@127.0.0.1:5432/wushe_bench_export

Seeds one street with --entries approved hour entries in bulk (one activity per
--per-activity entries, --volunteers people, a few reversals, replacements and 补录), then
in a fresh child process (so that seeding does not count towards its memory) calls
server.hours.export.export_hours() for the street and the whole seeded year --repeat
times, inside an app context, as its coordinator, then once more as the endpoints do it
(write_export() into a temporary file). Prints seconds, rows/s, the child's peak RSS
(resource.getrusage, and each run's own peak where /proc allows resetting it) and the size
of the .xlsx. bench/README.md explains how to read it.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
for _path in (str(PROJECT_DIR), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from loadgen import BenchError  # noqa: E402
from scan_seed import prepare_postgres, settings_overrides  # noqa: E402

YEAR = 2025  # the seeded activities start on days of this year (Beijing time)
CHUNK = 10_000  # rows per executemany
PHONE_PREFIX = "137"


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Time server.hours.export.export_hours() on a bulk-seeded database.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url", help="PostgreSQL URL; the database is created if "
                   "missing and its public schema dropped and recreated (default: SQLite in a "
                   "temp dir)")
    p.add_argument("--entries", type=int, default=100_000, help="approved entries (rows)")
    p.add_argument("--per-activity", type=int, default=50, help="entries per activity")
    p.add_argument("--volunteers", type=int, default=5_000, help="distinct volunteers")
    p.add_argument("--repeat", type=int, default=3, help="timed exports")
    p.add_argument("--seed", type=int, default=4, help="random seed")
    p.add_argument("--keep", metavar="PATH", help="also write the last .xlsx here")
    # internal: the measuring child process
    p.add_argument("--measure", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _beijing(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


def seed(database_url: str, secret: str, args) -> dict:
    """Schema (create_all) and bulk rows; returns what the child needs to export."""
    from sqlalchemy import func, insert, select

    from server.accounts.models import RoleAssignment, User
    from server.activities.models import Activity
    from server.app import create_app
    from server.communities.models import Node, Organisation
    from server.extensions import db
    from server.hours.models import HourEntry, HourReview

    rng = random.Random(args.seed)
    app = create_app(settings_overrides(database_url, secret))
    with app.app_context():
        db.create_all()
        now = datetime.now(UTC).replace(microsecond=0)

        def node(name, kind, parent=None):
            n = Node(name=name, kind=kind, parent=parent, created_at=now)
            db.session.add(n)
            db.session.flush()
            n.path = f"{parent.path if parent else '/'}{n.id}/"
            return n

        district = node("压测区", "district")
        street = node("压测街道", "street", district)
        communities = [node(f"压测{i}社区", "community", street) for i in range(1, 11)]
        orgs = [Organisation(name=f"压测志愿服务队{i}", kind="volunteer_team", node=c,
                             created_at=now, active=True, description="")
                for i, c in enumerate(communities[:5], start=1)]
        coordinator = User(phone="13600000002", password_hash="-", name="压测协调员",
                           skills=[], created_at=now, active=True, care_mode=False)
        db.session.add_all([*orgs, coordinator])
        db.session.flush()
        db.session.add(RoleAssignment(user_id=coordinator.id, role="coordinator",
                                      node_id=street.id, granted_at=now))

        db.session.execute(insert(User), [
            {"phone": f"{PHONE_PREFIX}{i:08d}", "password_hash": "-", "name": f"志愿者{i}",
             "skills": [], "home_node_id": communities[i % 10].id, "created_at": now,
             "active": True, "care_mode": False} for i in range(1, args.volunteers + 1)])
        user_ids = list(db.session.scalars(
            select(User.id).where(User.phone.like(f"{PHONE_PREFIX}%")).order_by(User.id)))

        activities = -(-args.entries // args.per_activity)

        def starts(i: int) -> datetime:  # spread over the year, 09:00 to 16:00 Beijing
            return _beijing(date(YEAR, 1, 1) + timedelta(days=i * 365 // activities), 9 + i % 8)

        db.session.execute(insert(Activity), [
            {"title": f"社区志愿服务活动第{i}场", "kind": "community_event",
             "organisation_id": orgs[i % 5].id, "node_id": communities[i % 10].id,
             "place": f"压测{i % 10 + 1}社区活动室", "starts_at": starts(i),
             "ends_at": starts(i) + timedelta(hours=3), "capacity": args.per_activity,
             "status": "finished", "finished_at": starts(i) + timedelta(hours=3),
             "created_by_id": coordinator.id, "created_at": now,
             "updated_at": now, "published_at": now, "confirmed_count": 0,
             "waitlist_count": 0, "withdraw_cutoff_hours": 2, "required_skills": [],
             "forces": ["volunteers"], "description": "", "contact_name": "压测协调员",
             "hours_rounding": "minute"} for i in range(activities)])
        activity_ids = list(db.session.scalars(select(Activity.id).order_by(Activity.id)))

        # explicit ids, so that a reversal and its replacement can point at their entry
        next_id = (db.session.scalar(select(func.max(HourEntry.id))) or 0) + 1
        entries, reviews = [], []
        flag_sets = ([], [], [], ["auto_checkout"], ["duplicate_scans"],
                     ["self_checkin", "no_location"], ["walk_in"])
        made = 0
        for act_index, activity_id in enumerate(activity_ids):
            people = rng.sample(user_ids, min(args.per_activity, len(user_ids)))
            began = starts(act_index)
            for user_id in people:
                if made >= args.entries:
                    break
                minutes = rng.randrange(30, 181)
                kind, flags, sources = "attendance", rng.choice(flag_sets), ["organiser_scan"]
                if made % 97 == 0:
                    kind, flags, sources = "retroactive", ["retroactive"], ["retroactive"]
                row = {"id": next_id, "user_id": user_id, "activity_id": activity_id,
                       "kind": kind, "minutes": minutes, "sources": sources, "flags": flags,
                       "created_at": now, "served_from": began,
                       "served_to": began + timedelta(minutes=minutes)}
                entries.append(row)
                reviews.append({"entry_id": next_id, "decision": "approved",
                                "reviewer_id": coordinator.id, "decided_at": now})
                next_id += 1
                made += 1
                # one in 250: corrected afterwards (reversal + replacement, both approved)
                if made % 250 == 0 and made + 2 <= args.entries:
                    for kind2, mins, link in (("reversal", -minutes, "reverses_id"),
                                              ("replacement", minutes // 2, "replaces_id")):
                        entries.append({"id": next_id, "user_id": user_id,
                                        "activity_id": activity_id, "kind": kind2,
                                        "minutes": mins, "sources": [], "flags": [],
                                        "created_at": now, link: row["id"],
                                        "reason": "签退时间有误，按实际时长更正",
                                        "created_by_id": coordinator.id})
                        reviews.append({"entry_id": next_id, "decision": "approved",
                                        "reviewer_id": coordinator.id, "decided_at": now,
                                        "reason": "签退时间有误，按实际时长更正"})
                        next_id += 1
                        made += 1
            if len(entries) >= CHUNK:
                _flush(db, insert, HourEntry, HourReview, entries, reviews)
        _flush(db, insert, HourEntry, HourReview, entries, reviews)
        # noise outside the export: pending and rejected entries in the same street
        for decision in (None, "rejected"):
            for user_id in user_ids[:500]:
                entries.append({"id": next_id, "user_id": user_id,
                                "activity_id": activity_ids[0], "kind": "attendance",
                                "minutes": 60, "sources": [], "flags": [], "created_at": now})
                if decision:
                    reviews.append({"entry_id": next_id, "decision": decision,
                                    "reviewer_id": coordinator.id, "decided_at": now,
                                    "reason": "无签到记录"})
                next_id += 1
        _flush(db, insert, HourEntry, HourReview, entries, reviews)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text
            db.session.execute(text("SELECT setval('hour_entries_id_seq', :n)"), {"n": next_id})
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        result = {"node_id": street.id, "actor_id": coordinator.id, "rows": made,
                  "volunteers": len(user_ids), "activities": len(activity_ids)}
        db.session.remove()
        db.engine.dispose()
    return result


def _flush(db, insert, entry_model, review_model, entries, reviews) -> None:
    if entries:
        db.session.execute(insert(entry_model), entries)
    if reviews:
        db.session.execute(insert(review_model), reviews)
    entries.clear()
    reviews.clear()


def _maxrss_mb() -> float:
    """resource.getrusage: the process's peak RSS so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field: str) -> float | None:
    """VmRSS (now) or VmHWM (peak since the last reset) from /proc, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Start VmHWM afresh (Linux 4.0+), so each run's own peak can be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(spec: dict) -> None:
    """A child: app context, then export_hours() --repeat times ("bytes"), or
    write_export() into a temporary file once ("file": what the endpoints do).
    One JSON line before, one per run."""
    from server.accounts.models import User
    from server.app import create_app
    from server.communities.models import Node
    from server.extensions import db
    from server.hours.export import export_hours, write_export

    app = create_app(settings_overrides(spec["database_url"], spec["secret"]))
    with app.app_context():
        actor = db.session.get(User, spec["actor_id"])
        node = db.session.get(Node, spec["node_id"])
        _ = [r.node.path for r in actor.roles]
        db.session.rollback()
        print(json.dumps({"rss_mb": _status_mb("VmRSS"),
                          "maxrss_mb": round(_maxrss_mb(), 1)}), flush=True)
        start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
        runs = spec["repeat"] if spec["mode"] == "bytes" else 1
        data = b""
        for run in range(1, runs + 1):
            data = b""
            reset = _reset_peak()
            before = _status_mb("VmRSS")
            began = time.perf_counter()
            if spec["mode"] == "bytes":
                data = export_hours(actor, node, start, end, datetime.now(UTC))
                size = len(data)
            else:
                with tempfile.TemporaryFile() as fh:
                    write_export(fh, actor, node, start, end, datetime.now(UTC))
                    size = fh.tell()
            seconds = time.perf_counter() - began
            db.session.rollback()  # end the read transaction, as a request would
            print(json.dumps({
                "run": str(run) if spec["mode"] == "bytes" else "file",
                "seconds": round(seconds, 3), "bytes": size,
                "maxrss_mb": round(_maxrss_mb(), 1), "rss_before_mb": before,
                "run_peak_mb": _status_mb("VmHWM") if reset else None}), flush=True)
        if spec.get("keep") and data:
            Path(spec["keep"]).write_bytes(data)


def _child(spec: dict) -> list[dict]:
    child = subprocess.run([sys.executable, __file__, "--measure", json.dumps(spec)],
                           capture_output=True, text=True, cwd=PROJECT_DIR, check=False)
    if child.returncode != 0:
        raise BenchError(f"export failed:\n{child.stderr[-3000:]}")
    return [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.measure:
        measure(json.loads(args.measure))
        return 0
    workdir = tempfile.mkdtemp(prefix="wushe-export-bench-")
    try:
        if args.database_url:
            database_url = args.database_url
            prepare_postgres(database_url)
        else:
            database_url = f"sqlite:///{workdir}/bench.db"
        kind = database_url.split(":", 1)[0].split("+", 1)[0]
        secret = secrets.token_urlsafe(36)
        began = time.perf_counter()
        seeded = seed(database_url, secret, args)
        print(f"{kind}: seeded {seeded['rows']:,} approved entries, "
              f"{seeded['activities']:,} activities, {seeded['volunteers']:,} volunteers "
              f"(+1,000 pending/rejected) in {time.perf_counter() - began:.1f} s")
        spec = {"database_url": database_url, "secret": secret, "repeat": args.repeat,
                "node_id": seeded["node_id"], "actor_id": seeded["actor_id"],
                "keep": args.keep}
        print(f"{'run':>4} {'seconds':>8} {'rows/s':>9} {'getrusage peak MB':>18} "
              f"{'RSS before MB':>14} {'peak in run MB':>15} {'xlsx MB':>8}")
        for mode in ("bytes", "file"):
            base, *runs = _child({**spec, "mode": mode})
            print(f"  (fresh child, app loaded and connected: RSS {base['rss_mb']:.1f} MB, "
                  f"getrusage peak {base['maxrss_mb']:.1f} MB)")
            for line in runs:
                peak = line["run_peak_mb"]
                print(f"{line['run']:>4} {line['seconds']:>8.2f} "
                      f"{seeded['rows'] / line['seconds']:>9,.0f} {line['maxrss_mb']:>18.1f} "
                      f"{line['rss_before_mb']:>14.1f} "
                      f"{'n/a' if peak is None else f'{peak:.1f}':>15} "
                      f"{line['bytes'] / 1e6:>8.2f}")
        return 0
    except BenchError as exc:
        print(f"export bench: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
