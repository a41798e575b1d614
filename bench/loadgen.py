"""A gunicorn under test and a small threaded HTTP client, for the benchmarks in bench/.

Standard library only. Every wait is bounded: gunicorn has 60 s to answer its health
check and 15 s to stop; a phase has a time limit and each request a timeout.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

USER_AGENT = "wushe-bench/1"
# connection-level failures worth one retry: a kept-alive socket the server had closed.
# Retrying a scan is safe: it carries the same nonce, so the server answers it only once.
RETRYABLE = (http.client.RemoteDisconnected, http.client.CannotSendRequest,
             ConnectionResetError, BrokenPipeError)


class BenchError(RuntimeError):
    """The benchmark could not be set up or run."""


# --- the server ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    def stop(self, grace: float = 15) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()  # gunicorn: graceful shutdown of master and workers
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group we started, nothing else
            self.proc.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cpu_seconds(self) -> float | None:
        """User+system CPU of gunicorn's master and workers so far (Linux /proc)."""
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            pids = [self.proc.pid, *map(int, children.read_text().split())]
            return sum(_process_cpu(pid) for pid in pids)
        except (OSError, ValueError, IndexError):
            return None


def _process_cpu(pid: int | str) -> float:
    rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def postgres_cpu_seconds() -> dict[int, float] | None:
    """CPU so far of each process named postgres on this machine (server and backends)."""
    try:
        found = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "comm").read_text().strip() == "postgres":
                        found[int(entry.name)] = _process_cpu(entry.name)
                except (OSError, ValueError, IndexError):
                    continue  # gone meanwhile
        return found
    except OSError:
        return None


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores spent not idle so far (/proc/stat), summed over cores."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def start_gunicorn(app: str, *, env: dict[str, str], workers: int, worker_class: str,
                   threads: int, workdir: Path, chdir: Path,
                   health_path: str = "/api/v1/health") -> Server:
    """gunicorn on a free loopback port, in its own process group; returns once it answers."""
    port = free_port()
    log = workdir / "gunicorn.log"
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads),
           "--timeout", "60", "--graceful-timeout", "10", "--error-logfile", str(log),
           "--chdir", str(chdir), app]
    with open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(cmd, env=env, stdin=devnull, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    server = Server(proc, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{server.log_tail()}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", health_path)
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    server.stop()
    raise BenchError(f"gunicorn did not answer {health_path} within 60 s:\n{server.log_tail()}")


# --- the client ---------------------------------------------------------------------------

class Client:
    """HTTP/1.1 to 127.0.0.1, one connection per thread, one shared login (cookies + CSRF).

    Connections are kept alive when the server allows it (gthread workers); sync workers
    close after every response and http.client reconnects on the next request.
    """

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.retries = 0
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def drop_own(self) -> None:
        """Forget this thread's connection (it may hold half a response)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def close_all(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def headers(self, body: bool) -> dict[str, str]:
        h = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body:
            h["Content-Type"] = "application/json"
            h["X-CSRFToken"] = self.csrf
        return h

    def call(self, method: str, path: str, payload: dict | None = None):
        """(status, parsed JSON or the first bytes, response headers)."""
        body = None if payload is None else json.dumps(payload).encode()
        for attempt in range(2):
            conn = self._conn()
            try:
                conn.request(method, path, body=body, headers=self.headers(body is not None))
                resp = conn.getresponse()
                data = resp.read()
                break
            except RETRYABLE:
                self.drop_own()
                if attempt:
                    raise
                with self._lock:
                    self.retries += 1
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = data[:200]
        return resp.status, parsed, resp.headers

    def _keep_cookies(self, headers) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                self.cookies[name] = morsel.value

    def login(self, phone: str, password: str) -> None:
        """GET /api/v1/auth/csrf, then POST /api/v1/auth/login with its cookie and token."""
        status, data, headers = self.call("GET", "/api/v1/auth/csrf")
        if status != 200:
            raise BenchError(f"GET /api/v1/auth/csrf answered {status}: {data}")
        self._keep_cookies(headers)
        self.csrf = data["csrf_token"]
        status, data, headers = self.call("POST", "/api/v1/auth/login",
                                          {"phone": phone, "password": password})
        if status != 200:
            raise BenchError(f"login answered {status}: {data}")
        self._keep_cookies(headers)
        # logging in starts a fresh session: the token from before it no longer works
        status, data, headers = self.call("GET", "/api/v1/auth/csrf")
        self._keep_cookies(headers)
        self.csrf = data["csrf_token"]


# --- a phase ------------------------------------------------------------------------------

@dataclass
class Phase:
    name: str
    requests: int
    completed: int = 0
    errors: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    client_cpu_pct: float | None = None
    server_cpu_pct: float | None = None
    db_cpu_pct: float | None = None
    other_cpu_pct: float | None = None
    error_kinds: dict[str, int] = field(default_factory=dict)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest rank."""
    if not sorted_values:
        return 0.0
    return sorted_values[max(math.ceil(pct / 100 * len(sorted_values)), 1) - 1]


def run_phase(name: str, client: Client, server: Server, items: list, send, check, *,
              concurrency: int, time_limit: float, db_cpu=None) -> Phase:
    """`send(item)` for every item from `concurrency` threads; `check(body)` names a failure.

    Requests/s is completed requests over the phase's wall time; latency is per request,
    connect and one possible retry included. CPU figures are percentages of one core;
    `db_cpu()`, if given, reads the database server's CPU seconds per process
    (postgres_cpu_seconds).
    """
    work: queue.SimpleQueue = queue.SimpleQueue()
    for item in items:
        work.put(item)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()
    deadline = time.monotonic() + time_limit

    def worker():
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                item = work.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            try:
                status, data, _ = send(item)
                problem = f"HTTP {status}: {str(data)[:120]}" if status != 200 else check(data)
            except Exception as exc:  # every failure is counted, none hidden
                problem = f"{type(exc).__name__}: {exc}"[:160]
                client.drop_own()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if problem:
                    errors[problem] += 1

    threads = [threading.Thread(target=worker, daemon=True, name=f"{name}-{i}")
               for i in range(concurrency)]
    before = cpu_now(server, db_cpu)
    started = time.perf_counter()
    for t in threads:
        t.start()
    try:
        for t in threads:  # join in slices so that Ctrl-C gets through
            while t.is_alive() and time.monotonic() < deadline + client.timeout + 5:
                t.join(0.5)
    finally:
        stop.set()
    seconds = time.perf_counter() - started
    used = cpu_used(before, cpu_now(server, db_cpu), seconds)
    client.close_all()
    with lock:
        done = sorted(latencies)
        if len(done) < len(items):
            errors[f"not sent: phase time limit of {time_limit:.0f} s reached"] += (
                len(items) - len(done))
    return Phase(
        name=name, requests=len(items), completed=len(done), errors=sum(errors.values()),
        seconds=round(seconds, 3), rps=round(len(done) / seconds, 1) if seconds else 0.0,
        p50_ms=round(percentile(done, 50) * 1000, 2),
        p99_ms=round(percentile(done, 99) * 1000, 2),
        max_ms=round((done[-1] if done else 0) * 1000, 2),
        **used, error_kinds=dict(errors.most_common(10)))


def cpu_now(server: Server, db_cpu) -> dict[str, float | None]:
    return {"client": time.process_time(), "server": server.cpu_seconds(),
            "db": db_cpu() if db_cpu else None, "machine": machine_busy_seconds()}


def cpu_used(before: dict, after: dict, seconds: float) -> dict[str, float | None]:
    """Percent of one core per part; `other` is the machine's busy time nobody above used."""
    def pct(key: str) -> float | None:
        if not seconds or before[key] is None or after[key] is None:
            return None
        if isinstance(after[key], dict):  # per process: new ones count from zero, and
            used = sum(cpu - before[key].get(pid, 0.0)  # those that ended are left out
                       for pid, cpu in after[key].items())
        else:
            used = after[key] - before[key]
        return round(100 * used / seconds)
    used = {"client_cpu_pct": pct("client"), "server_cpu_pct": pct("server"),
            "db_cpu_pct": pct("db"), "other_cpu_pct": None}
    parts = [used["client_cpu_pct"], used["server_cpu_pct"], used["db_cpu_pct"] or 0]
    machine = pct("machine")
    if machine is not None and None not in parts:
        used["other_cpu_pct"] = max(machine - sum(parts), 0)
    return used
