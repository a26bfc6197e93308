"""RPC API versions: ``X.Y``, compared the way oslo.messaging compares them.

A server that implements ``X.Y`` accepts a message of ``X.Z`` for every
``Z <= Y``: minor versions only add (an optional argument, a new method),
so an older message still makes sense to a newer server.  A new major
version breaks that promise; a server keeps serving the old major beside
the new one (a second endpoint) for as long as old clients may call it.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["Version", "is_compatible", "parse", "render"]

Version = tuple[int, int]

_VERSION = re.compile(r"(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})")


@lru_cache(maxsize=256)
def parse(text: str) -> Version:
    """``(major, minor)`` of ``text``.

    :raises ValueError: if ``text`` is not ``X.Y``.
    """
    if type(text) is not str:
        raise ValueError(f"a version must be a string, not {type(text)}")
    match = _VERSION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text[:20]!r} is not an X.Y version")
    return int(match.group(1)), int(match.group(2))


def render(version: Version) -> str:
    """The ``X.Y`` text of ``version``."""
    return f"{version[0]}.{version[1]}"


def is_compatible(implemented: str | None, requested: str) -> bool:
    """Whether a side at ``implemented`` can handle ``requested``.

    Same major, and a minor no newer.  ``implemented=None`` (no cap)
    accepts everything.
    """
    if implemented is None:
        return True
    have, want = parse(implemented), parse(requested)
    return have[0] == want[0] and want[1] <= have[1]
