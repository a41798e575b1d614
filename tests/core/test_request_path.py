"""What every request pays for, kept small without changing what it does: the outbox does
not make a session to find no work, and Flask's coroutine check of each hook and view is
remembered, not skipped."""

from __future__ import annotations

import inspect

import pytest

from server.app import SYNC_KEPT
from server.core import outbox
from server.extensions import db


def test_a_request_without_a_session_is_not_given_one_to_look_for_work(app):
    db.session.remove()
    with app.test_request_context("/api/v1/health"):
        assert outbox.run_for_request() == 0
        outbox.discard()
        assert not db.session.registry.has()


def test_work_left_in_the_session_still_runs(app):
    ran: list[int] = []
    name = "test_request_path.ran"
    outbox.handler(name)(lambda ident: ran.append(ident))
    try:
        with app.test_request_context("/api/v1/health"):
            outbox.later(name, 7)
            assert outbox.run_for_request() == 1
    finally:
        outbox._handlers.pop(name, None)
    assert ran == [7]


def test_a_coroutine_function_is_still_handed_to_flask_async_support(app):
    async def view():
        return "x"

    def plain():
        return "x"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    # Flask wraps a coroutine function (or says its async extra is missing): never as is
    try:
        wrapped = app.ensure_sync(view)
    except RuntimeError as exc:
        assert "async" in str(exc)
    else:
        assert wrapped is not view and not inspect.iscoroutinefunction(wrapped)


def test_the_remembered_answers_are_bounded(app):
    made = [(lambda i=i: i) for i in range(SYNC_KEPT + 100)]  # as after_this_request would
    for fn in made:
        assert app.ensure_sync(fn) is fn
    assert len(app._sync) <= SYNC_KEPT


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/auth/csrf"])
def test_each_answer_still_carries_a_fresh_request_id(client, path):
    seen = {client.get(path).headers["X-Request-ID"] for _ in range(3)}
    assert len(seen) == 3 and all(len(i) == 32 and int(i, 16) >= 0 for i in seen)
