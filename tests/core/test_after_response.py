"""Work left for after a response (server.core.outbox.AfterResponse) runs once the body has
been handed over whole, or when the server closes the response, once, whichever is first."""

from __future__ import annotations

from server.core.outbox import _AFTER, AfterResponse


class Body:
    def __init__(self):
        self.closed = False

    def __iter__(self):
        yield b"one"
        yield b"two"

    def close(self):
        self.closed = True


def _serve(leave: bool):
    ran: list[str] = []
    inner = Body()

    def app(environ, start_response):
        start_response("200 OK", [])
        if leave:
            environ.setdefault(_AFTER, []).append(lambda: ran.append("sent"))
        return inner
    return AfterResponse(app)({}, lambda status, headers: None), inner, ran


def test_the_work_runs_after_the_last_chunk_even_if_close_never_comes():
    # werkzeug's server skips close() when the browser resets the connection
    body, _, ran = _serve(leave=True)
    chunks = []
    for chunk in body:
        assert ran == []  # not before the body has been handed over
        chunks.append(chunk)
    assert chunks == [b"one", b"two"] and ran == ["sent"]
    body.close()
    assert ran == ["sent"]  # once


def test_the_work_runs_on_close_if_the_body_was_not_read_to_the_end():
    body, inner, ran = _serve(leave=True)
    next(iter(body))
    body.close()
    assert ran == ["sent"] and inner.closed


def test_a_response_that_left_nothing_is_not_wrapped():
    body, inner, ran = _serve(leave=False)
    assert body is inner and ran == []
