"""The templates hold nothing the Content-Security-Policy refuses (server/core/security.py):
no inline script, no <style>, no style="" or on*="" attribute, no javascript: URL, nothing
htmx would eval, and only Alpine expressions its CSP build can read: x-data names a
component registered in web/src/components.js, and the attributes hold no code that needs
a JavaScript compiler or a global."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "web" / "templates").rglob("*.html"))
COMPONENTS = (ROOT / "web" / "src" / "components.js").read_text(encoding="utf-8")

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
JINJA_STATEMENT = re.compile(r"\{%.*?%\}", re.S)
JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
# also inside strings handed to macros (attrs='...'), which the HTML parser never sees
RAW_ATTRIBUTE = re.compile(r"""(?<![\w:.@-])(style|on[a-z]+)\s*=\s*["']""", re.I)
JAVASCRIPT_URL = re.compile(r"""["']\s*javascript:""", re.I)
ALPINE = re.compile(r"^(x-|@|:)")
# what only a JavaScript compiler could evaluate, and globals the CSP build cannot reach
NOT_FOR_ALPINE_CSP = re.compile(
    r"=>|`|\bnew\s|\bfunction\b|\b(window|document|Number|String|Date|JSON|Math|Object|"
    r"Array|parseInt|parseFloat|setTimeout|setInterval|console)\b")


def _keeping_lines(text: str):
    """A substitute for a match that keeps its line breaks, so line numbers stay true."""
    return lambda match: text + "\n" * match.group(0).count("\n")


def html_of(source: str) -> str:
    """The markup with Jinja taken out: statements vanish (both branches of an if stay,
    which is the stricter reading) and expressions become a plain word."""
    source = JINJA_COMMENT.sub(_keeping_lines(""), source)
    source = JINJA_STATEMENT.sub(_keeping_lines(" "), source)
    return JINJA_EXPRESSION.sub(_keeping_lines("x"), source)


class Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.components: set[str] = set()

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        found = dict(attrs)
        if tag == "style":
            self.problems.append(f"line {line}: <style> element")
        if tag == "script" and "src" not in found and found.get("type") != "application/json":
            self.problems.append(f"line {line}: inline <script>")
        for name, value in attrs:
            value = value or ""
            if name == "style":
                self.problems.append(f"line {line}: style attribute on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"line {line}: {name} handler on <{tag}>")
            if name.startswith(("hx-on", "data-hx-on")) or name in ("hx-vars", "data-hx-vars"):
                self.problems.append(f"line {line}: {name} (htmx would eval it)")
            if name.endswith(("hx-vals", "hx-headers")) and value.lstrip().startswith(
                    ("js:", "javascript:")):
                self.problems.append(f"line {line}: {name}={value!r} (htmx would eval it)")
            if name.endswith("hx-trigger") and "[" in value:
                self.problems.append(f"line {line}: trigger filter {value!r} (eval)")
            if ALPINE.match(name) and NOT_FOR_ALPINE_CSP.search(value):
                self.problems.append(f"line {line}: {name}={value!r} needs a JS compiler")
            if name == "x-data":
                if not re.fullmatch(r"[A-Za-z_]\w*", value.strip()):
                    self.problems.append(f"line {line}: x-data={value!r} is not a component name")
                self.components.add(value.strip())


def problems_in(source: str) -> tuple[list[str], set[str]]:
    finder = Finder()
    finder.feed(html_of(source))
    finder.close()
    raw = JINJA_COMMENT.sub(_keeping_lines(""), source)
    for pattern, what in ((RAW_ATTRIBUTE, "inline attribute"), (JAVASCRIPT_URL, "javascript: URL")):
        for match in pattern.finditer(raw):
            line = raw.count("\n", 0, match.start()) + 1
            finder.problems.append(f"line {line}: {what} {match.group(0)!r}")
    return finder.problems, finder.components


def test_the_templates_are_there():
    assert len(TEMPLATES) > 50
    assert (ROOT / "web" / "templates" / "swagger_ui.html") in TEMPLATES


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "web")))
def test_no_template_has_what_the_csp_refuses(path):
    problems, components = problems_in(path.read_text(encoding="utf-8"))
    assert problems == []
    registered = set(re.findall(r"""Alpine\.data\(\s*["'](\w+)["']""", COMPONENTS))
    assert components <= registered, f"not in web/src/components.js: {components - registered}"


@pytest.mark.parametrize("markup", [
    "<script>alert(1)</script>",
    '<script type="module">import "x"</script>',
    "<style>p { color: red }</style>",
    '<div style="width: {{ w }}%"></div>',
    '<button onclick="window.print()">',
    "<a href=\"javascript:void(0)\">",
    "{{ m.field('x', attrs='style=\"color: red\"') }}",
    '<div hx-on:click="go()">',
    '<div hx-trigger="click[ctrlKey]">',
    '<div hx-vals=\'js:{a: 1}\'>',
    '<div x-data="{ open: false }">',
    '<div x-data="panel" x-init="setTimeout(() => go(), 1)">',
    '<option :disabled="Number(org) !== 3">',
    '<div x-data="panel" {% if on %}onload="go()"{% endif %}>',
])
def test_the_check_finds_each_kind(markup):
    problems, _ = problems_in(markup)
    assert problems


def test_the_check_passes_what_is_allowed():
    markup = """{# a <style> and an inline <script> named in a comment #}
    <script src="{{ url_for('static', filename='dist/app.js') }}" defer></script>
    <script type="application/json" id="cfg">{{ config | tojson }}</script>
    <div x-data="choices" @change="pick" x-show="picked.kind === 'money'"></div>
    <a class="x"{% if on %} aria-current="true"{% endif %}>on</a>"""
    assert problems_in(markup) == ([], {"choices"})
