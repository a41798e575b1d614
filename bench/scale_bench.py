"""The queues and the funds as data grows (issue 15): the review queue, the donation desk,
a fund's page and ledger, and one pledge's page ("what my gift funded"), in a small world
and a city-sized one built in one run, timed in both.

    .venv/bin/python bench/scale_bench.py --database-url postgresql://postgres@127.0.0.1:5432/wushe_queuesbench
    .venv/bin/python bench/scale_bench.py                     # SQLite files in a temp dir

The worlds are stats_bench.py's (volunteers, activities, scans, approved hours: its builder,
COPY on PostgreSQL), with on top: hour entries still waiting for review (--pending, one per
so many scans), a charity's fund in the district with --pledges money pledges of 100 yuan,
half of them received, and payouts of 1,000 yuan drawing on 40 % of what came in; the stored
totals and the gift tracing are then built the way the migration backfills them (flask
donations rebuild-stored). Each page is requested --repeat times in process, as the district
coordinator (the queues, the fund) or as the donor of the oldest gift (its page); the median,
the ratio big/small and the SQL statements per request are printed. Target: each within
1.5x of its small-world time.
"""

from __future__ import annotations

import argparse
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
for _path in (str(BENCH_DIR.parent), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from loadgen import BenchError  # noqa: E402
from scan_seed import prepare_postgres, settings_overrides  # noqa: E402
from stats_bench import PASSWORD, _copy  # noqa: E402
from stats_bench import build as build_world  # noqa: E402

DONOR = "13600000002"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url", help="PostgreSQL URL of a dedicated database (it is "
                   "emptied; the big world goes into <name>_big); default: SQLite files")
    p.add_argument("--small", default="1000,200,10000,500",
                   help="volunteers,activities,scans,pledges of the small world")
    p.add_argument("--big", default="100000,20000,1000000,50000",
                   help="volunteers,activities,scans,pledges of the big world")
    p.add_argument("--pending", type=int, default=500,
                   help="one hour entry waiting for review per this many scans")
    p.add_argument("--repeat", type=int, default=11, help="requests per page")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--reuse", action="store_true", help="PostgreSQL: measure the worlds an "
                   "earlier run built, without building them again")
    return p.parse_args(argv)


def existing(database_url: str, secret: str) -> dict:
    """The fund and the oldest gift an earlier run left in this database."""
    from sqlalchemy import select

    from server.app import create_app
    from server.donations.models import Fund, Pledge
    from server.extensions import db
    app = create_app(settings_overrides(database_url, secret))
    with app.app_context():
        fund = db.session.scalar(select(Fund.id).where(Fund.title == "压测爱心救助基金"))
        if fund is None:
            raise BenchError(f"no world in {database_url}: run without --reuse first")
        pledge = db.session.scalar(select(Pledge.id).where(Pledge.reference == "B0000000"))
        db.engine.dispose()
    return {"fund": fund, "pledge": pledge}


