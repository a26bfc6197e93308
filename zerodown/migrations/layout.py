"""The expand/contract layout of an Alembic script directory.

Revisions live on two Alembic branches labelled ``expand`` and ``contract``.
A contract revision ``depends_on`` the expand revision whose leftovers it
removes.  :class:`Layout` answers which branch a revision belongs to, where
each branch keeps its scripts, and whether the layout is sound.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from zerodown.migrations.errors import (
    MissingBranch,
    MissingDependency,
    MultipleHeads,
    RevisionNotFound,
    ScriptError,
)
from zerodown.migrations.phases import BRANCH_PHASES, Phase

__all__ = ["Layout", "as_tuple", "load_layout"]


@dataclass(frozen=True)
class Layout:
    """A loaded script directory seen as expand and contract branches."""

    scripts: ScriptDirectory

    @property
    def location(self) -> str:
        return str(self.scripts.dir)

    def revision(self, revision_id: str) -> Script:
        try:
            script = self.scripts.get_revision(revision_id)
        except CommandError as err:
            raise RevisionNotFound(
                revision=revision_id, location=self.location
            ) from err
        if script is None:
            raise RevisionNotFound(
                revision=revision_id, location=self.location
            )
        return script

    def all_revisions(self) -> list[Script]:
        return list(self.scripts.walk_revisions("base", "heads"))

    def phase_of(self, script: Script) -> Phase | None:
        """The phase whose branch holds ``script`` (None if on neither)."""
        for phase in BRANCH_PHASES:
            if phase.value in script.branch_labels:
                return phase
        return None

    def branch(self, phase: Phase) -> list[Script]:
        """Every revision of a branch, newest first."""
        return [s for s in self.all_revisions() if self.phase_of(s) is phase]

    def base(self, phase: Phase) -> Script:
        bases = [s for s in self.branch(phase) if not s.down_revision]
        if not bases:
            raise MissingBranch(branch=phase.value)
        return bases[0]

    def heads(self, phase: Phase) -> list[str]:
        members = self.branch(phase)
        if not members:
            raise MissingBranch(branch=phase.value)
        return sorted(s.revision for s in members if s.is_head)

    def head(self, phase: Phase) -> str:
        heads = self.heads(phase)
        if len(heads) != 1:
            raise MultipleHeads(
                branch=phase.value, count=len(heads), heads=", ".join(heads)
            )
        return heads[0]

    def directory(self, phase: Phase) -> Path:
        """The folder that new revisions of ``phase`` are written to."""
        return Path(self.base(phase).path).parent

    def ancestors(self, revision_ids: Iterable[str]) -> set[str]:
        """The given revisions and everything they need, on any branch.

        Alembic stores only heads in its version table, and a contract
        revision's ``depends_on`` implies its expand revision is applied.
        """
        seen: set[str] = set()
        todo = [r for r in revision_ids if r]
        while todo:
            script = self.revision(todo.pop())
            if script.revision in seen:
                continue
            seen.add(script.revision)
            todo.extend(as_tuple(script.down_revision))
            todo.extend(as_tuple(script.dependencies))
        return seen

    def validate(self) -> None:
        """Raise the first problem of the layout, if any."""
        for phase in BRANCH_PHASES:
            self.head(phase)
        expand_ids = {s.revision for s in self.branch(Phase.EXPAND)}
        for script in self.branch(Phase.CONTRACT):
            depends = set(as_tuple(script.dependencies))
            resolved = {self.revision(dep).revision for dep in depends}
            if not resolved & expand_ids:
                raise MissingDependency(
                    revision=script.revision, path=script.path
                )


def load_layout(scripts: ScriptDirectory) -> Layout:
    """Load every revision script, turning load failures into typed errors."""
    try:
        scripts.revision_map.heads  # noqa: B018 - forces every script to load
    except CommandError as err:
        raise ScriptError(path=scripts.dir, reason=str(err)) from err
    except Exception as err:  # a user's script can raise anything on import
        raise ScriptError(
            path=_failing_script(err, scripts.dir),
            reason=f"{type(err).__name__}: {err}",
        ) from err
    return Layout(scripts)


def _failing_script(err: BaseException, directory: str) -> str:
    if isinstance(err, SyntaxError) and err.filename:
        return f"{err.filename}:{err.lineno}"
    frames = traceback.extract_tb(err.__traceback__)
    inside = [f for f in frames if f.filename.startswith(str(directory))]
    if inside:
        return f"{inside[-1].filename}:{inside[-1].lineno}"
    return str(directory)


def as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Alembic's "one id or several" as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)
