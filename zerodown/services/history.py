"""Service version histories: one integer for everything a release speaks.

Each release of a project has a service version, one integer that grows
with every change that matters to its peers.  The history maps each
service version to the RPC API versions and object versions that release
speaks, so knowing the oldest running service's version is enough to cap
every client (Nova's ``SERVICE_VERSION_HISTORY``)::

    HISTORY = ServiceHistory(
        "myproject",
        ServiceVersion(1, "first release", rpc={"compute": "1.0"},
                       objects={"Instance": "1.0", "Flavor": "1.0"}),
        ServiceVersion(2, "compute 1.1: reboot takes 'hard'",
                       rpc={"compute": "1.1"}),
        ServiceVersion(3, "Instance 1.1 (numa_topology)",
                       objects={"Instance": "1.1"}),
        aliases={"alpha": 1, "beta": 3},
        oldest_supported="alpha",
    )

Entries state only what changed; lookups see everything stated up to that
version.  A bump may change nothing on the wire and only mark a feature
(Nova's "mixed CPU policy" version 52): compare it with the minimum
version of the live services.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping

from zerodown.exceptions import ConfigError
from zerodown.services.errors import UnknownServiceVersion

__all__ = ["ServiceHistory", "ServiceVersion"]


@dataclasses.dataclass(frozen=True)
class ServiceVersion:
    """One service version: what changed, and the versions it changed."""

    version: int
    change: str
    rpc: Mapping[str, str] = dataclasses.field(default_factory=dict)
    objects: Mapping[str, str] = dataclasses.field(default_factory=dict)


class ServiceHistory:
    """The service versions of one project, oldest first.

    :param aliases: release name to service version.
    :param oldest_supported: the oldest version (or alias) this release
        still talks to; older services make it refuse to start.
    :raises ConfigError: for versions that do not count up by one, or an
        alias or oldest version outside the history.
    """

    def __init__(
        self,
        project: str,
        *entries: ServiceVersion,
        aliases: Mapping[str, int] | None = None,
        oldest_supported: int | str | None = None,
    ) -> None:
        if not entries:
            raise ConfigError(problem=f"{project}: an empty service history")
        self.project = project
        self.entries = tuple(entries)
        for before, after in itertools.pairwise(entries):
            if after.version != before.version + 1:
                raise ConfigError(
                    problem=f"{project}: service version {after.version} "
                    f"follows {before.version}; versions count up by one"
                )
        self.first = entries[0].version
        self.current = entries[-1].version
        self.aliases = {k.lower(): v for k, v in (aliases or {}).items()}
        for name, version in self.aliases.items():
            if not self.first <= version <= self.current:
                raise ConfigError(
                    problem=f"{project}: alias {name!r} names service "
                    f"version {version}, outside the history"
                )
        self.oldest_supported = (
            self.resolve(oldest_supported)
            if oldest_supported is not None
            else self.first
        )
        self._rpc, self._objects = self._accumulate()

    def _accumulate(
        self,
    ) -> tuple[list[dict[str, str]], list[dict[str, str] | None]]:
        rpc: list[dict[str, str]] = []
        objects: list[dict[str, str] | None] = []
        seen_rpc: dict[str, str] = {}
        seen_objects: dict[str, str] | None = None
        for entry in self.entries:
            seen_rpc = {**seen_rpc, **entry.rpc}
            if entry.objects:
                seen_objects = {**(seen_objects or {}), **entry.objects}
            rpc.append(seen_rpc)
            objects.append(seen_objects)
        return rpc, objects

    def resolve(self, value: int | str) -> int:
        """A service version from an integer, digits or a release alias.

        :raises UnknownServiceVersion: for anything else.
        """
        if isinstance(value, str):
            text = value.strip().lower()
            if text in self.aliases:
                return self.aliases[text]
            if not text.isdigit():
                raise self._unknown(value)
            value = int(text)
        if not self.first <= value <= self.current:
            raise self._unknown(value)
        return value

    def _unknown(self, value: object) -> UnknownServiceVersion:
        return UnknownServiceVersion(
            version=value,
            project=self.project,
            first=self.first,
            last=self.current,
        )

    def entry(self, version: int) -> ServiceVersion:
        """The entry of ``version``.

        :raises UnknownServiceVersion: outside the history.
        """
        return self.entries[self.resolve(version) - self.first]

    def rpc_version(self, version: int, api: str) -> str | None:
        """The version of RPC API ``api`` that service ``version`` speaks
        (``None`` if that version predates the API)."""
        return self._rpc[self.resolve(version) - self.first].get(api)

    def object_versions(self, version: int) -> dict[str, str] | None:
        """``{object: version}`` service ``version`` reads, or ``None`` if
        the history states no objects up to it."""
        found = self._objects[self.resolve(version) - self.first]
        return dict(found) if found is not None else None

    def apis(self) -> list[str]:
        """The RPC APIs the history names, sorted."""
        return sorted({api for entry in self.entries for api in entry.rpc})

    def api_versions(self, api: str) -> list[tuple[int, str]]:
        """``(service version, RPC version)`` where ``api`` changed."""
        return [
            (entry.version, entry.rpc[api])
            for entry in self.entries
            if api in entry.rpc
        ]
