"""Prometheus metrics at /metrics (prometheus-client), and the structured request log.

Counted as requests happen: requests by route and status, their latency, scans by result.
Read from the database when Prometheus asks: the hours waiting for review, whether a
scheduler leads, and each job's last run. Under gunicorn every worker counts in its own
files (PROMETHEUS_MULTIPROC_DIR, set by deploy/gunicorn.conf.py) and /metrics adds them up.

/metrics answers only the addresses in METRICS_ALLOWED_NETWORKS (loopback: Prometheus on
the machine, or through nginx, which refuses it from outside), or a request bearing
METRICS_TOKEN.

Each request is logged as one JSON line on `wushe.request` (REQUEST_LOG): its id (the
X-Request-ID the proxy sent, or a new one, returned in the answer), method, route pattern,
status, time and size. Never the path's values, the query, the address or who asked:
nothing personal goes to the log.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from server.core.errors import Forbidden

REQUESTS = Counter("wushe_http_requests_total", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("wushe_http_request_duration_seconds", "Time to answer a request",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
SCANS = Counter("wushe_scans_total", "Check-in scans decided, by result and source",
                ["result", "source"])
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
request_log = logging.getLogger("wushe.request")
_children: dict[tuple, object] = {}  # (metric, label values) → its child, made once


def _labelled(metric, *values: str):
    """metric.labels(*values), looked up once per process: prometheus-client checks and
    locks on every labels() call, for every request. The label values are few (routes,
    methods, statuses, scan results), so the map stays small."""
    child = _children.get((metric, values))
    if child is None:
        if len(_children) >= 10_000:  # odd methods sent on purpose: start over
            _children.clear()
        child = _children[(metric, values)] = metric.labels(*values)
    return child


def _scans_flushed(session, _context) -> None:
    """Scans are counted when their transaction commits, whichever door made them (the
    scanner, an upload, self check-in, the automatic check-out): one place, and a
    rolled-back or retried request counts nothing."""
    for obj in session.new:
        if getattr(obj, "__tablename__", None) == "scans":
            session.info.setdefault("wushe_scans", []).append((obj.result, obj.source))


def note_scan(session, result: str, source: str, *, committed: bool = False) -> None:
    """A scan written without the ORM (checkin.live): counted like the flushed ones, when
    the session commits, or now if its statement has committed on its own already."""
    if committed:
        _labelled(SCANS, result, source).inc()
    else:
        session.info.setdefault("wushe_scans", []).append((result, source))


def _scans_committed(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy says "commit" for those too): not yet
    for result, source in session.info.pop("wushe_scans", ()):
        _labelled(SCANS, result, source).inc()


def _scans_dropped(session) -> None:
    session.info.pop("wushe_scans", None)


class DatabaseCollector:
    """Figures read when Prometheus asks (in the request's app context)."""

    def collect(self):
        from sqlalchemy import func, select

        from server.core import clock
        from server.extensions import db
        from server.hours.models import HourQueue
        from server.scheduler import services
        from server.scheduler.jobs import JOBS
        pending = db.session.scalar(select(func.count()).select_from(HourQueue))
        yield GaugeMetricFamily("wushe_hours_pending_entries",
                                "Hours entries waiting for a decision", value=pending or 0)
        lease = services.leader(now=clock.now())
        yield GaugeMetricFamily("wushe_scheduler_leader",
                                "1 while a scheduler process holds the lease",
                                value=1 if lease else 0)
        last = GaugeMetricFamily("wushe_scheduler_job_last_run_timestamp_seconds",
                                 "When each job last ran", labels=["job"])
        ok = GaugeMetricFamily("wushe_scheduler_job_last_run_ok",
                               "1 if the job's last run had no failure", labels=["job"])
        failed = GaugeMetricFamily("wushe_scheduler_job_last_run_failed_records",
                                   "Records that failed in the job's last run", labels=["job"])
        for job, runs in services.latest_runs(list(JOBS)).items():
            run = runs["last"]
            if run is None:
                continue
            last.add_metric([job], run.started_at.timestamp())
            ok.add_metric([job], 1 if run.status == "ok" else 0)
            failed.add_metric([job], run.failed)
        yield from (last, ok, failed)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY
        registry = REGISTRY
    return registry


def _allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net)
               for net in current_app.config["METRICS_ALLOWED_NETWORKS"])


def metrics() -> Response:
    """Prometheus' text format."""
    if not _allowed():
        raise Forbidden()
    registry = _registry()
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    body = generate_latest(registry) + generate_latest(database)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    # 32 random hex digits, as uuid4().hex without building a UUID
    g.request_id = given if REQUEST_ID.fullmatch(given) else os.urandom(16).hex()


def _finish(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is None:
        return response
    elapsed = time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule else "unmatched"
    if route.startswith("/static/"):
        return response  # a file, not a request worth counting by the thousand
    _labelled(REQUESTS, request.method, route, str(response.status_code)).inc()
    _labelled(LATENCY, request.method, route).observe(elapsed)
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    if current_app.config["REQUEST_LOG"]:
        request_log.info(json.dumps({
            "request_id": request_id, "method": request.method, "route": route,
            "status": response.status_code, "ms": round(elapsed * 1000, 1),
            "bytes": response.calculate_content_length()}, ensure_ascii=False))
    return response


class RequestIdFilter(logging.Filter):
    """Every log record made while a request runs carries its id (request_id)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def _listen_for_scans() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    for name, fn in (("after_flush", _scans_flushed), ("after_commit", _scans_committed),
                     ("after_rollback", _scans_dropped)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


def install(app: Flask) -> None:
    _listen_for_scans()
    # first of all, so a request the boundary refuses is timed and counted too
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", metrics)
    if app.config["REQUEST_LOG"] and not request_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False
    for name in ("server", "wushe", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RequestIdFilter) for f in logger.filters):
            logger.addFilter(RequestIdFilter())
