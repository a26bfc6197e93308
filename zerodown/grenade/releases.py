"""Finding a release's code in the clone's own history.

``RELEASES`` (TOML, at the project root) maps release names to commits::

    [releases.r1]
    commit = "4c123e85..."
    version = "1.0.0"
    service_version = 1

A job's ``old``/``new`` ref is a release name or any git ref.  A ref the
clone lacks is an error that says so (a shallow CI clone is the usual
cause), never a silent skip.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from zerodown.grenade.errors import JobFileError, RefNotFound

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["load_releases", "resolve"]


def load_releases(repo: Path) -> dict[str, dict[str, Any]]:
    """The releases of ``repo``'s RELEASES file (none if it has none)."""
    path = repo / "RELEASES"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise JobFileError(path=path, where="file", problem=str(err)) from err
    releases = data.get("releases", {})
    for name, entry in releases.items():
        if not isinstance(entry, dict) or not entry.get("commit"):
            raise JobFileError(
                path=path,
                where=f"[releases.{name}]",
                problem="a release needs a commit",
            )
    return dict(releases)


def resolve(repo: Path, ref: str) -> str:
    """The full commit ``ref`` names in ``repo``.

    :raises RefNotFound: for a release whose commit the clone lacks, or
        a ref that names no commit.
    """
    releases = load_releases(repo)
    if ref in releases:
        commit = str(releases[ref]["commit"])
        found = _rev_parse(repo, commit)
        if found is None:
            raise RefNotFound(
                what=f"release {ref} (commit {commit[:12]})",
                repo=repo,
                hint="fetch it, or deepen a shallow clone "
                "(git fetch --unshallow)",
            )
        return found
    found = _rev_parse(repo, ref)
    if found is None:
        known = ", ".join(sorted(releases)) or "none"
        raise RefNotFound(
            what=f"ref {ref!r}",
            repo=repo,
            hint=f"it is neither a commit nor a release (releases: {known})",
        )
    return found


def _rev_parse(repo: Path, ref: str) -> str | None:
    done = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "rev-parse",
            "--verify",
            "--quiet",
            f"{ref}^{{commit}}",
        ],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() if done.returncode == 0 else None
