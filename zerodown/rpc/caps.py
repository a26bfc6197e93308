"""Version caps: the newest API version a client may send.

A cap is a :class:`CapSource`: anything that says, when asked, the
current cap (``None``: no cap) and, when it knows them, the object
versions the receivers read (so objects are sent already backported).
:class:`StaticCap` is a fixed cap - a version, or a release alias of the
API; :class:`~zerodown.rpc.autocap.AutoCap` follows the live services.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from zerodown.rpc import versions
from zerodown.rpc.errors import InvalidVersionCap

__all__ = ["CapSource", "StaticCap", "resolve_version"]


class CapSource(Protocol):
    """Where a client's version cap comes from."""

    def current(self) -> str | None:
        """The cap now (``None``: send any version)."""

    def object_versions(self) -> Mapping[str, str] | None:
        """The receivers' ``{object: version}``, if known."""


class StaticCap:
    """A fixed cap, optionally with the receivers' object versions."""

    def __init__(
        self,
        cap: str | None,
        objects: Mapping[str, str] | None = None,
        reason: str = "configured",
    ) -> None:
        if cap is not None:
            versions.parse(cap)
        self.cap = cap
        self.objects = dict(objects) if objects is not None else None
        self.reason = reason

    def current(self) -> str | None:
        return self.cap

    def object_versions(self) -> Mapping[str, str] | None:
        return self.objects

    def __repr__(self) -> str:
        return f"StaticCap({self.cap!r}, {self.reason})"


def resolve_version(value: str, aliases: Mapping[str, str], api: str) -> str:
    """``value`` as a version: itself if ``X.Y``, else a release alias.

    :raises InvalidVersionCap: if it is neither.
    """
    try:
        versions.parse(value)
        return value
    except ValueError:
        pass
    alias = aliases.get(value.lower())
    if alias is None:
        raise InvalidVersionCap(
            value=value,
            api=api,
            known=", ".join(sorted(aliases)) or "no releases",
        )
    return alias
