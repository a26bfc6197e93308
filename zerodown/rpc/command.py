"""What ``zerodown rpc ...`` runs: small functions over the settings.

Each takes :class:`~zerodown.rpc.settings.RPCSettings` and returns data;
the CLI renders it.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from zerodown.exceptions import ConfigError
from zerodown.rpc import deadletter
from zerodown.rpc.api import RPCAPI
from zerodown.rpc.autocap import CapDecision, decide
from zerodown.rpc.settings import RPCSettings, load_object
from zerodown.rpc.transport.base import Address
from zerodown.services import ServiceDirectory, ServiceHistory, ServiceRecord

__all__ = [
    "CapsReport",
    "caps",
    "dead_letters",
    "directory",
    "purge_dead_letters",
]


@dataclasses.dataclass(frozen=True)
class CapsReport:
    """The caps of every API, and the services they come from."""

    project: str
    current: int
    decisions: list[CapDecision]
    services: list[ServiceRecord]
    live: set[tuple[str, str]]


def directory(settings: RPCSettings) -> ServiceDirectory:
    """The services directory the settings name.

    :raises ConfigError: without ``database_url`` or ``service_history``.
    """
    if not settings.database_url:
        raise ConfigError(problem="database_url is not set")
    if not settings.service_history:
        raise ConfigError(
            problem="service_history (module:attribute of the project's "
            "ServiceHistory) is not set"
        )
    history = load_object(settings.service_history, "service_history")
    if not isinstance(history, ServiceHistory):
        raise ConfigError(
            problem=f"service_history {settings.service_history!r} is not "
            "a ServiceHistory"
        )
    engine = sa.create_engine(settings.database_url)
    return ServiceDirectory(
        engine, history, down_after=settings.service_down_time
    )


def _apis(
    settings: RPCSettings, history: ServiceHistory
) -> list[tuple[str, str]]:
    if not settings.rpc_apis:
        return [(api, api) for api in history.apis()]
    found = []
    for spec in settings.rpc_apis:
        cls = load_object(spec, "rpc_apis")
        if not (isinstance(cls, type) and issubclass(cls, RPCAPI)):
            raise ConfigError(problem=f"rpc_apis {spec!r} is not an RPCAPI")
        found.append((cls.TOPIC, cls.BINARY or cls.TOPIC))
    return found


def caps(settings: RPCSettings) -> CapsReport:
    """What ``version_cap="auto"`` resolves to now, API by API."""
    services = directory(settings)
    history = services.history
    try:
        decisions = [
            decide(services, api, binary)
            for api, binary in _apis(settings, history)
        ]
        records = services.services()
        live = {(s.host, s.binary) for s in services.live()}
    finally:
        services.engine.dispose()
    return CapsReport(
        history.project, history.current, decisions, records, live
    )


def dead_letters(
    settings: RPCSettings, limit: int = 100, refused: bool = False
) -> list[deadletter.DeadLetter]:
    """The undispatched casts waiting in the dead-letter queue (with
    ``refused``: the sample of refused messages)."""
    transport = settings.transport()
    try:
        return deadletter.list_dead_letters(
            transport, limit, address=_queue(refused)
        )
    finally:
        transport.close()


def purge_dead_letters(settings: RPCSettings, refused: bool = False) -> int:
    """Drop every dead letter (or refused sample); return how many there
    were."""
    transport = settings.transport()
    try:
        return deadletter.purge(transport, _queue(refused))
    finally:
        transport.close()


def _queue(refused: bool) -> Address:
    return deadletter.REFUSED if refused else deadletter.DEAD_LETTERS
