"""The base of a service's RPC client: its version history is its docstring.

::

    class ComputeAPI(RPCAPI):
        \"\"\"Client side of the compute RPC API.

        API version history:

        * 1.0 - Initial version: reboot(), pause().
        * 1.1 - reboot() takes 'hard'.
        * 2.0 - Drop 1.x (alpha can still send 1.1 to 2.x servers).
        \"\"\"

        TOPIC = "compute"
        VERSION = "2.0"
        VERSION_ALIASES = {"alpha": "1.1", "beta": "2.0"}

        def reboot(self, ctx, host, instance, hard):
            version = "2.0"
            if not self.client.can_send_version(version):
                version = "1.1"
            cctxt = self.client.prepare(server=host, version=version)
            cctxt.cast(ctx, "reboot", instance=instance, hard=hard)

The history is checked when the class is defined: versions grow, the last
one is ``VERSION``, and every alias names a version of the history.  The
methods it names as ``name()`` are the only ones a server dispatches
(an endpoint says which API it serves with ``RPC_API``).
``version_cap`` takes ``None`` (no cap), an ``X.Y`` version, a release
alias, ``"auto"`` (with a services directory: follow the oldest running
service) or any :class:`~zerodown.rpc.caps.CapSource`.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from zerodown.rpc import versions
from zerodown.rpc.caps import CapSource, StaticCap, resolve_version
from zerodown.rpc.client import DEFAULT_TIMEOUT, RPCClient
from zerodown.rpc.errors import InvalidVersionCap, RPCDeclarationError
from zerodown.rpc.protocol import Protocol
from zerodown.rpc.serializer import Serializer
from zerodown.rpc.target import Target
from zerodown.rpc.transport.base import Transport
from zerodown.services import ServiceDirectory, ServiceHistory

__all__ = ["RPCAPI", "HistoryEntry", "parse_history"]

_ENTRY = re.compile(r"^\s*\*\s+(\d+\.\d+)\s+-\s+(.*\S)\s*$")
_METHOD = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\([^()]*\)")


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One line of an API's version history."""

    version: str
    change: str

    @property
    def methods(self) -> frozenset[str]:
        """The methods the line names, written ``name()`` or
        ``name(arguments)``."""
        return frozenset(_METHOD.findall(self.change))


def parse_history(doc: str) -> tuple[HistoryEntry, ...]:
    """The ``* X.Y - change`` entries of a docstring, continuation lines
    (indented deeper) joined."""
    entries: list[HistoryEntry] = []
    indent = None
    for line in inspect.cleandoc(doc).splitlines():
        match = _ENTRY.match(line)
        if match:
            entries.append(HistoryEntry(match.group(1), match.group(2)))
            indent = len(line) - len(line.lstrip())
            continue
        stripped = line.strip()
        deeper = len(line) - len(line.lstrip()) > (indent or 0)
        if entries and stripped and indent is not None and deeper:
            last = entries[-1]
            entries[-1] = HistoryEntry(
                last.version, f"{last.change} {stripped}"
            )
        else:
            indent = None
    return tuple(entries)


