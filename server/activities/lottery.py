"""Fair places: a lottery instead of first come, first served.

During the sign-up window people *enter* (a sign-up of status `entered`: not a place,
not a waitlist spot); the usual sign-up rules (age, skills, clashes) apply on entry.
At the window's close the draw, once, fills the places and puts everyone else on the
waitlist in drawn order; after it the activity is first come, first served again.

Why it is fair, and how anyone can check it (commit, then reveal):

* When an activity becomes a lottery, the server draws a secret 256-bit seed
  (`secrets.token_hex(32)`, 64 hex digits) and publishes only its commitment
  `sha256(seed)` (of the 64 ASCII hex digits). Nobody, organisers included, is shown the
  seed before the draw, and it cannot change once anyone has entered (the mode is then
  locked), so it cannot be chosen to favour anyone after the entries are known.
* The draw reveals the seed. Algorithm `hmac-sha256-v1`: the entrants are the entry ids
  (sign-up ids); each gets the rank `HMAC-SHA256(key=seed as ASCII, msg=decimal id as
  ASCII)` in hex; the drawn order is the ids sorted by (rank, id). The first `places`
  of the order get places, the rest wait in that order.
* The draw is kept as published (LotteryDraw, append-only): seed, commitment, algorithm,
  entrants, order, places, who drew it and when. `verify()` (and `flask activities
  verify-draw ID`) recomputes both the commitment and the order from it.

Why not derive the seed from public data (a later lottery result, a block hash): the
deployment's network is closed, and a value the server fetches is no more checkable by
residents than a commitment they can see before they enter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select

from server.accounts.models import User
from server.activities import errors, notices
from server.activities.models import Activity, LotteryDraw, Signup
from server.activities.signups import clash, lock_activity, lock_people
from server.core import timefmt
from server.core.errors import Forbidden
from server.extensions import db
from server.notifications.services import notify

ALGORITHM = "hmac-sha256-v1"


# --- the algorithm: pure, and all a verifier needs -------------------------------------------

def new_seed() -> tuple[str, str]:
    """A fresh secret seed and its public commitment."""
    seed = secrets.token_hex(32)
    return seed, commitment_of(seed)


def commitment_of(seed: str) -> str:
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def rank(seed: str, entry_id: int) -> str:
    return hmac.new(seed.encode("ascii"), str(entry_id).encode("ascii"),
                    hashlib.sha256).hexdigest()


def drawn_order(seed: str, entrants: list[int]) -> list[int]:
    """The entrants in drawn order: by their rank under the seed, ties (never seen in
    practice) by id. The input's order does not matter."""
    return sorted(sorted(set(entrants)), key=lambda i: (rank(seed, i), i))


# --- reading ---------------------------------------------------------------------------------

def draw_of(activity_id: int) -> LotteryDraw | None:
    return db.session.scalar(select(LotteryDraw).where(LotteryDraw.activity_id == activity_id))


def entry_count(activity_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.activity_id == activity_id, Signup.status == "entered")) or 0


@dataclass
class Lottery:
    """What the pages and the API show of an activity's lottery."""

    activity: Activity
    entries: int
    draw: LotteryDraw | None

    @property
    def open_for_entries(self) -> bool:
        return self.draw is None

    def outcome(self) -> list[tuple[int, str, int | None, bool]]:
        """(entry id, confirmed | waitlisted, waitlist position, passed over for a clash)
        in drawn order: the first `winners` entries not passed over got the places."""
        if self.draw is None:
            return []
        passed = set(self.draw.passed_over or [])
        out: list[tuple[int, str, int | None, bool]] = []
        won = waiting = 0
        for entry_id in self.draw.drawn_order:
            if won < self.draw.winners and entry_id not in passed:
                won += 1
                out.append((entry_id, "confirmed", None, False))
            else:
                waiting += 1
                out.append((entry_id, "waitlisted", waiting, entry_id in passed))
        return out


def lottery_of(activity: Activity) -> Lottery:
    if activity.signup_mode != "lottery":
        raise errors.NotLottery()
    draw = draw_of(activity.id)
    return Lottery(activity=activity, draw=draw,
                   entries=entry_count(activity.id) if draw is None else len(draw.entrants))


