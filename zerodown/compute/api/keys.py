"""The token key file: one key a line, the first signs, all verify.

The file is read when the API starts and when a token is made.  It must
be readable by its owner only (mode 0600, as ssh asks of a private key):
whoever reads a key can make any token, admin included.  Blank lines and
``#`` comments are skipped.  A key is at least 32 bytes; new keys are 48
random bytes from the operating system (:func:`secrets.token_urlsafe`).

Rotation without a failed request: :func:`add_key` puts a new key at
the end (it verifies only); restart the APIs one at a time;
:func:`promote_key` moves it first, so tokens made from then on are
signed with it; once every token the old key signed has expired (at
most :data:`~zerodown.compute.api.tokens.MAX_LIFETIME`),
:func:`retire_key` removes the old key, and the APIs are restarted
again.  A key that leaked is retired at once: its tokens die with it.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from zerodown.compute.api.tokens import TokenKeys
from zerodown.exceptions import ConfigError

__all__ = [
    "add_key",
    "load_keys",
    "new_key",
    "promote_key",
    "retire_key",
]


def new_key() -> str:
    """A fresh key: 48 random bytes, URL-safe base64 (64 characters)."""
    return secrets.token_urlsafe(48)


def load_keys(path: str | Path, audience: str) -> TokenKeys:
    """The keys of ``path``.

    :raises ConfigError: if it is missing, unreadable, readable or
        writable by others than its owner, or holds no valid key.
    """
    path = Path(path)
    try:
        with path.open("rb") as stream:
            mode = os.fstat(stream.fileno()).st_mode
            raw = stream.read(64 * 1024)
    except OSError as err:
        raise ConfigError(
            problem=f"token key file {path}: {err.strerror}"
        ) from err
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            problem=f"token key file {path} is open to others (mode "
            f"{stat.S_IMODE(mode):04o}); run chmod 600 {path}"
        )
    lines = (line.strip() for line in raw.splitlines())
    keys = tuple(k for k in lines if k and not k.startswith(b"#"))
    return TokenKeys(keys, audience)


def add_key(path: str | Path) -> Path:
    """Add a new key at the end of ``path`` (created 0600), where it
    verifies only."""
    return _write(Path(path), [*_lines(Path(path)), new_key()])


def promote_key(path: str | Path) -> Path:
    """Move the last key first, where it signs.

    :raises ConfigError: if the file has fewer than two keys.
    """
    keys = _keys_of(Path(path), at_least=2, doing="promote")
    return _write(Path(path), [keys[-1], *keys[:-1]])


def retire_key(path: str | Path) -> Path:
    """Remove the last key (after :func:`promote_key`: the old signer).

    :raises ConfigError: if it is the only one.
    """
    return _write(
        Path(path), _keys_of(Path(path), at_least=2, doing="retire")[:-1]
    )


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text().splitlines()]


def _keys_of(path: Path, at_least: int, doing: str) -> list[str]:
    keys = [k for k in _lines(path) if k and not k.startswith("#")]
    if len(keys) < at_least:
        raise ConfigError(
            problem=f"cannot {doing} a key of {path}: it has {len(keys)}"
        )
    return keys


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside it at 0600 from the start (never readable by
    # others, not even between a write and a chmod), then renamed over
    # it: a reader sees the old file or the new one, never half.
    spare = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write("".join(f"{line}\n" for line in lines))
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(spare, path)
    return path
