"""Domains announce what happened instead of importing each other in a circle: no chain
of imports leads from one domain's module back to itself through another domain."""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "server"


def _name(path: Path) -> str:
    parts = path.relative_to(SERVER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Module → the server modules it imports, at the top or inside a function."""
    modules = {_name(p) for p in SERVER.rglob("*.py")}
    edges: dict[str, set[str]] = defaultdict(set)
    for path in SERVER.rglob("*.py"):
        source = _name(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("server"):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    target = target if target in modules else node.module
                    if target in modules and target != source:
                        edges[source].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _domain(module: str) -> str:
    return module.split(".")[1]


def test_no_import_cycle_crosses_domains():
    crossing = [sorted(c) for c in _cycles(_graph()) if len({_domain(m) for m in c}) > 1
                and not {_domain(m) for m in c} <= {"core", "extensions"}]
    assert crossing == []


def test_the_check_sees_a_cycle_when_there_is_one():
    edges = {"server.activities.services": {"server.hours.ledger"},
             "server.hours.ledger": {"server.checkin.services"},
             "server.checkin.services": {"server.activities.services"}}
    assert _cycles(edges) == [set(edges)]


def test_the_scheduler_and_notifications_import_no_domain_at_import_time():
    """The notification centre knows no domain (each declares its kinds); the scheduler
    reaches the domains only inside its jobs."""
    for path in (SERVER / "notifications").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("server."):
                assert _domain(node.module) in ("core", "extensions", "notifications"), (
                    path.name, node.module)
