"""Flask-Limiter's per-request check, only where a limit can apply (issue 15).

Wushe's limits are all decorators on the views they guard (server.accounts.throttle: login,
registration); a decorated view checks its own limits when it runs, whatever the app-wide
hook does. Flask-Limiter's before_request hook still resolves, for every request, the
application, default and blueprint limits, which Wushe does not declare: about a quarter of
the time /api/v1/health spent in Python, to evaluate an empty list. This keeps the hook but
skips it while it has nothing to find, checked on every request so that it stays exact:

- the app declares no application, default or blueprint limits and no meta limits (a
  RATELIMIT_DEFAULT or RATELIMIT_APPLICATION in the settings turns the skipping off);
- the endpoint has no "hint" (a limit decorating a function other than the view, which
  Flask-Limiter can only find through the hook);
- the storage is not dead (the in-memory fallback, when configured, limits every request).
"""

from __future__ import annotations

import functools

from flask import Flask, request
from flask_limiter import Limiter


def _nothing_app_wide(limiter: Limiter) -> bool:
    manager = limiter.limit_manager
    return not (manager.application_limits or manager.default_limits
                or any(manager._blueprint_limits.values()) or any(limiter._meta_limits))


def only_where_limited(app: Flask, limiter: Limiter) -> None:
    """Call right after limiter.init_app(app): wraps the hook it added."""
    hooks = app.before_request_funcs.setdefault(None, [])
    check = next(hook for hook in hooks
                 if getattr(hook, "__func__", None) is Limiter._check_request_limit
                 and hook.__self__ is limiter)

    @functools.wraps(check)
    def check_if_limited():
        if (limiter._storage_dead or not _nothing_app_wide(limiter)
                or limiter.limit_manager.has_hints(request.endpoint or "")):
            return check()
        return None

    hooks[hooks.index(check)] = check_if_limited
