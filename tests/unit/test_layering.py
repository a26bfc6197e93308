"""The layering contract, read from the sources' imports.

* The framework never imports the compute stack (it is a user of it).
* The compute stack imports from the framework only what a framework
  package exports in its ``__all__``, as a user's project would.
* No import cycle anywhere in ``zerodown``, counting every import: under
  ``TYPE_CHECKING`` and inside functions too (a cycle closed only for types
  is still two modules that cannot be read, or changed, one at a time).
"""

from __future__ import annotations

import ast
import collections
import importlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import zerodown

ROOT = Path(zerodown.__file__).parent
FRAMEWORK = (
    "migrations",
    "objects",
    "rpc",
    "services",
    "grenade",
    "upgrade",
    "testing",
    "config.py",
    "exceptions.py",
    "files.py",
    "moved.py",
)
# Root modules that are public as a whole, like a package of one module.
ROOT_MODULES = ("zerodown.config", "zerodown.exceptions", "zerodown.files")


def _modules() -> dict[str, Path]:
    """``{dotted name: path}`` of every module of the package."""
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path) -> Iterator[tuple[str, list[str]]]:
    """``(module, names)`` of every import statement in ``path``, anywhere
    in it; relative imports resolved; ``names`` empty for ``import x``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            yield module, [alias.name for alias in node.names]


def import_graph() -> dict[str, set[str]]:
    """Which modules of ``zerodown`` each module imports (``from p import
    m`` of a submodule ``m`` counts as importing ``p.m``)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in _imports(name, path):
            for target in [f"{module}.{n}" for n in names] or [module]:
                if target in modules:
                    graph[name].add(target)
                elif module in modules:
                    graph[name].add(module)
        graph[name].discard(name)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) per strongly connected group of
    modules, found by Tarjan's algorithm (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in stack:
                low[node] = min(low[node], index[child])
    return [_cycle_in(graph, group) for group in groups]


def _cycle_in(graph: Mapping[str, set[str]], group: set[str]) -> list[str]:
    # The shortest way from the group's first module back to itself.
    start = min(group)
    came_from: dict[str, str] = {}
    queue = collections.deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & group):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle in {sorted(group)}")


def _path(module: str) -> str:
    path = _modules()[module]
    return str(path.relative_to(ROOT.parent))


def test_framework_does_not_import_compute():
    framework = [ROOT / part for part in FRAMEWORK]
    for base in framework:
        assert base.exists(), f"{base.name} is gone: update FRAMEWORK"
    offenders = [
        f"{path.relative_to(ROOT.parent)} imports {module}"
        for name, path in _modules().items()
        if any(path == base or base in path.parents for base in framework)
        for module, _ in _imports(name, path)
        if module == "zerodown.compute"
        or module.startswith("zerodown.compute.")
    ]
    assert offenders == []


def _public() -> set[str]:
    # Every package of the framework (its __init__) and its errors module
    # (what a caller catches), and the root modules.
    return {
        name
        for name, path in _modules().items()
        if path.name in ("__init__.py", "errors.py")
        and name != "zerodown"
        and not name.startswith(("zerodown.compute", "zerodown.cli"))
    } | set(ROOT_MODULES)


def test_compute_imports_only_what_framework_packages_export():
    public = _public()
    offenders = []
    for name, path in _modules().items():
        if not name.startswith("zerodown.compute"):
            continue
        for module, names in _imports(name, path):
            if not module.startswith("zerodown.") or module.startswith(
                "zerodown.compute"
            ):
                continue
            where = f"{path.relative_to(ROOT.parent)}: {module}"
            if module not in public or not names:
                offenders.append(f"{where} is not a package's from-import")
                continue
            exported = importlib.import_module(module).__all__
            offenders.extend(
                f"{where} does not export {n}"
                for n in names
                if n not in exported
            )
    assert offenders == []


def test_no_import_cycles():
    found = [
        " -> ".join(_path(module) for module in cycle)
        for cycle in cycles(import_graph())
    ]
    assert found == []


def test_cycles_are_found_and_named():
    graph = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},
        "d": set(),
        "e": {"e", "d"},
    }
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"x": {"y"}, "y": {"x"}}) == [["x", "y", "x"]]


def test_the_walks_see_the_package():
    graph = import_graph()
    assert "zerodown.objects.base" in graph["zerodown.objects.registry"]
    # an import under TYPE_CHECKING counts
    assert "zerodown.objects.protocols" in graph["zerodown.objects.base"]
    assert len(_public()) > 10
