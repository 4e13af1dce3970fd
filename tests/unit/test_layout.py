"""The layout holds: no import cycle in the package, and no core module reaches into a protocol's package.

Imports are read from the source (module level and inside functions alike), so a lazy import counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler

ROOT = Path(reconciler.__file__).parent
PROTOCOLS = (
    "reconciler.backends.ews",
    "reconciler.backends.graph",
    "reconciler.sandbox.ews",
    "reconciler.sandbox.graph",
)
WIRING = {
    # Modules whose job is to choose or mount a protocol: the only ones outside a protocol that import it.
    "reconciler.backends.factory",
    "reconciler.sandbox.server",
    "reconciler.sandbox.wsgi",
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The reconciler modules `name` imports (a `from package import module` names the module)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {m for m in found if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _protocol(module: str) -> str | None:
    return next((p for p in PROTOCOLS if module == p or module.startswith(p + ".")), None)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other (Tarjan's strongly connected components of size > 1)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def _crossings(graph: dict[str, set[str]]) -> list[str]:
    """Imports of a protocol's package from outside it (wiring modules aside)."""
    wrong = []
    for module, imported in sorted(graph.items()):
        mine = _protocol(module)
        for other in sorted(imported):
            theirs = _protocol(other)
            if theirs and theirs != mine and module not in WIRING:
                wrong.append(f"{module} imports {other}")
    return wrong


def test_no_import_cycle() -> None:
    graph = _graph()
    assert len(graph) > 100 and graph["reconciler.sandbox.server"]  # the walk found the package
    assert not _cycles(graph), f"import cycles: {_cycles(graph)}"


def test_protocols_stay_in_their_packages() -> None:
    wrong = _crossings(_graph())
    assert not wrong, "\n".join(wrong)


def test_no_protocol_prefix_outside_its_package() -> None:
    prefixed = [
        str(path.relative_to(ROOT.parent))
        for folder in ("backends", "sandbox")
        for path in (ROOT / folder).rglob("*.py")
        if path.stem.startswith(("ews_", "graph_"))
    ]
    assert not prefixed, prefixed


def test_the_checks_find_a_cycle_and_a_core_module_importing_a_protocol(tmp_path: Path) -> None:
    """The checks themselves, on made-up modules: the old server ⇄ router cycle, and a core module that
    reads SOAP."""
    core = tmp_path / "store.py"
    core.write_text(
        "from reconciler.sandbox.ews import soap\n\n\ndef f():\n    import reconciler.sandbox.server\n"
    )
    known = {"reconciler.sandbox.ews.soap", "reconciler.sandbox.server", "reconciler.sandbox.store"}
    found = _imports("reconciler.sandbox.store", core, known)
    assert found == {"reconciler.sandbox.ews.soap", "reconciler.sandbox.server"}
    graph = {
        "reconciler.sandbox.store": found,
        "reconciler.sandbox.server": {"reconciler.sandbox.graph.router"},
        "reconciler.sandbox.graph.router": {"reconciler.sandbox.server"},
        "reconciler.sandbox.ews.soap": set(),
    }
    assert _cycles(graph) == [["reconciler.sandbox.graph.router", "reconciler.sandbox.server"]]
    assert _crossings(graph) == ["reconciler.sandbox.store imports reconciler.sandbox.ews.soap"]
