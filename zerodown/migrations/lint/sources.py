"""Which revision scripts to lint, and the phase of each.

Lint takes a loaded :class:`~zerodown.migrations.layout.Layout` (the
phase of each revision comes from it), or files and directories.  For
files the phase is worked out without importing anything: a script's
own ``branch_labels``, else the branch of its ``down_revision`` chain
among the scripts read, else the ``expand``/``contract`` folder it sits
in (where zerodown writes each branch's revisions).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from zerodown.migrations.layout import Layout
from zerodown.migrations.lint.script import RevisionScript, read_script
from zerodown.migrations.phases import BRANCH_PHASES, Phase

__all__ = ["Source", "collect"]

Source = Layout | str | Path | Iterable[str | Path]


def collect(source: Source) -> list[RevisionScript]:
    """Read every revision script of ``source``, phases resolved."""
    if isinstance(source, Layout):
        return _from_layout(source)
    paths = [source] if isinstance(source, (str, Path)) else list(source)
    scripts: list[RevisionScript] = []
    for path in map(Path, paths):
        if path.is_dir():
            scripts.extend(_directory(path))
        else:
            scripts.append(read_script(path))
    return resolve_phases(scripts)


def _from_layout(layout: Layout) -> list[RevisionScript]:
    return [
        dataclasses.replace(
            read_script(Path(script.path)), phase=layout.phase_of(script)
        )
        for script in reversed(layout.all_revisions())
        if script.path
    ]


def _directory(directory: Path) -> list[RevisionScript]:
    found = []
    for path in sorted(directory.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        script = read_script(path)
        if script.revision is not None:  # env.py and helpers are not
            found.append(script)
    return found


def resolve_phases(scripts: list[RevisionScript]) -> list[RevisionScript]:
    """Each script with the phase of the branch it belongs to."""
    by_id: dict[str | None, RevisionScript] = {
        s.revision: s for s in scripts if s.revision
    }
    resolved = []
    for script in scripts:
        phase = script.phase or _phase(script, by_id) or _folder(script)
        resolved.append(dataclasses.replace(script, phase=phase))
    return resolved


def _phase(
    script: RevisionScript, by_id: dict[str | None, RevisionScript]
) -> Phase | None:
    seen: set[str | None] = set()
    todo = [script]
    while todo:
        current = todo.pop()
        if current.revision in seen:
            continue
        seen.add(current.revision)
        for phase in BRANCH_PHASES:
            if phase.value in current.branch_labels:
                return phase
        todo.extend(by_id[r] for r in current.down_revision if r in by_id)
    return None


def _folder(script: RevisionScript) -> Phase | None:
    for part in reversed(script.path.parent.parts):
        for phase in BRANCH_PHASES:
            if part == phase.value:
                return phase
    return None
