"""Mutation testing of zerodown's pure core: do its unit tests fail when
the code is wrong?

One module at a time: every mutant (a ``<`` made ``<=``, an ``and`` made
``or``, a constant changed, a ``return`` made ``return None``...) is
applied in memory, one at a time, and the module's unit tests run
against it (``pytest -x``); a failing run kills the mutant, a passing
one lets it survive.  Each run happens in a process forked from one that
has already imported the third-party libraries, with the mutated module
served by an import hook, so nothing is written to the tree and a mutant
costs the tests' own time.  Mutants on lines the tests never execute
survive without a run.

Why not mutmut: mutmut 3 copies the tree into ``mutants/`` and rewrites
every function into a trampoline, runs the whole test directory to map
tests to functions, and skips decorated functions; here one module is
tested against a chosen handful of test files, which is what a mutation
run on a shared two-CPU machine can afford.

Equivalent mutants (no test can tell them from the original) are listed
in ``scripts/mutation-equivalents.txt`` as ``<key>  => <reason>``; the
key is what a survivor's line prints after ``file:line:``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib.abc
import importlib.util
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "scripts" / "mutation-equivalents.txt"

_HW = "tests/unit/compute/hardware/"
#: The pure core and the smallest unit tests that cover each module.
MODULES: dict[str, list[str]] = {
    "zerodown/compute/hardware/affinity.py": [
        _HW + "test_network_affinity.py",
        _HW + "test_pci_affinity.py",
        _HW + "test_numa_fit.py",
    ],
    "zerodown/compute/hardware/cell_fit.py": [
        _HW + "test_cell_fit.py",
        _HW + "test_numa_fit.py",
    ],
    "zerodown/compute/hardware/cpu_topology.py": [
        _HW + "test_cpu_topology.py",
    ],
    "zerodown/compute/hardware/numa_fit.py": [
        _HW + "test_numa_fit.py",
        _HW + "test_cell_fit.py",
        _HW + "test_search.py",
    ],
    "zerodown/compute/hardware/numa_request.py": [
        _HW + "test_numa_request.py",
    ],
    "zerodown/compute/hardware/pci.py": [
        _HW + "test_pci_affinity.py",
    ],
    "zerodown/compute/hardware/pinning.py": [
        _HW + "test_pinning.py",
    ],
    "zerodown/compute/hardware/policies.py": [
        _HW + "test_placement_policies.py",
    ],
    "zerodown/compute/hardware/search.py": [
        _HW + "test_search.py",
    ],
    "zerodown/compute/hardware/specs.py": [
        _HW + "test_flavor_specs.py",
        _HW + "test_numa_request.py",
    ],
    "zerodown/compute/hardware/usage.py": [
        _HW + "test_numa_usage.py",
    ],
    "zerodown/compute/hardware/views.py": [
        _HW + "test_views.py",
        _HW + "test_numa_fit.py",
        _HW + "test_cell_fit.py",
        _HW + "test_pinning.py",
    ],
    "zerodown/objects/history.py": [
        "tests/unit/objects/test_versions_history.py",
    ],
    "zerodown/objects/plan.py": [
        "tests/unit/objects/test_fields_plan.py",
        "tests/unit/objects/test_wire.py",
        "tests/unit/objects/test_bad_input.py",
        # Plan.assign: the updates a remote method call sends back
        "tests/unit/objects/test_remote.py",
        # 14 s of subprocesses, for what plan.py does not decide
        "--deselect",
        "tests/unit/objects/test_wire.py::"
        "test_bytes_do_not_depend_on_the_hash_seed",
    ],
    "zerodown/migrations/guard.py": [
        "tests/unit/migrations/test_guard.py",
        "tests/unit/migrations/test_guard_details.py",
    ],
    "zerodown/migrations/gate.py": [
        "tests/unit/migrations/test_gate.py",
    ],
    "zerodown/rpc/versions.py": [
        "tests/unit/rpc/test_versions_target.py",
    ],
}

#: What a module does apart from its logic (reading and writing a
#: database): not mutated, with the reason; database tests cover it.
NOT_LOGIC: dict[str, dict[str, str]] = {
    "zerodown/migrations/gate.py": {
        name: "database I/O: see tests/functional/migrations/"
        "test_contract_gate.py"
        for name in (
            "_overrides",
            "record_override",
            "overrides",
            "_services_new_enough",
            "_RECORD",
            "_service",
        )
    },
}

# -- mutants -----------------------------------------------------------------

_COMPARE = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINARY = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Div,
    ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitAnd,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
_SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
    ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is",
    ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
    ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
    ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
    ast.RShift: ">>", ast.And: "and", ast.Or: "or",
}  # fmt: skip
_BUILTINS = {"min": "max", "max": "min", "any": "all", "all": "any"}
_LOGGING = {"debug", "info", "warning", "error", "exception", "critical"}


@dataclass
class Mutant:
    index: int
    line: int
    qualname: str
    description: str
    lines: tuple[int, int]
    key: str = ""


def _short(node: ast.AST, limit: int = 60) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Mutator(ast.NodeTransformer):
    """Walks a module, numbering every mutation it could make; with a
    ``target`` it makes that one and leaves the rest of the tree as is."""

    def __init__(
        self, target: int | None = None, exclude: frozenset[str] = frozenset()
    ) -> None:
        self.target = target
        self.exclude = exclude
        self.count = 0
        self.found: list[Mutant] = []
        self.scope: list[str] = []
        self.statement: ast.stmt | None = None

    # one mutation point: its variants are (description, replacement)
    def _offer(
        self, node: ast.AST, variants: list[tuple[str, ast.AST]]
    ) -> ast.AST | None:
        for description, replacement in variants:
            index = self.count
            self.count += 1
            if self.target is None:
                self.found.append(
                    Mutant(
                        index,
                        node.lineno,  # type: ignore[attr-defined]
                        ".".join(self.scope) or "<module>",
                        description,
                        # from its statement's first line: a line event
                        # marks a statement, not each line it spans
                        (
                            min(
                                node.lineno,  # type: ignore[attr-defined]
                                getattr(self.statement, "lineno", 1 << 30),
                            ),
                            node.end_lineno,  # type: ignore[attr-defined]
                        ),
                    )
                )
            elif index == self.target:
                return ast.copy_location(replacement, node)
        return None

    def _context(self, node: ast.AST) -> str:
        statement = self.statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return f"def {statement.name}"  # a default or a decorator
        if isinstance(statement, ast.ClassDef):
            return f"class {statement.name}"
        return _short(statement if statement is not None else node)

    def visit(self, node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.stmt):
            outer, self.statement = self.statement, node
            try:
                return self._visit(node)
            finally:
                self.statement = outer
        return self._visit(node)

    def _visit(self, node: ast.AST) -> ast.AST | None:
        if _skipped(node) or _name(node) in self.exclude:
            return node
        mutated = self._offer(node, list(self._variants(node)))
        if mutated is not None:
            return mutated
        if isinstance(node, ast.Module):
            return self.visit_Module(node)
        if isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            return self._scoped(node)
        return self.generic_visit(node)

    def _scoped(self, node: ast.AST) -> ast.AST:
        self.scope.append(node.name)  # type: ignore[attr-defined]
        try:
            body = node.body  # type: ignore[attr-defined]
            if _docstring(body):
                node.body = [body[0], *self._visit_list(body[1:])]  # type: ignore[attr-defined]
            else:
                node.body = self._visit_list(body)  # type: ignore[attr-defined]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._visit_defaults(node.args)
            node.decorator_list = self._visit_list(  # type: ignore[attr-defined]
                node.decorator_list  # type: ignore[attr-defined]
            )
            return node
        finally:
            self.scope.pop()

    def _visit_defaults(self, args: ast.arguments) -> None:
        args.defaults = self._visit_list(args.defaults)
        args.kw_defaults = [
            None if d is None else self.visit(d) for d in args.kw_defaults
        ]  # type: ignore[misc]

    def _visit_list(self, nodes: list) -> list:  # type: ignore[type-arg]
        return [new for node in nodes if (new := self.visit(node)) is not None]

    def visit_Module(self, node: ast.Module) -> ast.AST:
        if _docstring(node.body):
            node.body = [node.body[0], *self._visit_list(node.body[1:])]
        else:
            node.body = self._visit_list(node.body)
        return node

    def _variants(self, node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                new = copy.deepcopy(node)
                new.ops[i] = _COMPARE[type(op)]()
                yield (
                    f"`{_SYMBOL[type(op)]}` -> "
                    f"`{_SYMBOL[type(new.ops[i])]}` in `{_short(node)}`",
                    new,
                )
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            new = copy.deepcopy(node)
            new.op = _BINARY[type(node.op)]()
            yield (
                f"`{_SYMBOL[type(node.op)]}` -> `{_SYMBOL[type(new.op)]}` "
                f"in `{_short(node)}`",
                new,
            )
        elif isinstance(node, ast.AugAssign) and type(node.op) in _BINARY:
            new = copy.deepcopy(node)
            new.op = _BINARY[type(node.op)]()
            yield (
                f"`{_SYMBOL[type(node.op)]}=` -> `{_SYMBOL[type(new.op)]}=` "
                f"in `{_short(node)}`",
                new,
            )
        elif isinstance(node, ast.BoolOp):
            new = copy.deepcopy(node)
            new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            yield (
                f"`{_SYMBOL[type(node.op)]}` -> `{_SYMBOL[type(new.op)]}` "
                f"in `{_short(node)}`",
                new,
            )
        elif isinstance(node, ast.UnaryOp) and isinstance(
            node.op, (ast.Not, ast.USub)
        ):
            symbol = "not" if isinstance(node.op, ast.Not) else "-"
            yield (
                f"`{symbol}` dropped in `{_short(node)}`",
                copy.deepcopy(node.operand),
            )
        elif isinstance(node, ast.Constant):
            yield from self._constant(node)
        elif (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in _BUILTINS
        ):
            yield (
                f"`{node.id}` -> `{_BUILTINS[node.id]}` in "
                f"`{self._context(node)}`",
                ast.Name(_BUILTINS[node.id], ast.Load()),
            )
        elif isinstance(node, ast.Return) and not _is_none(node.value):
            yield (
                f"`{_short(node)}` -> `return None`",
                ast.Return(ast.Constant(None)),
            )
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and not _is_none(node.value)
        ):
            new = copy.deepcopy(node)
            new.value = ast.Constant(None)
            yield (f"`{_short(node)}` -> `{node.targets[0].id} = None`", new)
        elif isinstance(node, ast.Break):
            yield ("`break` -> `continue`", ast.Continue())
        elif isinstance(node, ast.Continue):
            yield ("`continue` -> `break`", ast.Break())
        if isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            for i, decorator in enumerate(node.decorator_list):
                new = copy.copy(node)
                new.decorator_list = [
                    d for j, d in enumerate(node.decorator_list) if j != i
                ]
                yield (
                    f"decorator `@{_short(decorator)}` of {node.name} dropped",
                    new,
                )

    def _constant(self, node: ast.Constant) -> Iterator[tuple[str, ast.AST]]:
        value = node.value
        if isinstance(value, bool):
            new: object = not value
        elif isinstance(value, (int, float)):
            new = value + 1
        elif isinstance(value, str):
            new = f"XX{value}XX"
        else:
            return
        yield (
            f"`{value!r}` -> `{new!r}` in `{self._context(node)}`",
            ast.Constant(new),
        )


def _docstring(body: list[ast.stmt]) -> bool:
    return bool(
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def _name(node: ast.AST) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def _is_none(node: ast.AST | None) -> bool:
    return node is None or (
        isinstance(node, ast.Constant) and node.value is None
    )


def _skipped(node: ast.AST) -> bool:
    """What is not behaviour: annotations, ``__all__``, type-checking
    imports, f-strings' literal text, log calls, ``Ellipsis`` bodies."""
    if isinstance(node, ast.AnnAssign):
        return node.value is None
    if isinstance(node, ast.arg):
        return True
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
    ):
        return True
    if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
        return True
    if isinstance(node, ast.JoinedStr):
        return False
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return (
            node.func.attr in _LOGGING
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"LOG", "log", "logger", "logging"}
        )
    return False


