"""Living the demo's history through the services, each step at its own moment.

The demo is not written as rows: activities are created and published, people sign up,
organisers scan codes (some offline, some people check themselves in), attendance closes
and reviewers decide, each by the service a person would reach through a page, at the
moment it would have happened. Whatever rules those services learn (locks, new columns,
"a 补录 needs a sign-up"), the demo keeps obeying them, and a demo the services would
refuse fails to seed instead of showing something impossible.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from server.accounts.models import User
from server.activities import services as activities
from server.activities import signups
from server.activities.models import Activity
from server.checkin import codes
from server.checkin import services as checkin
from server.communities.models import Node, Organisation
from server.core.clock import SHANGHAI
from server.hours import review


def beijing(day: date, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as UTC (what the services store)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


class Story:
    """Helpers that put one demo event through its service at a given moment."""

    def __init__(self, now: datetime):
        self.now = now
        self.today = now.astimezone(SHANGHAI).date()
        self._nonces = 0

    # when -----------------------------------------------------------------------------------

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        """Beijing wall-clock time `days` from today (negative: in the past), as UTC."""
        return beijing(self.today + timedelta(days=days), hour, minute)

    # activities -----------------------------------------------------------------------------

    def activity(self, actor: User, organisation: Organisation, title: str, kind: str,
                 place: str, starts: datetime, hours: float, capacity: int, *,
                 node: Node | None = None, created: datetime | None = None,
                 publish: bool = True, **fields) -> Activity:
        """Created (and published) by its organiser, two weeks ahead or just now."""
        created = created or min(starts - timedelta(days=14), self.now - timedelta(hours=3))
        fields.setdefault("forces", ["community", "social_workers", "volunteers"])
        activity = activities.create_activity(
            actor=actor, organisation=organisation, now=created, title=title, kind=kind,
            place=place, starts_at=starts, ends_at=starts + timedelta(hours=hours),
            capacity=capacity, node_id=(node or organisation.node).id, **fields)
        if publish:
            activities.publish(activity, actor=actor, now=created)
        return activity

    def sign_up(self, activity: Activity, people: list[User], at: datetime) -> None:
        for i, person in enumerate(people):
            signups.sign_up(activity.id, user=person, now=at + timedelta(minutes=7 * i))

    def finish(self, activity: Activity, at: datetime, actor: User | None = None) -> None:
        """Attendance closes: scans become pending hours (actor None: the nightly job)."""
        activities.finish(activity, actor=actor, now=at)

    def approve_all(self, activity: Activity, reviewer: User, at: datetime) -> int:
        return review.approve_activity(activity, reviewer=reviewer, now=at).approved

    # scans ----------------------------------------------------------------------------------

    def code(self, person: User, at: datetime) -> str:
        """What the organiser's camera reads off the person's /code page."""
        return codes.personal_payload(codes.active_code(person, now=at))

    def _nonce(self, activity: Activity) -> str:
        self._nonces += 1
        return f"demo-{activity.id}-{self._nonces:05d}"

    def scan(self, activity: Activity, operator: User, person: User, at: datetime,
             direction: str = "entry", **extra):
        """The organiser scans a personal code at the venue."""
        scan = checkin.redeem(checkin.ScanRequest(
            activity_id=activity.id, direction=direction, source="organiser_scan",
            operator=operator, code=self.code(person, at), device="demo-scanner",
            nonce=self._nonce(activity), **extra), now=at)
        return _ok(scan)

    def offline(self, activity: Activity, operator: User, person: User, at: datetime,
                uploaded: datetime, direction: str = "entry"):
        """Scanned with no signal, uploaded later: it counts at the phone's time."""
        scan = checkin.redeem(checkin.ScanRequest(
            activity_id=activity.id, direction=direction, source="offline_upload",
            operator=operator, code=self.code(person, at), client_time=at,
            device="demo-scanner-offline", nonce=self._nonce(activity)), now=uploaded)
        return _ok(scan)

    def self_scan(self, activity: Activity, person: User, at: datetime,
                  where: tuple[float, float] | None = None):
        """The volunteer scans the rotating venue code on the organiser's screen
        (entry, or exit when inside); `where` is what their phone said, if it said."""
        step = codes.step_of(at)
        latitude, longitude = where or (None, None)
        scan = checkin.self_check_in(activity.id, user=person, step=str(step),
                                     mac=codes.venue_mac(activity.id, step), now=at,
                                     direction=checkin.next_direction(activity.id, person),
                                     latitude=latitude, longitude=longitude)
        return _ok(scan)


def _ok(scan):
    if scan.result != "ok":  # a demo the rules refuse must not seed half a story
        raise RuntimeError(f"demo scan refused: {scan.result} (activity {scan.activity_id})")
    return scan
