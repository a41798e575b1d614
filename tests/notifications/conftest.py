"""What the notification tests share: the outgoing log (the default adapter's output) and
a real HTTP endpoint for the webhook adapter."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def outgoing(caplog):
    """The messages the logging adapter sent, as its log lines: "[sms] to 139****0001: …"."""
    caplog.set_level(logging.INFO, logger="wushe.outgoing")

    def sent() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "wushe.outgoing"]
    return sent


class Gateway:
    """A provider's gateway on loopback: answers each POST with the next status queued
    (200 once the queue is empty) and keeps what it received."""

    def __init__(self):
        self.statuses: list[int] = []
        self.received: list[dict] = []
        self.headers: list[dict] = []
        # while set, each answer waits for it (a provider that is slow today)
        self.hold: threading.Event | None = None
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append(json.loads(body))
                gateway.headers.append(dict(self.headers))
                if gateway.hold is not None:
                    gateway.hold.wait(timeout=30)
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                answer = json.dumps({"id": f"msg-{len(gateway.received)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()