# --- the draw --------------------------------------------------------------------------------

def draw(activity_id: int, *, actor: User | None, now: datetime) -> LotteryDraw:
    """Draw the lottery, once: actor=None is the scheduler; an organiser may draw it by
    hand after the close (when the scheduler was down). Under the activity's row lock,
    so whoever comes second finds the draw made (AlreadyDrawn); the unique activity_id of
    lottery_draws holds it even if something skipped the lock."""
    from server.activities.services import can_manage
    activity = lock_activity(activity_id)
    if actor is not None and not can_manage(actor, activity):
        raise Forbidden()
    if activity.signup_mode != "lottery":
        raise errors.NotLottery()
    if draw_of(activity.id) is not None:
        raise errors.AlreadyDrawn()
    if activity.status != "published":
        raise errors.NotOpen()
    if now < activity.signup_closes_at:
        raise errors.DrawTooEarly(closes=timefmt.moment(activity.signup_closes_at))
    entries = {s.id: s for s in db.session.scalars(select(Signup).where(
        Signup.activity_id == activity.id, Signup.status == "entered"))}
    order = drawn_order(activity.lottery_seed, list(entries))
    free = max(activity.capacity - activity.confirmed_count, 0)
    # after everything already numbered: later sign-ups and promotions follow drawn order
    base = db.session.scalar(select(func.max(Signup.queue_no)).where(
        Signup.activity_id == activity.id)) or 0
    # the places in drawn order, as a promotion gives them: one who holds a place in
    # another activity at the same time by now is passed over, and waits (signups.clash)
    lock_people(entry.user_id for entry in entries.values())
    passed, won = [], 0
    for n, entry_id in enumerate(order):
        entry = entries[entry_id]
        entry.queue_no = base + n + 1
        if won < free and clash(entry.user_id, activity) is not None:
            passed.append(entry_id)
        elif won < free:
            entry.status = "confirmed"
            won += 1
            continue
        entry.status = "waitlisted"
    record = LotteryDraw(activity_id=activity.id, algorithm=ALGORITHM,
                         seed=activity.lottery_seed, commitment=activity.lottery_commitment,
                         entrants=sorted(entries), drawn_order=order, places=free,
                         winners=won, passed_over=passed, drawn_at=now,
                         source="scheduler" if actor is None else "organiser",
                         drawn_by_id=actor.id if actor else None)
    db.session.add(record)
    db.session.flush()
    from server.activities.signups import recount
    recount(activity)
    activity.updated_at = now
    db.session.flush()
    key = f"lottery:{activity.id}"
    for entry_id, outcome, position, passed in Lottery(activity, len(order), record).outcome():
        entry = entries[entry_id]
        if outcome == "confirmed":
            notify(entry.user_id, "lottery_won", now=now, activity_id=activity.id, key=key,
                   signup_id=entry.id, **notices.facts(activity))
        else:
            notify(entry.user_id, "lottery_waitlisted", now=now, activity_id=activity.id,
                   key=key, signup_id=entry.id, position=position, passed_over=passed,
                   **notices.facts(activity))
    return record


def due_ids(*, now: datetime) -> list[int]:
    """Published lotteries whose window has closed and that are not drawn yet."""
    return list(db.session.scalars(select(Activity.id).where(
        Activity.signup_mode == "lottery", Activity.status == "published",
        Activity.signup_closes_at <= now,
        ~exists().where(LotteryDraw.activity_id == Activity.id))
        .order_by(Activity.signup_closes_at, Activity.id)))


# --- checking it -----------------------------------------------------------------------------

@dataclass
class Verification:
    commitment_ok: bool
    order_ok: bool
    expected: list[int]
    published: list[int]

    @property
    def ok(self) -> bool:
        return self.commitment_ok and self.order_ok


def verify(record: LotteryDraw) -> Verification:
    """Recompute the published draw from its published seed and entrants."""
    expected = drawn_order(record.seed, list(record.entrants))
    return Verification(commitment_ok=commitment_of(record.seed) == record.commitment,
                        order_ok=expected == list(record.drawn_order),
                        expected=expected, published=list(record.drawn_order))
