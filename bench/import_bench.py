"""Roster import: time and peak memory of the preview (check) and of confirm, for rosters
of 10,000 and 100,000 volunteers, each with as many past-hours rows (issue: "memory stays
flat whatever the row count").

    .venv/bin/python bench/import_bench.py                 # 10,000 and 100,000, SQLite
    .venv/bin/python bench/import_bench.py --rows 1000 --tracemalloc
    .venv/bin/python bench/import_bench.py --database-url postgresql://USER@127.0.0.1:5432/DB

For each size the workbook is written with openpyxl's write-only mode, then a fresh child
process (so that writing it does not count) makes the tables, a street with two
communities, a coordinator and one finished activity per 50 hours rows, and calls
server.imports.services.check_upload() and confirm() as the page does (--background: the
upload is only stored, as a large one is, and the scheduler's job checks it,
server.imports.jobs, committing its progress as it goes). Each phase's peak
RSS is read from /proc (VmHWM, reset between phases through clear_refs); --tracemalloc
reports Python's own peak allocation instead (slower). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
PER_ACTIVITY = 50


def name_of(i: int) -> str:
    """A name without digits (names refuse them): 志愿者 and i in Chinese numerals."""
    return "志愿者" + "".join("零一二三四五六七八九"[int(d)] for d in str(i))


def _sheets(rows: int, day: str):
    """The roster's two sheets: (title, rows) with every value as the file holds it."""
    def people():
        yield ["姓名", "手机号", "社区", "身份证号(可选)", "技能"]
        for i in range(rows):
            yield [name_of(i), f"137{i:08d}", "运河园社区" if i % 2 else "新华社区", "",
                   "法律" if i % 7 == 0 else ""]

    def hours():
        yield ["手机号", "活动", "日期", "时长(小时)"]
        for i in range(rows):
            yield [f"137{i:08d}", f"讲堂{i // PER_ACTIVITY}", day, 1.5]
    return [("志愿者", people()), ("服务时长", hours())]


def write_roster(path: Path, rows: int, day: str, *, shared: bool = False) -> None:
    """openpyxl writes texts inline; Excel and WPS write them once each, in a shared-
    strings table the cells refer to (shared=True writes that, as they do)."""
    if shared:
        write_shared_roster(path, _sheets(rows, day))
        return
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    for title, values in _sheets(rows, day):
        sheet = book.create_sheet(title)
        for row in values:
            sheet.append(row)
    book.save(path)


def write_shared_roster(path: Path, sheets) -> None:
    import zipfile
    from xml.sax.saxutils import escape
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    table: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, (_, values) in enumerate(sheets, start=1):
            with zf.open(f"xl/worksheets/sheet{n}.xml", "w") as out:
                out.write(f'{head}<worksheet xmlns="{ns}"><sheetData>'.encode())
                for r, row in enumerate(values, start=1):
                    cells = "".join(
                        f'<c r="{chr(65 + i)}{r}"><v>{v}</v></c>' if isinstance(v, float)
                        else f'<c r="{chr(65 + i)}{r}" t="s"><v>'
                             f'{table.setdefault(v, len(table))}</v></c>'
                        for i, v in enumerate(row))
                    out.write(f'<row r="{r}">{cells}</row>'.encode())
                out.write(b"</sheetData></worksheet>")
        titles = [title for title, _ in sheets]
        with zf.open("xl/sharedStrings.xml", "w") as out:
            out.write(f'{head}<sst xmlns="{ns}">'.encode())
            for text in table:
                out.write(f'<si><t xml:space="preserve">{escape(text)}</t></si>'.encode())
            out.write(b"</sst>")
        numbers = range(1, len(titles) + 1)
        zf.writestr("[Content_Types].xml", head + (
            f'<Types xmlns="{pkg}/content-types"><Default Extension="rels" '
            f'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                      f'ContentType="{kind}.worksheet+xml"/>' for n in numbers)
            + f'<Override PartName="/xl/sharedStrings.xml" '
              f'ContentType="{kind}.sharedStrings+xml"/></Types>'))
        zf.writestr("_rels/.rels", head + (
            f'<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        zf.writestr("xl/workbook.xml", head + (
            f'<workbook xmlns="{ns}" xmlns:r="{rel}"><sheets>'
            + "".join(f'<sheet name="{t}" sheetId="{n}" r:id="rId{n}"/>'
                      for n, t in zip(numbers, titles, strict=True))
            + "</sheets></workbook>"))
        zf.writestr("xl/_rels/workbook.xml.rels", head + (
            f'<Relationships xmlns="{pkg}/relationships">'
            + "".join(f'<Relationship Id="rId{n}" Type="{rel}/worksheet" '
                      f'Target="worksheets/sheet{n}.xml"/>' for n in numbers)
            + f'<Relationship Id="rId0" Type="{rel}/sharedStrings" '
              f'Target="sharedStrings.xml"/></Relationships>'))


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def sqlite_peak():
    """SQLite's own allocations, in MB, since the last call (its high-water mark, reset):
    the embedded database's page cache and working memory are in this process too."""
    import ctypes
    try:
        lib = ctypes.CDLL("libsqlite3.so.0")  # the library the sqlite3 module uses
    except OSError:
        return None
    lib.sqlite3_memory_highwater.restype = ctypes.c_int64
    return round(lib.sqlite3_memory_highwater(1) / 2**20, 1)


