"""gunicorn for Wushe in production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment (the systemd unit sets them). gunicorn's own
access log is off: the app writes one JSON line per request without personal data
(REQUEST_LOG); gunicorn's would carry paths and query strings (a phone number typed into a
search). Each worker counts its Prometheus metrics in files under PROMETHEUS_MULTIPROC_DIR,
which /metrics adds up; the folder is emptied when gunicorn starts, and a worker's files are
marked dead when it exits.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

bind = os.environ.get("WUSHE_BIND", "127.0.0.1:8000")
# sync workers: each request has a process; two per core and one more, as a start
workers = int(os.environ.get("WUSHE_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("WUSHE_TIMEOUT", "30"))
graceful_timeout = 20
# a worker is replaced now and then (memory a long life gathers), not all at once
max_requests = 2000
max_requests_jitter = 200
# nginx on this machine sets X-Forwarded-For/-Proto (the app trusts one proxy: PROXY_FIX_COUNT)
forwarded_allow_ips = os.environ.get("WUSHE_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = None
errorlog = "-"
loglevel = "info"

METRICS_DIR = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                         "/run/wushe/metrics"))


def on_starting(server):
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
