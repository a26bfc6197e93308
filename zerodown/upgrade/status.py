"""``zerodown status``: the deployment as one picture.

Services (host, binary, version, last heartbeat, up or not, message
signing mode with the unsigned messages it accepted and the messages it
refused), the RPC
version cap of each API and why, the schema per branch, the data
migrations that still find rows, and the contract gate.  Each part is
gathered on its own: one that cannot be read says why and the others
still show.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from zerodown.config import Config
from zerodown.exceptions import ZerodownError
from zerodown.migrations import command as db_command
from zerodown.rpc import command as rpc_command
from zerodown.rpc.settings import RPCSettings

__all__ = ["DeploymentStatus", "gather"]


@dataclasses.dataclass
class DeploymentStatus:
    services: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    caps: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    project: str | None = None
    release_version: int | None = None
    schema: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    data_migrations: list[dict[str, Any]] = dataclasses.field(
        default_factory=list
    )
    gate: dict[str, Any] = dataclasses.field(default_factory=dict)
    errors: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def gather(config: Config) -> DeploymentStatus:
    status = DeploymentStatus()
    try:
        _services(config, status)
    except (ZerodownError, SQLAlchemyError) as err:
        status.errors["services"] = str(err).splitlines()[0]
    try:
        _schema(config, status)
    except (ZerodownError, SQLAlchemyError) as err:
        status.errors["schema"] = str(err).splitlines()[0]
    try:
        status.data_migrations = [
            {
                "name": r.name,
                "found": r.found,
                "done": r.done,
                "error": r.error,
            }
            for r in db_command.data_remaining(config)
        ]
    except (ZerodownError, SQLAlchemyError) as err:
        status.errors["data_migrations"] = str(err).splitlines()[0]
    return status


def _services(config: Config, status: DeploymentStatus) -> None:
    settings = config.settings(RPCSettings)
    if not settings.service_history:
        status.errors["services"] = (
            "service_history is not set (module:attribute of the project's "
            "ServiceHistory)"
        )
        return
    report = rpc_command.caps(settings)
    status.project, status.release_version = report.project, report.current
    for record in report.services:
        up = (record.host, record.binary) in report.live
        signing = record.signing
        status.services.append(
            {
                "binary": record.binary,
                "host": record.host,
                "version": record.version,
                "supports_from": record.supports_from,
                "last_heartbeat": _iso(record.last_seen_up),
                "state": "up" if up else _down(record),
                "rpc_signing": signing.mode if signing else None,
                "rpc_unsigned": signing.unsigned if signing else None,
                "rpc_refused": signing.refused if signing else None,
            }
        )
    status.caps = [
        {
            "api": d.api,
            "binary": d.binary,
            "cap": d.cap,
            "oldest_live": d.min_version,
            "reason": d.reason,
        }
        for d in report.decisions
    ]


def _down(record: Any) -> str:
    if record.forced_down:
        return "forced down"
    if record.stopped_at is not None:
        return "stopped"
    return "down"


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat(" ", "seconds")


def _schema(config: Config, status: DeploymentStatus) -> None:
    found = db_command.status(config)
    status.schema = [
        {
            "branch": b.phase.value,
            "current": b.current,
            "head": b.head,
            "pending": list(b.pending),
        }
        for b in found.branches
    ]
    status.gate = {
        "open": found.gate.open,
        "checks": [
            {"name": c.name, "passed": c.passed, "reasons": list(c.reasons)}
            for c in found.gate.checks
        ],
    }
