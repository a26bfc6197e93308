"""Object version strings: ``X.Y`` with an optional ``.Z``.

``X`` is the major version: objects of different majors cannot be converted
into each other.  ``Y`` grows with every change to the object's fields.  A
``.Z`` is reserved for stable-branch backports; it must be additive, so it
is ignored when deciding whether a conversion is needed (as in
oslo.versionedobjects).
"""

from __future__ import annotations

import re

__all__ = [
    "VersionTuple",
    "format_version",
    "is_canonical",
    "parse_version",
]

VersionTuple = tuple[int, int]

# At most three digits a part: versions are counters, and a bounded pattern
# keeps a hostile version string from costing more than a short match.
_PART = r"(0|[1-9][0-9]{0,2})"
_VERSION = re.compile(_PART + r"\." + _PART + r"(?:\.[0-9]{1,3})?")


def parse_version(text: object) -> VersionTuple:
    """Return ``(major, minor)`` of ``text``, ignoring any ``.Z`` part.

    :raises ValueError: if ``text`` is not a version string.
    """
    if type(text) is not str:
        raise ValueError(f"a version must be a string, not {type(text)}")
    match = _VERSION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an X.Y or X.Y.Z version")
    return int(match.group(1)), int(match.group(2))


def format_version(version: VersionTuple) -> str:
    """Return the canonical ``X.Y`` string of ``version``."""
    return f"{version[0]}.{version[1]}"


def is_canonical(text: str) -> bool:
    """Tell whether ``text`` is exactly ``X.Y`` as :func:`format_version`
    writes it (no ``.Z``, no leading zeros)."""
    try:
        return format_version(parse_version(text)) == text
    except ValueError:
        return False