def measure(args) -> dict:
    """In the child: seed, then check and confirm the roster, each phase measured."""
    import tracemalloc

    from server.app import create_app
    from server.core import clock
    from server.extensions import db
    url = args.database_url or f"sqlite:///{args.workdir}/bench.db"
    app = create_app({"ENV": "testing", "DATABASE_URL": url})
    out = {"rows": args.measure}
    with app.app_context():
        from sqlalchemy import text
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        actor, street = seed(app, args.measure, clock.now())
        db.session.commit()
        from server.imports import resolve, services
        phases = {}
        for phase in ("check", "confirm"):
            db.session.expire_all()
            reset_peak()
            if args.tracemalloc:
                tracemalloc.start()
            base = peak_rss_mb()
            sqlite_peak()
            started = time.perf_counter()
            if phase == "check":
                with open(args.path, "rb") as fh:
                    file = services.check_upload(
                        actor=actor, node=street, filename="roster.xlsx", stream=fh,
                        now=clock.now(), later_above=0 if args.background else None)
                if args.background:  # stored as waiting; the scheduler's job checks it
                    db.session.commit()
                    from server.imports import jobs
                    claimed = jobs.claim_next(now=clock.now())
                    db.session.commit()
                    jobs.check_claimed(claimed, now=clock.now(),
                                       checkpoint=db.session.commit)
                    db.session.commit()
                    file = services.get_import(claimed, actor)
                    assert file.status == "checked", file.status
                totals = resolve.totals(file.id)
            else:
                file = services.confirm(file, actor=actor, now=clock.now())
                totals = file.written
            db.session.commit()
            seconds = time.perf_counter() - started
            found = {"seconds": round(seconds, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
                     "rss_before_mb": round(base, 1), "result": totals}
            if db.engine.dialect.name == "sqlite":
                found["sqlite_peak_mb"] = sqlite_peak()
            if args.tracemalloc:
                found["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20,
                                                     1)
                tracemalloc.stop()
            phases[phase] = found
        out.update(phases)
    return out


def seed(app, rows: int, now):
    from server.accounts.models import RoleAssignment, User
    from server.activities.models import Activity
    from server.communities.models import Node, Organisation
    from server.extensions import db

    def node(name, kind, parent):
        made = Node(name=name, kind=kind, parent=parent, created_at=now)
        db.session.add(made)
        db.session.flush()
        made.path = f"{parent.path if parent else '/'}{made.id}/"
        return made
    district = node("大兴区", "district", None)
    street = node("魏善庄镇", "street", district)
    home = node("运河园社区", "community", street)
    node("新华社区", "community", street)
    actor = User(phone="13600000000", password_hash="!", name="王协调", created_at=now,
                 skills=[], active=True, care_mode=False)
    db.session.add(actor)
    db.session.flush()
    db.session.add(RoleAssignment(user_id=actor.id, role="coordinator", node_id=street.id,
                                  granted_at=now))
    org = Organisation(node_id=home.id, kind="social_org", name="贤妈智囊团", description="",
                       created_at=now, active=True)
    db.session.add(org)
    db.session.flush()
    starts = now - timedelta(days=10)
    db.session.add_all(Activity(
        organisation_id=org.id, node_id=home.id, title=f"讲堂{k}", kind="lecture",
        place="活动室", starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=100,
        status="finished", created_by_id=actor.id, created_at=now, updated_at=now,
        withdraw_cutoff_hours=2, required_skills=[], forces=[], confirmed_count=0,
        waitlist_count=0, description="", contact_name="", published_at=now, finished_at=now)
        for k in range(-(-rows // PER_ACTIVITY)))
    db.session.flush()
    db.session.refresh(actor)
    return actor, street


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="*", default=[10_000, 100_000])
    p.add_argument("--database-url")
    p.add_argument("--tracemalloc", action="store_true")
    p.add_argument("--background", action="store_true",
                   help="check as the scheduler's job does a large upload")
    p.add_argument("--shared-strings", action="store_true",
                   help="write the texts once, in a shared-strings table, as Excel and WPS "
                        "do (openpyxl writes them inline)")
    p.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    p.add_argument("--path", help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        print(json.dumps(measure(args), ensure_ascii=False))
        return
    from server.core.clock import local, now
    day = local(now() - timedelta(days=10)).date().isoformat()
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as workdir:
            path = Path(workdir) / "roster.xlsx"
            started = time.perf_counter()
            write_roster(path, rows, day, shared=args.shared_strings)
            written = time.perf_counter() - started
            cmd = [sys.executable, __file__, "--measure", str(rows), "--path", str(path),
                   "--workdir", workdir]
            if args.database_url:
                cmd += ["--database-url", args.database_url]
            if args.tracemalloc:
                cmd.append("--tracemalloc")
            if args.background:
                cmd.append("--background")
            done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
            if done.returncode:
                sys.exit(done.stderr)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{rows:>7} rows ({path.stat().st_size / 1e6:.1f} MB xlsx, written in "
                  f"{written:.1f} s)")
            for phase in ("check", "confirm"):
                r = result[phase]
                extra = (f", tracemalloc peak {r['tracemalloc_peak_mb']} MB"
                         if "tracemalloc_peak_mb" in r else "")
                if r.get("sqlite_peak_mb") is not None:
                    extra += f", SQLite's own peak {r['sqlite_peak_mb']} MB"
                print(f"  {phase:<8} {r['seconds']:>7} s  peak RSS {r['peak_rss_mb']} MB "
                      f"(before {r['rss_before_mb']} MB){extra}  {r['result']}")


if __name__ == "__main__":
    main()
