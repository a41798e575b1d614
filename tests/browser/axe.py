"""axe-core (from web/node_modules, installed by `make assets`) run inside a page: the
accessibility rules a person with low vision or a screen reader depends on, measured."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("critical", "serious")


@cache
def _source() -> str:
    return AXE.read_text()


def audit(page, include: str | None = None, *, aaa: bool = False) -> list[str]:
    """The critical and serious violations on the page (or inside `include`), one line
    each; `aaa` adds the enhanced contrast rule (7:1 for body text, 4.5:1 for large text),
    which axe leaves off by default. Evaluated through the DevTools protocol, so the page's
    CSP is not involved."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    result = page.evaluate("""async ([include, aaa]) => {
        const context = include ? {include: [include]} : document;
        const options = {resultTypes: ["violations"]};
        if (aaa) options.rules = {"color-contrast-enhanced": {enabled: true}};
        const r = await window.axe.run(context, options);
        return r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " +
                                            (n.failureSummary || "").split("\\n")[1])}));
    }""", [include, aaa])
    return [f"{v['id']} ({v['impact']}): {'; '.join(v['nodes'])}"
            for v in result if v["impact"] in SERIOUS]