class RPCAPI:
    """Base class of a service's RPC client (see the module docstring)."""

    #: The topic the service's servers consume.
    TOPIC: ClassVar[str]
    #: The newest version this client can send (the history's last).
    VERSION: ClassVar[str]
    #: Release name to API version, for ``version_cap="<release>"``.
    VERSION_ALIASES: ClassVar[Mapping[str, str]] = {}
    #: The endpoint namespace, when several APIs share a topic.
    NAMESPACE: ClassVar[str | None] = None
    #: Whether the topic's casts must survive a broker restart.
    DURABLE: ClassVar[bool] = False
    #: Whether casts are held until the broker queued them (and sent
    #: again after a lost connection), on the topic's transient queues.
    CONFIRMED: ClassVar[bool] = False
    #: The binary whose live services set the automatic cap (default:
    #: ``TOPIC``).
    BINARY: ClassVar[str | None] = None
    #: Parsed from the docstring when the class is defined.
    HISTORY: ClassVar[tuple[HistoryEntry, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "VERSION" in cls.__dict__:
            cls.HISTORY = parse_history(cls.__doc__ or "")
            _check_declaration(cls)

    def __init__(
        self,
        transport: Transport,
        *,
        version_cap: str | CapSource | None = None,
        services: ServiceDirectory | None = None,
        serializer: Serializer | None = None,
        protocol: Protocol | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        cast_timeout: float = DEFAULT_TIMEOUT,
        refresh_interval: float = 10.0,
        topic: str | None = None,
    ) -> None:
        self.topic = topic or self.TOPIC
        self.cap = self.make_cap(
            version_cap, services, transport, refresh_interval
        )
        major = versions.parse(self.VERSION)[0]
        self.client = RPCClient(
            transport,
            Target(
                topic=self.topic,
                version=f"{major}.0",
                namespace=self.NAMESPACE,
                durable=self.DURABLE,
                confirmed=self.CONFIRMED,
            ),
            serializer=serializer,
            protocol=protocol,
            version_cap=self.cap,
            timeout=timeout,
            cast_timeout=cast_timeout,
            api=type(self).__name__,
        )

    @classmethod
    def make_cap(
        cls,
        value: str | CapSource | None,
        services: ServiceDirectory | None = None,
        transport: Transport | None = None,
        interval: float = 10.0,
    ) -> CapSource:
        """The cap ``value`` stands for (see the module docstring).

        :raises InvalidVersionCap: for an unknown release, a version the
            history lacks, or ``"auto"`` without a services directory.
        """
        if value is None:
            return StaticCap(None, reason="no cap configured")
        if not isinstance(value, str):
            return value
        if value.strip().lower() == "auto":
            if services is None:
                raise InvalidVersionCap(
                    value=value,
                    api=cls.__name__,
                    known="'auto' needs a services directory",
                )
            from zerodown.rpc.autocap import AutoCap

            return AutoCap(
                services,
                cls.TOPIC,
                cls.BINARY or cls.TOPIC,
                transport=transport,
                interval=interval,
            )
        aliases = {k.lower(): v for k, v in cls.VERSION_ALIASES.items()}
        version = resolve_version(value, aliases, cls.__name__)
        if version not in {entry.version for entry in cls.HISTORY}:
            raise InvalidVersionCap(
                value=value,
                api=cls.__name__,
                known=", ".join(e.version for e in cls.HISTORY),
            )
        return StaticCap(version, reason=f"configured as {value!r}")

    @classmethod
    def declared_methods(cls, version: str) -> frozenset[str]:
        """The methods the history declares up to ``version``: what a
        server of that version may dispatch, and nothing else."""
        upto = versions.parse(version)
        found: set[str] = set()
        for entry in cls.HISTORY:
            if versions.parse(entry.version) <= upto:
                found |= entry.methods
        return frozenset(found)

    def can_send_version(self, version: str) -> bool:
        """Whether ``version`` is within the cap now."""
        return self.client.can_send_version(version)

    def close(self) -> None:
        """Stop the client's reply consumer and an automatic cap."""
        self.client.close()
        stop = getattr(self.cap, "stop", None)
        if callable(stop):
            stop()

    @classmethod
    def check_service_history(cls, history: ServiceHistory) -> list[str]:
        """Disagreements between this API's history and ``history``
        (empty when they agree): the current service version must speak
        ``VERSION``, and every version it maps to must be in the API's
        history."""
        problems = []
        known = {entry.version for entry in cls.HISTORY}
        for service_version, rpc in history.api_versions(cls.TOPIC):
            if rpc not in known:
                problems.append(
                    f"service version {service_version} maps {cls.TOPIC} to "
                    f"{rpc}, which {cls.__name__}'s history lacks"
                )
        current = history.rpc_version(history.current, cls.TOPIC)
        if current != cls.VERSION:
            problems.append(
                f"service version {history.current} speaks {cls.TOPIC} "
                f"{current}, but {cls.__name__}.VERSION is {cls.VERSION}"
            )
        return problems


def _check_declaration(cls: type[RPCAPI]) -> None:
    name = cls.__name__
    if not getattr(cls, "TOPIC", ""):
        raise RPCDeclarationError(api=name, problem="no TOPIC")
    if not cls.HISTORY:
        raise RPCDeclarationError(
            api=name,
            problem="the docstring has no version history "
            "('* X.Y - change' lines)",
        )
    parsed = [versions.parse(entry.version) for entry in cls.HISTORY]
    if parsed != sorted(set(parsed)):
        raise RPCDeclarationError(
            api=name, problem="history versions must only grow"
        )
    if cls.HISTORY[-1].version != cls.VERSION:
        raise RPCDeclarationError(
            api=name,
            problem=f"VERSION is {cls.VERSION} but the history ends at "
            f"{cls.HISTORY[-1].version}",
        )
    if not cls.HISTORY[0].methods:
        raise RPCDeclarationError(
            api=name,
            problem="the first history entry names no methods; write each "
            "as name() or name(args) - a server dispatches only the methods "
            "its API's history declares",
        )
    known = {entry.version for entry in cls.HISTORY}
    for alias, version in cls.VERSION_ALIASES.items():
        if version not in known:
            raise RPCDeclarationError(
                api=name,
                problem=f"alias {alias!r} names {version}, not in the history",
            )
