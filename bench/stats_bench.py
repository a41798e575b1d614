"""The 五社联动 dashboard as data grows (issue 13): a small world and a city-sized one,
built in one run, the statistics rebuilt in each, then the same pages timed in both.

    .venv/bin/python bench/stats_bench.py --database-url postgresql://postgres@127.0.0.1:5432/wushe_bench
    .venv/bin/python bench/stats_bench.py                     # SQLite files in a temp dir

Worlds (defaults): small = 1,000 volunteers, 200 activities, 10,000 scans; big = 100,000
volunteers, 20,000 activities, 1,000,000 scans; both with about half as many approved
hour entries as scans, one district of ten streets of ten communities, a programme, over
the current year. Bulk inserts (COPY on PostgreSQL). On PostgreSQL the big world goes
into a second database named after the first with a `_big` suffix.

Each page is requested --repeat times in process through the Flask test client, logged in
as the district's coordinator; the median, the ratio big/small, and the number of SQL
statements per request are printed. The target (issue 13): the dashboard within 1.5× of
its small-world time. The lists behind figures read the records themselves (paged) and
are shown for what they are.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
for _path in (str(PROJECT_DIR), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from export_bench import _reset_peak, _status_mb  # noqa: E402
from loadgen import BenchError  # noqa: E402
from scan_seed import prepare_postgres, settings_overrides  # noqa: E402

PASSWORD = "bench-pass-2026"
CHUNK = 20_000


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url", help="PostgreSQL URL of a dedicated database (it is "
                   "emptied); default: SQLite files in a temp dir")
    p.add_argument("--small", default="1000,200,10000",
                   help="volunteers,activities,scans of the small world")
    p.add_argument("--big", default="100000,20000,1000000",
                   help="volunteers,activities,scans of the big world")
    p.add_argument("--repeat", type=int, default=15, help="requests per page")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--reuse", action="store_true", help="PostgreSQL: measure the worlds an "
                   "earlier run built, without building them again")
    return p.parse_args(argv)


def _defaults(table, given: tuple[str, ...]) -> dict:
    """The model's Python-side defaults for the columns not given (a bulk COPY or a plain
    INSERT does not apply them), JSON as text."""
    out = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or column.primary_key:
            continue
        value = default.arg if default.is_scalar else (
            default.arg(None) if default.is_callable else None)
        if value is None:
            continue
        out[column.name] = json.dumps(value) if isinstance(value, list | dict) else value
    return out


def _copy(db, model, columns: tuple[str, ...], rows) -> None:
    """COPY on PostgreSQL, executemany elsewhere; rows is an iterable of tuples."""
    from sqlalchemy import text
    table = model.__table__
    extra = _defaults(table, columns)
    names = (*columns, *extra)
    tail = tuple(extra.values())
    if db.engine.dialect.name == "postgresql":
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(
                f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, *tail))
        return
    statement = text(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
                     f"({', '.join(':' + c for c in names)})")
    batch = []
    for row in rows:
        batch.append(dict(zip(names, (*row, *tail), strict=True)))
        if len(batch) >= CHUNK:
            db.session.execute(statement, batch)
            batch.clear()
    if batch:
        db.session.execute(statement, batch)


def build(database_url: str, secret: str, volunteers: int, activities: int, scans: int,
          rng: random.Random) -> dict:
    from sqlalchemy import func, select

    from server.accounts.models import RoleAssignment, User
    from server.accounts.passwords import hash_password
    from server.activities.models import Activity, Programme, Signup
    from server.app import create_app
    from server.checkin.models import Scan
    from server.communities.models import Node, Organisation
    from server.extensions import db
    from server.hours.models import HourEntry, HourReview

    app = create_app(settings_overrides(database_url, secret))
    with app.app_context():
        db.create_all()
        now = datetime.now(UTC).replace(microsecond=0)
        year_start = datetime(now.year, 1, 1, tzinfo=UTC)
        span = max((now - year_start).days - 1, 30)

        def node(name, kind, parent=None):
            n = Node(name=name, kind=kind, parent=parent, created_at=now)
            db.session.add(n)
            db.session.flush()
            n.path = f"{parent.path if parent else '/'}{n.id}/"
            return n

        district = node("压测区", "district")
        communities = []
        for s in range(10):
            street = node(f"压测{s}街道", "street", district)
            communities += [node(f"压测{s}-{c}社区", "community", street) for c in range(10)]
        for c in communities[::2]:
            c.platform_name = f"{c.name}社工站"
        orgs = [Organisation(name=f"压测志愿服务队{i}", kind="volunteer_team",
                             node=communities[i], created_at=now, active=True,
                             description="") for i in range(20)]
        coordinator = User(phone="13600000001", password_hash=hash_password(PASSWORD),
                           name="压测协调员", skills=[], created_at=now, active=True,
                           care_mode=False)
        db.session.add_all([*orgs, coordinator])
        db.session.flush()
        programme = Programme(organisation_id=orgs[0].id, name="全职妈妈成长计划",
                              description="", created_at=now)
        db.session.add_all([programme, RoleAssignment(user_id=coordinator.id,
                                                      role="coordinator",
                                                      node_id=district.id, granted_at=now)])
        db.session.flush()
        _copy(db, User, ("phone", "password_hash", "name", "skills", "home_node_id",
                            "created_at", "active", "care_mode"),
              ((f"137{i:08d}", "-", f"志愿者{i}", "[]", communities[i % 100].id, now, True,
                False) for i in range(volunteers)))
        first_user = db.session.scalar(select(func.min(User.id)).where(
            User.phone.like("137%")))
        forces = '["community", "volunteers", "charity"]'
        starts = [year_start + timedelta(days=rng.randrange(span), hours=1 + rng.randrange(8))
                  for _ in range(activities)]
        _copy(db, Activity, (
            "title", "kind", "organisation_id", "node_id", "programme_id", "place",
            "starts_at", "ends_at", "capacity", "status", "created_by_id", "created_at",
            "updated_at", "published_at", "finished_at", "confirmed_count", "waitlist_count",
            "withdraw_cutoff_hours", "required_skills", "forces", "description",
            "contact_name", "hours_rounding"),
            ((f"社区志愿服务第{i}场", ("lecture", "home_visit", "community_event")[i % 3],
              orgs[i % 20].id, communities[(i * 7) % 100].id,
              programme.id if i % 10 == 0 else None, "活动室", starts[i],
              starts[i] + timedelta(hours=3), 100, "finished", coordinator.id, now, now, now,
              starts[i] + timedelta(hours=3), 0, 0, 2, "[]", forces, "", "", "minute")
             for i in range(activities)))
        first_activity = db.session.scalar(select(func.min(Activity.id)))
        per = max(scans // activities, 1)

        def person(a: int, k: int) -> int:  # distinct people within an activity
            return first_user + (a * 131 + k) % volunteers
        _copy(db, Signup, ("activity_id", "user_id", "status", "queue_no", "created_at",
                           "presence", "scan_seq"),
              ((first_activity + a, person(a, k), "confirmed", k + 1, now, "out", 1)
               for a in range(activities) for k in range(per)))
        first_signup = db.session.scalar(select(func.min(Signup.id)))

        def scan_rows():  # one check-in scan per sign-up, in sign-up order
            for a in range(activities):
                for k in range(per):
                    at = starts[a] + timedelta(minutes=k % 60)
                    yield (first_activity + a, person(a, k), first_signup + a * per + k,
                           "entry", "ok", "organiser_scan", coordinator.id, at, at, 1,
                           False, False, False, False)
        _copy(db, Scan, ("activity_id", "user_id", "signup_id", "direction", "result",
                         "source", "operator_id", "server_time", "effective_time", "seq",
                         "forced", "walk_in", "assisted", "late"), scan_rows())
        entries = scans // 2

        def entry_rows():
            for n in range(entries):
                a = n % activities
                yield (n + 1, first_user + rng.randrange(volunteers), first_activity + a,
                       "attendance", 30 + rng.randrange(150), "[]", "[]", now)
        _copy(db, HourEntry, ("id", "user_id", "activity_id", "kind", "minutes",
                                   "sources", "flags", "created_at"), entry_rows())
        _copy(db, HourReview, ("entry_id", "decision", "reviewer_id", "decided_at"),
              ((n + 1, "approved", coordinator.id, now) for n in range(entries)))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text
            db.session.execute(text("SELECT setval('hour_entries_id_seq', :n)"),
                               {"n": entries + 1})
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        from server.reports import rollups
        began = time.perf_counter()
        periods = rollups.rebuild(now=now)
        db.session.commit()
        rebuilt = time.perf_counter() - began
        result = {"district": district.id, "street": communities[0].parent_id,
                  "periods": periods, "rebuild_s": rebuilt, "year": now.year,
                  "month": f"{now.year}-{now.month - 1 if now.month > 1 else 1:02d}"}
        db.session.remove()
        db.engine.dispose()
    return result


def existing(database_url: str, secret: str) -> dict:
    """The world an earlier run left in this database."""
    from sqlalchemy import select

    from server.app import create_app
    from server.communities.models import Node
    from server.extensions import db
    app = create_app(settings_overrides(database_url, secret))
    with app.app_context():
        district = db.session.scalar(select(Node).where(Node.name == "压测区"))
        if district is None:
            raise BenchError(f"no world in {database_url}: run without --reuse first")
        street = db.session.scalar(select(Node.id).where(Node.parent_id == district.id)
                                   .order_by(Node.id))
        now = datetime.now(UTC)
        world = {"district": district.id, "street": street, "year": now.year,
                 "month": f"{now.year}-{now.month - 1 if now.month > 1 else 1:02d}"}
        db.engine.dispose()
    return world


def measure(database_url: str, secret: str, world: dict, repeat: int) -> dict:
    """Median milliseconds and statements per request of each page."""
    from sqlalchemy import event

    from server.app import create_app
    from server.extensions import db

    app = create_app(settings_overrides(database_url, secret))
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    counted = {"n": 0}

    def count(*_args):
        counted["n"] += 1
    event.listen(engine, "before_cursor_execute", count)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    resp = client.post("/login", data={"phone": "13600000001", "password": PASSWORD,
                                       "csrf_token": token})
    if resp.status_code != 302:
        raise BenchError(f"login failed: {resp.status_code}")
    d, year, month = world["district"], world["year"], world["month"]
    pages = {
        "dashboard, year": f"/stats/{d}?period={year}",
        "dashboard, month": f"/stats/{d}?period={month}",
        "dashboard API, year": f"/api/v1/stats/{d}?period={year}",
        "dashboard, a street": f"/stats/{world['street']}?period={year}",
        "list: activities (page 1)": f"/stats/{d}/figures/activities?period={month}",
        "list: volunteers (page 1)": f"/stats/{d}/figures/volunteers?period={month}",
    }
    out = {}
    for name, url in pages.items():
        times, statements = [], []
        for _ in range(repeat):
            counted["n"] = 0
            began = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            statements.append(counted["n"])
            if r.status_code != 200:
                raise BenchError(f"{url}: {r.status_code}")
        out[name] = (statistics.median(times), statistics.median(statements))
    for figure in ("volunteers", "activities"):
        url = f"/stats/{d}/export.xlsx?figure={figure}&period={year}"
        _reset_peak()
        before = _status_mb("VmRSS")
        began = time.perf_counter()
        r = client.get(url)
        size = sum(len(block) for block in r.response)  # streamed, a block at a time
        out[f"export: {figure}, year"] = ((time.perf_counter() - began) * 1000, {
            "bytes": size, "rss_before_mb": before, "peak_mb": _status_mb("VmHWM")})
    with app.app_context():
        db.engine.dispose()
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="wushe-stats-bench-")
    rng = random.Random(args.seed)
    try:
        if args.database_url:
            urls = {"small": args.database_url, "big": args.database_url + "_big"}
            for url in urls.values():
                if not args.reuse:
                    prepare_postgres(url)
        else:
            urls = {w: f"sqlite:///{workdir}/{w}.db" for w in ("small", "big")}
        secret = secrets.token_urlsafe(36)
        worlds, results = {}, {}
        for name in ("small", "big"):
            if args.reuse and args.database_url:
                worlds[name] = existing(urls[name], secret)
                continue
            v, a, s = (int(x) for x in getattr(args, name).split(","))
            began = time.perf_counter()
            worlds[name] = build(urls[name], secret, v, a, s, rng)
            print(f"{name}: {v:,} volunteers, {a:,} activities, {s:,} scans, {s // 2:,} "
                  f"approved hours entries built in {time.perf_counter() - began:.0f} s; "
                  f"statistics rebuilt ({worlds[name]['periods']} periods) in "
                  f"{worlds[name]['rebuild_s']:.1f} s", flush=True)
        for name in ("small", "big"):
            results[name] = measure(urls[name], secret, worlds[name], args.repeat)
        print(f"\n{'page':<28} {'small ms':>9} {'big ms':>9} {'ratio':>6} {'statements':>11}")
        for page, (small_ms, small_n) in results["small"].items():
            big_ms, big_n = results["big"][page]
            if isinstance(small_n, dict):  # an export: size and memory instead of statements
                print(f"{page:<28} {small_ms:>9.1f} {big_ms:>9.1f} {big_ms / small_ms:>6.2f} "
                      f"  {small_n['bytes'] / 1e6:.2f} → {big_n['bytes'] / 1e6:.2f} MB xlsx; "
                      f"RSS {small_n['rss_before_mb']:.1f} → peak {small_n['peak_mb']:.1f} MB, "
                      f"{big_n['rss_before_mb']:.1f} → peak {big_n['peak_mb']:.1f} MB")
                continue
            print(f"{page:<28} {small_ms:>9.1f} {big_ms:>9.1f} {big_ms / small_ms:>6.2f} "
                  f"{small_n:>5.0f} → {big_n:.0f}")
        return 0
    except BenchError as exc:
        print(f"stats bench: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
