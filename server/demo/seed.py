"""`flask seed-demo`: a demo world built relative to the moment of seeding.

What is in it: world.py (places, organisations, people), history.py (a year of hours and
last week's, waiting for review), upcoming.py (activities under way now and to come),
seed_donations.py (funds and gifts). tips() says where each login starts.

Staying current. The demo is built through the services at moments relative to "now";
its activity under way is the measure of whether it is still current. A later run on a
demo whose live activity has ended (or is about to) rebuilds it from scratch instead of
shifting its timestamps: scans, hours, reviews, signed certificates (their HMAC covers the
issue time), notifications and columns other work adds would all have to move together,
and a shift by whole days still misses the time of day the live activity needs. A demo is
for trying things; rebuilding costs only what was tried in it, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import MetaData, select, text, update

from server.accounts.models import User
from server.activities.models import Activity
from server.communities.models import Node
from server.demo import upcoming
from server.demo.history import SERIES_WEEKS, seed_history
from server.demo.seed_donations import seed_donations
from server.demo.story import Story
from server.demo.teams import seed_team
from server.demo.world import ADMIN_PHONE, DEMO_PASSWORD, STAFF, build_world
from server.extensions import db
from server.notifications.models import Notification
from server.reports import rollups

__all__ = ["DEMO_PASSWORD", "NotADemo", "Seeded", "empty_database", "seed"]
# a re-run keeps the demo while its live activity has at least this long to go
LIVE_MARGIN = timedelta(minutes=30)


class NotADemo(RuntimeError):
    """The database holds something other than the demo: never seed into it or wipe it."""


@dataclass(frozen=True)
class Tip:
    phone: str
    name: str
    path: str
    what: str


@dataclass(frozen=True)
class Seeded:
    how: str  # seeded | current | rebuilt | reset
    logins: list[tuple[str, str, str, str]]
    tips: list[Tip]
    live_ends_at: datetime | None = None
    # a later run keeps the demo until then and rebuilds it after
    keep_until: datetime | None = None


def seed(*, now: datetime, reset: bool = False) -> Seeded:
    """Seed an empty database, keep a current demo, rebuild a stale one; reset: start over."""
    if reset:
        empty_database()
        how = "reset"
    else:
        state = _state(now)
        if state == "foreign":
            raise NotADemo("this database holds data that is not the demo: "
                           "use `flask seed-demo --reset` only if it may all be deleted")
        if state == "current":
            seed_donations(now=now)  # adds them to a demo seeded before donations existed
            rollups.rebuild(now=now)
            return _result("current")
        how = "seeded" if state == "empty" else "rebuilt"
        if state == "stale":
            empty_database()
    story = Story(now)
    world = build_world(now=now)
    seed_team(story, world, weeks=SERIES_WEEKS)
    seed_history(story, world)
    upcoming.seed_present(story, world)
    upcoming.seed_future(story, world)
    db.session.flush()
    seed_donations(now=now)
    _read_the_past(now)
    # the dashboard reads its figures kept ready: a coordinator sees the seeded year at once
    rollups.rebuild(now=now)
    return _result(how)


def _read_the_past(now: datetime) -> None:
    """A year of "hours approved" and "thank you" messages was read as it came: only the
    last few days' wait unread (an older person's badge shows a handful, not 86)."""
    db.session.execute(update(Notification).where(
        Notification.read_at.is_(None), Notification.created_at < now - timedelta(days=3))
        .values(read_at=Notification.created_at))


def _live() -> Activity | None:
    return db.session.scalar(select(Activity).where(Activity.title == upcoming.LIVE_TITLE))


def _state(now: datetime) -> str:
    """empty | foreign | current | stale."""
    anyone = db.session.scalar(select(User.id).limit(1))
    if anyone is None and db.session.scalar(select(Node.id).limit(1)) is None:
        return "empty"
    demo = db.session.scalar(select(User.id).where(User.phone == ADMIN_PHONE)) and \
        db.session.scalar(select(Node.id).where(Node.name == "大兴区"))
    if not demo:
        return "foreign"
    live = _live()
    if live is not None and live.starts_at <= now < live.ends_at - LIVE_MARGIN:
        return "current"
    return "stale"  # seeded earlier (or by an older version without a live activity)


def empty_database() -> None:
    """Every table of the database emptied (alembic's version kept), ids from 1 again.

    Reflected, not taken from the models, so tables a newer migration added go too."""
    connection = db.session.connection()
    found = MetaData()
    found.reflect(bind=connection)
    tables = [t for t in reversed(found.sorted_tables) if t.name != "alembic_version"]
    if connection.dialect.name == "postgresql":
        names = ", ".join(connection.dialect.identifier_preparer.quote(t.name)
                          for t in tables)
        if names:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            connection.execute(table.delete())
        if "sqlite_sequence" in {t.name for t in found.sorted_tables}:
            connection.execute(text("DELETE FROM sqlite_sequence"))
    db.session.expunge_all()


def _result(how: str) -> Seeded:
    live = _live()
    return Seeded(how=how, logins=[(role, phone, name, where)
                                   for phone, name, role, where in STAFF],
                  tips=tips(), live_ends_at=live.ends_at if live else None,
                  keep_until=live.ends_at - LIVE_MARGIN if live else None)


def tips() -> list[Tip]:
    """Where each demo login starts: what a newcomer can do in the first minute."""
    def activity_id(title: str) -> int | None:
        return db.session.scalar(select(Activity.id).where(Activity.title == title))

    live, town = activity_id(upcoming.LIVE_TITLE), activity_id(upcoming.LIVE_TOWN_TITLE)
    ended = activity_id(upcoming.ENDED_TITLE)
    return [
        Tip("13800000002", "张丽娜", f"/manage/{live}/scanner",
            "scan 李秀英's code: the activity is under way"),
        Tip("13800000001", "李秀英", "/code", "show your code to 张丽娜 (another phone)"),
        Tip("13800000001", "李秀英", "/me/family",
            "her grandson 李乐乐 has no phone: sign him up on an activity, then 我的码 → 李乐乐"),
        Tip("13800000001", "李秀英", "/me/notifications",
            "a place opened up for her in the book drive: try 我去不了 (I can't come)"),
        Tip("13800000001", "李秀英", "/hours",
            "about 120 approved hours, one star; ask BQteam for a certificate at "
            "/hours/certificates"),
        Tip("13800000002", "张丽娜", "/review/hours",
            "pending hours, a 补录 and a correction request; then /review/certificates"),
        Tip("13800000002", "张丽娜", f"/activities/{ended}",
            "ended half an hour ago: mark it finished, or the scheduler closes it an hour "
            "after its end (two never scanned out are checked out automatically)"),
        Tip("13800000003", "周伟静", f"/manage/{town}/scanner",
            "under way in 魏庄村; yesterday's hours at /review/hours"),
        Tip("13800000004", "王建国", "/review/hours",
            "his team's lecture falls due soon; BQteam's hours too"),
        Tip("13800000005", "赵红梅", "/review/hours",
            "东枣林村's hours; the donations desk at /desk"),
        Tip("13800000004", "王建国", "/stats",
            "通运街道's 五社联动 figures: this month, the year, each figure's records, "
            "Excel and the period report PDF"),
        Tip("13800000002", "张丽娜", "/programmes",
            "全职妈妈成长计划 and 银龄相伴: their activities, participants and hours"),
        Tip("13800000009", "陈志强", "/admin/organisations",
            "edit an organisation's contact phone and person in charge; /admin/tree"),
        Tip("13800000009", "陈志强", "/admin/jobs",
            "the scheduler: who leads, what each job did; his daily summary in /me/notifications"),
    ]