class _NoFStringText(_Mutator):
    """f-strings keep their literal text (messages are not behaviour
    the tests pin word for word); their expressions are mutated."""

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        node.values = [
            v if isinstance(v, ast.Constant) else self.visit(v)
            for v in node.values
        ]
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node.value = self.visit(node.value)
        return node

    def _visit(self, node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.JoinedStr):
            return self.visit_JoinedStr(node)
        if isinstance(node, ast.FormattedValue):
            return self.visit_FormattedValue(node)
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            node.value = self.visit(node.value)
            return node
        return super()._visit(node)


def mutants(
    source: str, path: str, exclude: frozenset[str] = frozenset()
) -> list[Mutant]:
    walker = _NoFStringText(None, exclude)
    walker.visit(ast.parse(source, path))
    seen: dict[str, int] = {}
    for mutant in walker.found:
        key = f"{mutant.qualname}: {mutant.description}"
        seen[key] = seen.get(key, 0) + 1
        mutant.key = key if seen[key] == 1 else f"{key} #{seen[key]}"
    return walker.found


def mutated_code(
    source: str, path: str, index: int, exclude: frozenset[str] = frozenset()
) -> object:
    tree = _NoFStringText(index, exclude).visit(ast.parse(source, path))
    return compile(ast.fix_missing_locations(tree), path, "exec")


