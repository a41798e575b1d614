"""Asking for a code answers before the SMS provider is called: however slow the provider,
a registered number's answer does not take longer than an unknown number's (the timing
would say who uses Wushe). A real server in this process, a real HTTP gateway that holds
its answer until the test lets it go."""

from __future__ import annotations

import threading
import time

import pytest
from werkzeug.serving import make_server

from bench.loadgen import Client
from server.extensions import db
from tests.notifications.conftest import Gateway

pytestmark = pytest.mark.concurrency


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)


def _anonymous(port: int) -> Client:
    client = Client(port, timeout=10)
    status, data, headers = client.call("GET", "/api/v1/auth/csrf")
    assert status == 200
    client._keep_cookies(headers)
    client.csrf = data["csrf_token"]
    return client


def test_the_answer_does_not_wait_for_the_sms_provider(app, served, make_user, channels_as):
    gateway = Gateway()
    gateway.hold = threading.Event()
    try:
        channels_as(NOTIFY_SMS="webhook", NOTIFY_SMS_WEBHOOK_URL=gateway.url)
        make_user(name="李秀英", phone="13800000001")
        db.session.commit()
        db.session.close()
        answers = {}
        for phone in ("13800000001", "13900000009"):  # registered, and nobody's
            client = _anonymous(served)
            status, body, _ = client.call("POST", "/api/v1/auth/codes",
                                          {"phone": phone, "purpose": "reset"})
            answers[phone] = (status, body)
            client.close_all()
        # both answered while the provider still holds the registered number's SMS
        assert answers["13800000001"] == answers["13900000009"]
        assert answers["13800000001"][0] == 202
        deadline = time.monotonic() + 10
        while not gateway.received and time.monotonic() < deadline:
            time.sleep(0.02)
        [sms] = gateway.received  # sent after the answer, to the registered number only
        assert sms["to"] == "13800000001" and sms["kind"] == "phone_code"
    finally:
        gateway.hold.set()
        gateway.close()
