"""The language a request is answered in, as the code a person's choice is stored under."""

from __future__ import annotations

from flask import current_app
from flask_babel import get_locale


def chinese() -> bool:
    """Whether this request is answered in Chinese (none outside a request is): sentences
    then run on without spaces, lists join with 、, a number meets its unit."""
    return str(get_locale() or "zh").startswith("zh")


def interface_language() -> str | None:
    """The entry of LANGUAGES ("zh_CN", "en") this request speaks: what a person who
    registers now is written to in (users.locale). Babel's own name for it differs
    (zh_CN is parsed as zh_Hans_CN), so it is matched by language and territory."""
    now = get_locale()
    for code in current_app.config["LANGUAGES"]:
        language, _, territory = code.partition("_")
        if now.language == language and (not territory or now.territory == territory):
            return code
    return None
