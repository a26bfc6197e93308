"""One side of an upgrade: a commit's worktree and its virtualenv.

Each side is a ``git worktree`` of the clone (detached at the commit)
with a virtualenv built by the job's install command; both are cached
under the work directory by commit, so a second run reuses them.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from zerodown.grenade.errors import GrenadeError

__all__ = ["BUILTINS", "Side", "prepare_side", "render"]


@dataclasses.dataclass(frozen=True)
class Side:
    name: str  # "old" or "new"
    commit: str
    worktree: Path
    venv: Path

    def env(
        self, workdir: Path, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The environment of a command run on this side (plus
        ``extra``)."""
        env = dict(os.environ)
        env.update(extra or {})
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        env["GRENADE_SIDE"] = self.name
        env["GRENADE_WORKDIR"] = str(workdir)
        env["GRENADE_WORKTREE"] = str(self.worktree)
        return env


#: The placeholders every command has; a job's ``[vars]`` add theirs.
BUILTINS = ("jobdir", "venv", "worktree", "workdir", "side", "python")


def render(
    template: str,
    side: Side,
    workdir: Path,
    jobdir: Path | None = None,
    variables: Mapping[str, str] | None = None,
    *,
    quote: bool = True,
) -> str:
    """A command with ``{venv}``, ``{worktree}``, ``{workdir}``,
    ``{jobdir}`` (the job file's folder: hook scripts that belong to the
    job, not to either side), ``{side}``, ``{python}`` and the job's
    ``variables`` filled in (shell-quoted unless ``quote`` is false)."""
    q = shlex.quote if quote else str
    values = {
        "jobdir": str(jobdir or workdir),
        "venv": str(side.venv),
        "worktree": str(side.worktree),
        "workdir": str(workdir),
        "python": sys.executable,
        **(variables or {}),
    }
    try:
        return template.format(
            side=side.name, **{k: q(v) for k, v in values.items()}
        )
    except (KeyError, IndexError) as err:
        raise GrenadeError(
            problem=f"unknown placeholder {err} in {template!r}"
        ) from err


def prepare_side(
    repo: Path, name: str, commit: str, workdir: Path, install: str
) -> Side:
    """The worktree and virtualenv of ``commit`` (built once)."""
    short = commit[:12]
    side = Side(
        name,
        commit,
        workdir / "worktrees" / short,
        workdir / "venvs" / short,
    )
    if not side.worktree.exists():
        # A work directory removed by hand leaves its worktrees registered.
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "prune"], capture_output=True
        )
        done = subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "worktree",
                "add",
                "--detach",
                str(side.worktree),
                commit,
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise GrenadeError(
                problem=f"cannot check out {short} for the {name} side: "
                + done.stderr.strip()
            )
    marker = side.venv / ".zerodown-installed"
    if not marker.exists():
        log = workdir / "logs" / f"install-{name}-{short}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out:
            installed = subprocess.run(
                render(install, side, workdir),
                shell=True,
                cwd=side.worktree,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if installed.returncode:
            tail = "\n".join(log.read_text().splitlines()[-15:])
            raise GrenadeError(
                problem=f"installing the {name} side ({short}) failed "
                f"with {installed.returncode}:\n{tail}"
            )
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(commit)
    return side
