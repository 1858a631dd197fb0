"""The module graph of coalition/ (imports at the top and inside functions, not those under
`if TYPE_CHECKING:`), and its circles.

Issue #25 asks for zero circles. Not there yet: KNOWN_CIRCLE_MODULES is the debt, a ratchet.
A new module caught in a circle fails this test; fixing one means deleting it from the set.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import coalition

ROOT = Path(coalition.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, this: str, is_package: bool, modules: set[str]):
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            todo.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = this.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                yield full if full in modules else module
        todo.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets = set()
        for module in _imported(tree, name, path.name == "__init__.py", set(paths)):
            while module and module not in paths:
                module = module.rpartition(".")[0]
            if module and module != name and module.startswith("coalition"):
                targets.add(module)
        graph[name] = targets
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module: each is one or more circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


#: Modules in a circle today (measured 2026-12-05: 3 components, 22 modules). Debt of issue #25.
KNOWN_CIRCLE_MODULES = {
    "coalition.auth.models", "coalition.orgs.models",
    "coalition.mail.delivery", "coalition.sms.channel", "coalition.sms.costs",
    "coalition.delegations.operations", "coalition.feeds.builder", "coalition.reach.receivers",
    "coalition.reminders.notices", "coalition.reminders.operations",
    "coalition.reminders.receivers", "coalition.rsvps.operations", "coalition.rsvps.receivers",
    "coalition.sessions.calendar", "coalition.sessions.operations",
    "coalition.sessions.receivers", "coalition.sessions.series",
    "coalition.shortlinks.operations", "coalition.signals", "coalition.sms.notices",
    "coalition.volunteers.operations", "coalition.volunteers.receivers",
    # erasure sends `signals.occurrence_purging` (reports, issue #27): in the circle only while
    # signals.connect_receivers imports the receivers; gone once that wiring is in the factory.
    "coalition.erasure",
}  # fmt: skip


def test_no_new_module_joins_an_import_circle():
    components = strongly_connected(import_graph())
    new = [c for c in components if set(c) - KNOWN_CIRCLE_MODULES]
    assert new == [], f"new import circle(s): {new}"


def test_the_graph_sees_imports_inside_functions():
    # signals.connect_receivers() imports the receivers inside the function.
    assert "coalition.rsvps.receivers" in import_graph()["coalition.signals"]


if __name__ == "__main__":
    components = strongly_connected(import_graph())
    print(len(components), "components,", sum(map(len, components)), "modules")
    for c in components:
        print(len(c), c)
