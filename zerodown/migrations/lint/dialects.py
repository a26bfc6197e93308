"""What each backend does to running traffic for each kind of DDL.

A :class:`DialectProfile` answers, per server version, which lock an
action takes, whether it rewrites the table or scans it under that
lock, and which capabilities exist (``CONCURRENTLY``, ``NOT VALID``, a
lock queue in which a waiting DDL blocks everyone behind it).  Profiles
register themselves by their ``dialect`` class attribute; the version
history of each fact sits in its profile's ``costs`` table, oldest
first, one comment per change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from zerodown.exceptions import ConfigError

__all__ = ["Cost", "DialectProfile", "Lock", "Version", "parse_version"]

Version = tuple[int, ...]


@dataclass(frozen=True)
class Lock:
    """A lock as the backend names it, and whom it makes wait."""

    name: str
    blocks_reads: bool
    blocks_writes: bool

    def __str__(self) -> str:
        if self.blocks_reads:
            return f"{self.name} (blocks reads and writes)"
        if self.blocks_writes:
            return f"{self.name} (blocks writes)"
        return f"{self.name} (reads and writes go on)"


@dataclass(frozen=True)
class Cost:
    """What one action costs running traffic on one server version."""

    lock: Lock
    rewrites: bool = False  # copies every row into a new table
    scans: bool = False  # reads every row while holding ``lock``
    algorithm: str | None = None  # MySQL/MariaDB: INSTANT, INPLACE, COPY

    @property
    def blocking(self) -> bool:
        """True when traffic waits for the whole table's worth of work."""
        heavy = self.rewrites or self.scans
        return heavy and (self.lock.blocks_writes or self.lock.blocks_reads)

    def describe(self) -> str:
        work = "rewrites the table" if self.rewrites else ""
        if not work and self.scans:
            work = "reads every row"
        algorithm = f"ALGORITHM={self.algorithm}, " if self.algorithm else ""
        text = f"takes {algorithm}{self.lock}"
        return f"{text} and {work}" if work else text


History = tuple[tuple[Version, Cost], ...]


class DialectProfile:
    """One backend's costs, at one server version.

    Subclasses set ``dialect`` (their registry key), ``family`` (the
    SQLAlchemy dialect they belong to), ``assumed_version`` (used when no
    server version is given: an old release still in wide use, so that
    lint errs towards reporting too much) and ``costs``.
    """

    dialect: ClassVar[str]
    family: ClassVar[str]
    assumed_version: ClassVar[Version]
    costs: ClassVar[Mapping[str, History]]
    registry: ClassVar[dict[str, type[DialectProfile]]] = {}

    lock_queue: ClassVar[bool] = True  # a waiting DDL blocks those behind
    online_ddl: ClassVar[bool] = True  # some DDL lets traffic go on
    concurrent_index: ClassVar[bool] = False
    not_valid: ClassVar[bool] = False
    lock_timeout_settings: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "dialect" in cls.__dict__:
            DialectProfile.registry[cls.dialect] = cls

    def __init__(self, version: Version | None = None) -> None:
        self.version: Version = version or self.assumed_version

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def describe(self) -> str:
        return f"{self.dialect} {'.'.join(map(str, self.version))}"

    def cost(self, action: str) -> Cost | None:
        """The cost of ``action`` here; None if this version cannot."""
        found = None
        for since, cost in self.costs.get(action, ()):
            if self.version >= since:
                found = cost
        return found

    def volatile_default(self, sql: str) -> bool:
        """True when a column default ``sql`` differs from row to row."""
        raise NotImplementedError

    def type_change(self, old: Any, new: Any, widening: bool) -> str:
        """The ``costs`` key of changing a column from ``old`` to ``new``."""
        return "alter_type_widen" if widening else "alter_type"

    @classmethod
    def for_server(
        cls, dialect: str, server_version: str | Version | None = None
    ) -> DialectProfile:
        """The profile of ``dialect`` at ``server_version`` (say
        ``"15.4"`` or ``"10.11.6-MariaDB"``)."""
        name = dialect.split("+")[0].lower()
        version: Version | None = None
        if isinstance(server_version, str):
            version = parse_version(server_version)
            if name == "mysql" and "mariadb" in server_version.lower():
                name = "mariadb"
        elif server_version:
            version = tuple(server_version)
        profile = cls.registry.get(_ALIASES.get(name, name))
        if profile is None:
            raise ConfigError(
                problem=f"lint knows no dialect {dialect!r}; choose from "
                f"{', '.join(sorted(cls.registry))}"
            )
        return profile(version)


_ALIASES = {"postgres": "postgresql", "pg": "postgresql"}
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def parse_version(text: str) -> Version:
    """``"10.11.6-MariaDB-0+deb12u1"`` -> ``(10, 11, 6)``."""
    found = _VERSION.search(text)
    if found is None:
        raise ConfigError(problem=f"{text!r} is not a server version")
    return tuple(int(part) for part in found.groups() if part is not None)
