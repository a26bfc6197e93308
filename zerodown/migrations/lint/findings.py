"""What lint reports: one :class:`Finding` per rule and operation."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zerodown.migrations.phases import Phase

__all__ = ["Finding", "Severity", "blocking"]


class Severity(str, enum.Enum):
    """``error`` fails ``zerodown db lint`` and closes the contract gate;
    ``warning`` is reported and lets them pass."""

    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one operation of one revision.

    ``target`` is what a waiver names to cover it; ``waived`` is the
    covering waiver's reason, if a waiver covers it.
    """

    rule: str
    severity: Severity
    message: str
    recipe: str
    path: str
    line: int
    revision: str | None
    phase: Phase | None
    target: str = "*"
    waived: str | None = None

    @property
    def blocking(self) -> bool:
        """True for an error no waiver covers."""
        return self.severity is Severity.ERROR and self.waived is None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "recipe": self.recipe,
            "path": self.path,
            "line": self.line,
            "revision": self.revision,
            "phase": self.phase.value if self.phase else None,
            "target": self.target,
            "waived": self.waived,
        }


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that fail lint: errors no waiver covers."""
    return [finding for finding in findings if finding.blocking]