def extend(database_url: str, secret: str, scans: int, pledges: int, pending_every: int,
           rng: random.Random) -> dict:
    """Waiting hour entries, a fund with pledges, receipts and payouts, its stored state."""
    from sqlalchemy import func, select

    from server.accounts.models import User
    from server.accounts.passwords import hash_password
    from server.activities.models import Activity
    from server.app import create_app
    from server.communities.models import Node, Organisation
    from server.donations import cli
    from server.donations.models import Fund, Pledge
    from server.donations.movements import Distribution, Fulfilment, LedgerEntry
    from server.extensions import db
    from server.hours import ledger as hours_ledger
    from server.hours.models import HourEntry

    app = create_app(settings_overrides(database_url, secret))
    with app.app_context():
        now = datetime.now(UTC).replace(microsecond=0)
        today = now.date()
        first_user, users = db.session.execute(
            select(func.min(User.id), func.count(User.id)).where(User.phone.like("137%"))).one()
        first_activity, activities = db.session.execute(
            select(func.min(Activity.id), func.count(Activity.id))).one()
        waiting = max(scans // pending_every, 1)
        _copy(db, HourEntry, ("user_id", "activity_id", "kind", "minutes", "sources", "flags",
                              "created_at"),
              ((first_user + rng.randrange(users), first_activity + (n * 37) % activities,
                "attendance", 30 + rng.randrange(150), '["scan"]', "[]", now)
               for n in range(waiting)))
        district = db.session.scalar(select(Node).where(Node.name == "压测区"))
        coordinator = db.session.scalar(select(User).where(User.phone == "13600000001"))
        donor = User(phone=DONOR, password_hash=hash_password(PASSWORD), name="压测捐赠人",
                     skills=[], created_at=now, active=True, care_mode=False)
        host = Organisation(name="压测慈善会", kind="charity", node=district, created_at=now,
                            active=True, description="")
        db.session.add_all([donor, host])
        db.session.flush()
        fund = Fund(kind="fund", title="压测爱心救助基金", purpose="大病救助", criteria="",
                    how_to_give="", host_id=host.id, node_id=district.id, status="open",
                    accepts_money=True, accepts_goods=True, created_by_id=coordinator.id,
                    created_at=now)
        db.session.add(fund)
        db.session.flush()
        sqlite = db.engine.dialect.name == "sqlite"

        def money(value: str):  # a raw INSERT skips the column type: SQLite keeps whole fen
            return int(Decimal(value) * 100) if sqlite else Decimal(value)
        hundred = money("100.00")
        received = pledges // 2
        _copy(db, Pledge, (
            "fund_id", "reference", "donor_id", "donor_name", "donor_phone", "display",
            "display_set_at", "kind", "amount", "wants_receipt", "note", "version",
            "created_at", "updated_at", "fulfilled", "accepted_at"),
            ((fund.id, f"B{n:07d}", donor.id if n == 0 else first_user + n % users,
              f"捐赠人{n}", None, "anonymous", now, "money", hundred, False, "",
              1 if n < received else 0, now - timedelta(days=pledges - n) / 100, now,
              n < received, now) for n in range(pledges)))
        first_pledge = db.session.scalar(select(func.min(Pledge.id)).where(
            Pledge.fund_id == fund.id))
        _copy(db, Fulfilment, ("pledge_id", "fund_id", "kind", "amount", "received_on",
                               "receipt_waived", "note", "recorded_by_id", "recorded_at"),
              ((first_pledge + n, fund.id, "money", hundred,
                today - timedelta(days=(received - n) // 50 + 30), True, "", coordinator.id,
                now) for n in range(received)))
        first_fulfilment = db.session.scalar(select(func.min(Fulfilment.id)).where(
            Fulfilment.fund_id == fund.id))
        _copy(db, LedgerEntry, ("fund_id", "kind", "occurred_on", "amount", "purpose",
                                "pledge_id", "fulfilment_id", "note", "recorded_at"),
              ((fund.id, "cash_in", today - timedelta(days=(received - n) // 50 + 30), hundred,
                fund.title, first_pledge + n, first_fulfilment + n, "", now)
               for n in range(received)))
        payouts = max(received * 100 * 4 // 10 // 1000, 1)
        _copy(db, Distribution, ("fund_id", "kind", "amount", "recipient_kind",
                                 "recipient_name", "decision_ref", "purpose", "signed_by",
                                 "distributed_on", "recorded_by_id", "recorded_at"),
              ((fund.id, "money", money("1000.00"), "household", f"受助人{n}",
                f"压测〔2026〕第{n}号", "大病救助", f"受助人{n}",
                today - timedelta(days=(payouts - n) // 10), coordinator.id, now)
               for n in range(payouts)))
        first_payout = db.session.scalar(select(func.min(Distribution.id)).where(
            Distribution.fund_id == fund.id))
        _copy(db, LedgerEntry, ("fund_id", "kind", "occurred_on", "amount", "purpose",
                                "recipient_public", "distribution_id", "note", "recorded_at"),
              ((fund.id, "payout", today - timedelta(days=(payouts - n) // 10),
                money("-1000.00"), "大病救助", f"受{n}家", first_payout + n, "", now)
               for n in range(payouts)))
        db.session.commit()
        began = time.perf_counter()
        cli.rebuild([fund.id])  # the migration's backfill
        hours_ledger.rebuild_queue()  # and hour_queue's: the entries COPY wrote wait
        db.session.commit()
        backfill = time.perf_counter() - began
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        result = {"fund": fund.id, "pledge": first_pledge, "waiting": waiting,
                  "payouts": payouts, "backfill_s": backfill}
        db.session.remove()
        db.engine.dispose()
    return result


def _login(client, phone: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    resp = client.post("/login", data={"phone": phone, "password": PASSWORD,
                                       "csrf_token": token})
    if resp.status_code != 302:
        raise BenchError(f"login as {phone} failed: {resp.status_code}")


def measure(database_url: str, secret: str, world: dict, repeat: int) -> dict:
    """Median milliseconds and statements per request of each page."""
    from sqlalchemy import event

    from server.app import create_app
    from server.extensions import db

    app = create_app(settings_overrides(database_url, secret))
    with app.app_context():
        engine = db.engine
    counted = {"n": 0}

    def count(*_args):
        counted["n"] += 1
    event.listen(engine, "before_cursor_execute", count)
    coordinator, donor = app.test_client(), app.test_client()
    _login(coordinator, "13600000001")
    _login(donor, DONOR)
    f, p = world["fund"], world["pledge"]
    pages = {
        "review queue, page": (coordinator, "/review/hours"),
        "review queue, API": (coordinator, "/api/v1/hours/review"),
        # 10 a page: the small world's 20 waiting activities make a second page too
        "review queue, API page 2": (coordinator, "/api/v1/hours/review?page=2&per_page=10"),
        "desk queue, page": (coordinator, "/desk"),
        "desk queue, API": (coordinator, "/api/v1/desk/pledges"),
        "desk queue, API page 3": (coordinator, "/api/v1/desk/pledges?page=3"),
        "fund page": (coordinator, f"/funds/{f}"),
        "fund API": (coordinator, f"/api/v1/funds/{f}"),
        "fund ledger, page": (coordinator, f"/funds/{f}/ledger"),
        "fund ledger, API": (coordinator, f"/api/v1/funds/{f}/ledger"),
        "what my gift funded, page": (donor, f"/pledges/{p}"),
        "what my gift funded, API": (donor, f"/api/v1/me/pledges/{p}"),
    }
    out = {}
    for name, (client, url) in pages.items():
        times, statements, size = [], [], 0
        for _ in range(repeat):
            counted["n"] = 0
            began = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            statements.append(counted["n"])
            size = len(r.get_data())
            if r.status_code != 200:
                raise BenchError(f"{url}: {r.status_code}")
        out[name] = (statistics.median(times), statistics.median(statements), size)
    with app.app_context():
        db.engine.dispose()
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="wushe-scale-bench-")
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
            v, a, s, p = (int(x) for x in getattr(args, name).split(","))
            began = time.perf_counter()
            build_world(urls[name], secret, v, a, s, rng)
            worlds[name] = extend(urls[name], secret, s, p, args.pending, rng)
            w = worlds[name]
            print(f"{name}: {v:,} volunteers, {a:,} activities, {s:,} scans, {s // 2:,} approved "
                  f"+ {w['waiting']:,} waiting hour entries, {p:,} pledges, {w['payouts']:,} "
                  f"payouts, built in {time.perf_counter() - began:.0f} s (stored fund state "
                  f"backfilled in {w['backfill_s']:.1f} s)", flush=True)
        for name in ("small", "big"):
            results[name] = measure(urls[name], secret, worlds[name], args.repeat)
        print(f"\n{'page':<28} {'small ms':>9} {'big ms':>9} {'ratio':>6} {'statements':>11} "
              f"{'bytes':>17}")
        for page, (small_ms, small_n, small_b) in results["small"].items():
            big_ms, big_n, big_b = results["big"][page]
            print(f"{page:<28} {small_ms:>9.1f} {big_ms:>9.1f} {big_ms / small_ms:>6.2f} "
                  f"{small_n:>5.0f} → {big_n:<4.0f} {small_b:>8,} → {big_b:,}")
        return 0
    except BenchError as exc:
        print(f"scale bench: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
