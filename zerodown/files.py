"""Files zerodown creates that hold a deployment's data: private.

SQLite databases (a service's database on one machine, the embedded
broker, a server's replay store) carry instances, messages and message
ids.  They are created ``0600`` in directories created ``0700``, before
SQLite opens them; SQLite gives its WAL and shared-memory files the mode
of the database file.  An existing file of this user's that others could
read or write is closed to them; another user's file is left as it is.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import sqlalchemy as sa

__all__ = ["private_file", "private_sqlite"]


def private_file(
    path: str | os.PathLike[str], *, parents: bool = True
) -> Path:
    """Create ``path`` readable by its owner only, unless it exists (and,
    with ``parents``, its missing directories); return it."""
    path = Path(path)
    if not path.parent.exists():
        if not parents:
            return path  # the opener says what is wrong with the path
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _tighten(path)
    return path


def _tighten(path: Path) -> None:
    # A file of ours left open to others (by an older release, a umask):
    # close it.  Someone else's file is theirs to fix; SQLite says so if
    # it cannot use it.
    info = path.lstat()
    if info.st_uid == os.geteuid() and info.st_mode & 0o077:
        path.chmod(info.st_mode & 0o700)


def private_sqlite(url: str | sa.URL) -> None:
    """Create the file of a SQLite URL privately (no-op for other
    databases, in-memory SQLite and ``file:`` URIs)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    if parsed.query.get("uri") in ("true", "1"):
        return
    # A path that cannot be created is reported by SQLite when it opens.
    with contextlib.suppress(OSError):
        private_file(database, parents=False)