# -- running -----------------------------------------------------------------


class _Serve(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``name`` from ``code`` rather than from its file."""

    def __init__(self, name: str, path: str, code: object) -> None:
        self.name, self.path, self.code = name, path, code

    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name != self.name:
            return None
        return importlib.util.spec_from_file_location(
            name, self.path, loader=self
        )

    def create_module(self, spec):  # type: ignore[no-untyped-def]
        return None

    def exec_module(self, module):  # type: ignore[no-untyped-def]
        exec(self.code, module.__dict__)


def _ours(name: str, module: object) -> bool:
    """The project's modules (and the tests'): imported afresh by each
    child, never by the parent."""
    file = getattr(module, "__file__", None) or ""
    return file.startswith(str(ROOT)) or name.split(".")[0] in {
        "zerodown",
        "tests",
        "conftest",
    }


# Plugins a pure unit test does without: off, the run takes a third less
# (if a module's tests need one, the baseline fails and all are kept).
_LEAN = [
    *("-p", "no:zerodown"),
    *("-p", "no:xdist"),
    *("-p", "no:pytest_alembic"),
    *("-p", "no:hypothesispytest"),
    *("-p", "no:timeout"),
]
_plugins_off = True


def _pytest_args(tests: Sequence[str]) -> list[str]:
    return [
        *(_LEAN if _plugins_off else []),
        *tests,
        "-x",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "--no-header",
        # pytest's assertion rewriting imports zerodown's modules itself
        # (zerodown is a plugin's distribution), ahead of the mutant
        "--assert=plain",
    ]


def _run(
    name: str,
    path: str,
    code: object,
    tests: Sequence[str],
    timeout: int,
    report: str | None = None,
) -> str:
    """Run ``tests`` in a forked child with ``code`` as module ``name``:
    'passed', 'failed' or 'timeout'.  With ``report``, the child writes
    the lines of ``path`` it ran and the modules it imported there."""
    pid = os.fork()
    if pid == 0:  # the child
        status = 3
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            for mod in [m for m, v in sys.modules.items() if _ours(m, v)]:
                del sys.modules[mod]
            sys.meta_path.insert(0, _Serve(name, path, code))
            signal.alarm(timeout)
            import pytest

            lines: set[int] = set()
            if report:
                sys.settrace(_tracer(path, lines))
            status = int(pytest.main(_pytest_args(tests)))
            sys.settrace(None)
            if report:
                Path(report).write_text(
                    json.dumps(
                        {
                            "lines": sorted(lines),
                            "modules": sorted(
                                m
                                for m, v in list(sys.modules.items())
                                if v is not None and not _ours(m, v)
                            ),
                        }
                    )
                )
        finally:
            os._exit(status)
    _, waited = os.waitpid(pid, 0)
    if os.WIFSIGNALED(waited):
        return "timeout" if os.WTERMSIG(waited) == signal.SIGALRM else "failed"
    return "passed" if os.WEXITSTATUS(waited) == 0 else "failed"


def _tracer(path: str, lines: set[int]):  # type: ignore[no-untyped-def]
    def local(frame, event, arg):  # type: ignore[no-untyped-def]
        if event == "line":
            lines.add(frame.f_lineno)
        return local

    def call(frame, event, arg):  # type: ignore[no-untyped-def]
        if frame.f_code.co_filename == path:
            lines.add(frame.f_lineno)
            return local
        return None

    return call


def _equivalents(relative: str) -> dict[str, str]:
    found: dict[str, str] = {}
    if not EQUIVALENTS.exists():
        return found
    for line in EQUIVALENTS.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, reason = line.partition("  => ")
        where, _, rest = key.partition("::")
        if where == relative:
            found[rest.strip()] = reason.strip()
    return found


def _survivors(report: str, relative: str) -> set[str]:
    """The survivors of ``relative`` in an earlier run's output."""
    keys = set()
    for line in Path(report).read_text().splitlines():
        where, _, key = line.strip().partition(": ")
        if where.rpartition(":")[0] == relative:
            keys.add(key)
    return keys


