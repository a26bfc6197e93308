"""The lint rules, one module each, registered by :func:`rule`.

A rule is a small function of a :class:`Context` that yields
:class:`Hit` s.  ``scope="call"`` rules run once per operation of
``upgrade()`` (``ctx.call`` is set); ``scope="revision"`` rules once per
revision.  Each declares its kebab-case id, severity, the dialect
families it applies to, why the operation hurts and the safe recipe.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from zerodown.migrations.lint.findings import Severity

if TYPE_CHECKING:
    from zerodown.migrations.lint.dialects import DialectProfile
    from zerodown.migrations.lint.script import Call, RevisionScript

__all__ = [
    "ALL",
    "Context",
    "Hit",
    "LintOptions",
    "Rule",
    "all_rules",
    "rule",
]

ALL = frozenset({"postgresql", "mysql", "sqlite"})
Scope = Literal["call", "revision"]


@dataclass(frozen=True)
class LintOptions:
    """What lint knows about how the revisions will run.

    :param lock_timeout: the engine runs every DDL statement under a
        lock timeout with retries (zerodown's ``env.py`` with a positive
        ``lock_timeout`` setting).
    """

    lock_timeout: bool = True


@dataclass(frozen=True)
class Context:
    """What a rule looks at."""

    script: RevisionScript
    profile: DialectProfile
    options: LintOptions
    call: Call | None = None

    @property
    def the_call(self) -> Call:
        assert self.call is not None, "a call-scope rule without a call"
        return self.call

    def live(self, table: str | None) -> bool:
        """True unless ``table`` is created by this same revision."""
        return not self.script.is_new(table)


@dataclass(frozen=True)
class Hit:
    """A rule's finding before lint adds where it is and what waives it.

    ``severity`` and ``recipe`` override the rule's own when set.
    """

    message: str
    target: str = "*"
    line: int | None = None
    severity: Severity | None = None
    recipe: str | None = None


Check = Callable[[Context], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    families: frozenset[str]
    why: str
    recipe: str
    check: Check
    scope: Scope = "call"

    registry: ClassVar[dict[str, Rule]] = {}

    @property
    def module(self) -> str:
        return self.check.__module__.rsplit(".", 1)[-1]


def rule(
    rule_id: str,
    *,
    severity: Severity,
    why: str,
    recipe: str,
    dialects: Iterable[str] = ALL,
    scope: Scope = "call",
) -> Callable[[Check], Check]:
    """Register the decorated function as lint rule ``rule_id``."""

    def register(check: Check) -> Check:
        if rule_id in Rule.registry:
            raise ValueError(f"lint rule {rule_id!r} is defined twice")
        Rule.registry[rule_id] = Rule(
            rule_id, severity, frozenset(dialects), why, recipe, check, scope
        )
        return check

    return register


def all_rules() -> dict[str, Rule]:
    """Every rule, by id (importing the rule modules registers them)."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(Rule.registry.items()))
