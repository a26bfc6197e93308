"""Reasoned waivers of lint findings, declared by a revision.

A revision that knowingly does something a rule flags says so, per
operation and with a reason, next to the phase guard's exceptions::

    from zerodown.migrations import allow, waive

    lint_waivers = [
        waive("raw-sql", "UPDATE orders*", reason="12 rows, checked by hand"),
    ]

``target`` is a glob over what the finding names (``table.column``, an
index name, the first words of a SQL statement).  A waiver without a
reason, for an unknown rule, or that lint cannot read is itself an error
(rule ``invalid-waiver``).  Lint reads the list from the syntax tree; at
run time :func:`waive` refuses an empty reason like
:func:`~zerodown.migrations.allow` does.
"""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass

from zerodown.migrations import guard
from zerodown.migrations.errors import InvalidWaiver
from zerodown.migrations.lint.values import Namespace, evaluate

__all__ = [
    "Waiver",
    "read_phase_exceptions",
    "read_waivers",
    "waive",
]

WAIVERS_ATTRIBUTE = "lint_waivers"


@dataclass(frozen=True)
class Waiver:
    """A revision's reasoned permission for one rule on one target."""

    rule: str
    target: str
    reason: str
    line: int = 0

    def covers(self, rule: str, target: str) -> bool:
        return (
            bool(self.reason)
            and self.rule == rule
            and fnmatch.fnmatchcase(target, self.target)
        )


def waive(rule: str, target: str, *, reason: str) -> Waiver:
    """Waive ``rule`` for ``target`` (a glob) in one revision, with why."""
    if not reason or not reason.strip():
        raise InvalidWaiver(rule=rule, target=target, problem="needs a reason")
    return Waiver(rule, target, reason.strip())


def read_waivers(
    tree: ast.Module, names: Namespace
) -> tuple[tuple[Waiver, ...], tuple[tuple[int, str], ...]]:
    """The waivers a script declares, and the ones lint cannot read."""
    waivers: list[Waiver] = []
    problems: list[tuple[int, str]] = []
    for node in tree.body:
        value = _assigned(node, WAIVERS_ATTRIBUTE)
        if value is not None and not isinstance(value, (ast.List, ast.Tuple)):
            problems.append(
                (node.lineno, f"{WAIVERS_ATTRIBUTE} must be a literal list")
            )
    for item in _items(tree, WAIVERS_ATTRIBUTE):
        found = _waiver(item, names)
        if isinstance(found, Waiver):
            waivers.append(found)
        else:
            problems.append((item.lineno, found))
    return tuple(waivers), tuple(problems)


def _waiver(node: ast.expr, names: Namespace) -> Waiver | str:
    text = ast.unparse(node)
    call = _call_of(node, names.waive_names)
    if call is None:
        return f"{text} is not a waive(...) call"
    args = [evaluate(arg, names) for arg in call.args]
    keywords = {kw.arg: evaluate(kw.value, names) for kw in call.keywords}
    rule = args[0] if args else keywords.get("rule")
    target = args[1] if len(args) > 1 else keywords.get("target")
    reason = keywords.get("reason", args[2] if len(args) > 2 else "")
    if not all(isinstance(v, str) for v in (rule, target, reason)):
        return f"{text} needs a rule, a target and a reason as plain strings"
    assert isinstance(rule, str) and isinstance(target, str)
    return Waiver(rule, target, str(reason).strip(), node.lineno)


def read_phase_exceptions(
    tree: ast.Module, names: Namespace
) -> tuple[guard.PhaseException, ...]:
    """The ``phase_exceptions = [allow(...)]`` a script declares."""
    found: list[guard.PhaseException] = []
    for item in _items(tree, "phase_exceptions"):
        call = _call_of(item, names.allow_names)
        if call is None:
            continue
        args = [evaluate(arg, names) for arg in call.args]
        keywords = {kw.arg: evaluate(kw.value, names) for kw in call.keywords}
        kind = args[0] if args else keywords.get("kind")
        target = args[1] if len(args) > 1 else keywords.get("target", "*")
        reason = keywords.get("reason")
        if all(isinstance(v, str) for v in (kind, target, reason)):
            found.append(
                guard.PhaseException(str(kind), str(target), str(reason))
            )
    return tuple(found)


def _call_of(node: ast.expr, names: set[str]) -> ast.Call | None:
    """``node`` if it calls one of ``names`` (bare or as an attribute)."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in names:
        return node
    if isinstance(func, ast.Name) and func.id in names:
        return node
    return None


def _items(tree: ast.Module, name: str) -> list[ast.expr]:
    items: list[ast.expr] = []
    for node in tree.body:
        value = _assigned(node, name)
        if isinstance(value, (ast.List, ast.Tuple)):
            items.extend(value.elts)
    return items


def _assigned(node: ast.stmt, name: str) -> ast.expr | None:
    if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == name for t in node.targets
    ):
        return node.value
    if (
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == name
    ):
        return node.value
    return None