def mutate(
    relative: str,
    tests: Sequence[str],
    listing: bool,
    again: str | None = None,
) -> bool:
    path = str(ROOT / relative)
    name = relative.removesuffix(".py").replace("/", ".")
    source = Path(path).read_text()
    exclude = frozenset(NOT_LOGIC.get(relative, {}))
    found = mutants(source, path, exclude)
    if again:  # only an earlier run's survivors
        keys = _survivors(again, relative)
        found = [m for m in found if m.key in keys]
    equivalent = _equivalents(relative)
    if listing:
        for m in found:
            print(f"{relative}:{m.line}: {m.key}")
        print(f"{relative}: {len(found)} mutants")
        return True
    started = time.monotonic()
    original = compile(source, path, "exec")
    global _plugins_off
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        if _run(name, path, original, tests, 600, report.name) != "passed":
            _plugins_off = False
            if _run(name, path, original, tests, 600, report.name) != "passed":
                print(f"{relative}: the tests fail without a mutant: fix them")
                return False
        baseline = json.loads(Path(report.name).read_text())
    took = time.monotonic() - started
    for module in baseline["modules"]:  # the children start warm
        try:
            __import__(module)
        except Exception:  # a module that needs its importer's state
            continue
    timeout = max(10, int(took * 5) + 1)
    covered = set(baseline["lines"])
    results: dict[str, list[Mutant]] = {
        k: [] for k in ("killed", "timeout", "survived", "uncovered")
    }
    unused = set(equivalent)
    for i, m in enumerate(found):
        first, last = m.lines
        if m.key in equivalent:
            unused.discard(m.key)
            results.setdefault("equivalent", []).append(m)
            continue
        if not covered.intersection(range(first, last + 1)):
            results["uncovered"].append(m)
            continue
        code = mutated_code(source, path, m.index, exclude)
        outcome = _run(name, path, code, tests, timeout)
        kind = {"passed": "survived", "failed": "killed"}.get(outcome, outcome)
        results[kind].append(m)
        sys.stderr.write(f"\r{i + 1}/{len(found)} mutants")
    sys.stderr.write("\n")
    killed = len(results["killed"]) + len(results["timeout"])
    equivalents = len(results.get("equivalent", []))
    live = len(found) - equivalents
    survivors = results["survived"] + results["uncovered"]
    print(
        f"{relative}: {len(found)} mutants: {killed} killed "
        f"({len(results['timeout'])} by timeout), {equivalents} equivalent, "
        f"{len(survivors)} survived ({len(results['uncovered'])} on lines "
        f"no test runs); {100 * killed / max(live, 1):.1f}% of the "
        f"non-equivalent killed; {time.monotonic() - started:.0f} s"
    )
    for excluded, why in NOT_LOGIC.get(relative, {}).items():
        print(f"  not mutated: {excluded}: {why}")
    for m in sorted(survivors, key=lambda m: m.line):
        print(f"  {relative}:{m.line}: {m.key}")
    for key in sorted(unused) if not again else ():
        print(f"  stale entry in {EQUIVALENTS.name}: {relative}::{key}")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "module", nargs="?", help="a module of the pure core (a path)"
    )
    parser.add_argument(
        "tests", nargs="*", help="test files (default: the module's own)"
    )
    parser.add_argument(
        "--list", action="store_true", help="print the mutants, run nothing"
    )
    parser.add_argument(
        "--all", action="store_true", help="every module, one at a time"
    )
    parser.add_argument(
        "--again",
        metavar="OUTPUT",
        help="run only the survivors listed in an earlier run's output",
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    if args.all:
        chosen = list(MODULES)
    elif args.module:
        chosen = [args.module]
    else:
        for module, tests in MODULES.items():
            print(module, " ".join(tests))
        return 0
    ok = True
    for module in chosen:
        tests = args.tests or MODULES.get(module)
        if not tests:
            parser.error(f"no tests known for {module}: name them")
        # only one module is mutated per process: the children fork from
        # a parent that must not have imported it
        if len(chosen) > 1:
            pid = os.fork()
            if pid == 0:
                os._exit(
                    0 if mutate(module, tests, args.list, args.again) else 1
                )
            ok = os.waitpid(pid, 0)[1] == 0 and ok
        else:
            ok = mutate(module, tests, args.list, args.again) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
