"""The statistics kept ready: one row per place, period, figure (and kind where a figure
is split), recomputed from the records whenever they change (server/reports/rollups.py).
A dashboard reads a handful of these rows, whatever the number of scans and hours behind
them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.core.db import UTCDateTime
from server.extensions import db


class StatValue(db.Model):
    """A figure of a place (its whole subtree) for a month, quarter or year. Money in fen,
    time in minutes, everything else a count."""

    __tablename__ = "stat_values"

    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)  # 2026-09 2026-Q3 2026
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    value: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_stat_values_period", "period"),)


class StatState(db.Model):
    """How far the recomputation has read the records (a watermark), and when."""

    __tablename__ = "stat_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    read_until: Mapped[datetime] = mapped_column(UTCDateTime())
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())
