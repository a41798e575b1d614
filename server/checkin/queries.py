"""What the check-in domain holds about a person: their scans at the door, as recorded
(server.core.personal_data)."""

from __future__ import annotations

from sqlalchemy import select

from server.activities.models import Activity
from server.checkin.models import Scan
from server.core.personal_data import when
from server.extensions import db


def scan_rows(user) -> list[dict]:
    rows = db.session.execute(
        select(Scan, Activity.title).join(Activity, Scan.activity_id == Activity.id)
        .where(Scan.user_id == user.id).order_by(Scan.id)).all()
    return [{"activity": title, "direction": s.direction, "result": s.result,
             "at": when(s.effective_time), "recorded_at": when(s.server_time),
             "source": s.source, "latitude": s.latitude, "longitude": s.longitude,
             "ip": s.ip}
            for s, title in rows]
