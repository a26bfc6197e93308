"""``zerodown upgrade-check``, in the manner of ``nova-status upgrade
check``: each check answers success, warning or failure with the reason,
and the command exits with the worst (0, 1, 2).

Run it with the *new* release's code, before starting its services: the
schema must be expanded to the new release's expand head, no data
migration may be left behind (rows that a pending contract still waits
for are a warning: that upgrade is under way), and no running service may be
older than the oldest version the new release still talks to.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from zerodown.config import Config
from zerodown.exceptions import ZerodownError
from zerodown.migrations import Phase
from zerodown.migrations import command as db_command
from zerodown.rpc import command as rpc_command
from zerodown.rpc.settings import RPCSettings

__all__ = ["CheckResult", "Code", "Report", "run_checks"]


class Code(enum.IntEnum):
    SUCCESS = 0
    WARNING = 1
    FAILURE = 2


@dataclasses.dataclass(frozen=True)
class CheckResult:
    name: str
    code: Code
    details: str

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "result": self.code.name.lower(),
            "details": self.details,
        }


@dataclasses.dataclass(frozen=True)
class Report:
    results: tuple[CheckResult, ...]

    @property
    def exit_code(self) -> int:
        return max((int(r.code) for r in self.results), default=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "result": Code(self.exit_code).name.lower(),
            "checks": [r.to_json() for r in self.results],
        }


Check = Callable[[Config], CheckResult]


def _schema_expanded(config: Config) -> CheckResult:
    name = "schema expanded"
    branch = db_command.status(config).branch(Phase.EXPAND)
    if not branch.pending:
        return CheckResult(name, Code.SUCCESS, f"expand at {branch.head}")
    return CheckResult(
        name,
        Code.FAILURE,
        f"{len(branch.pending)} expand revision(s) pending "
        f"({', '.join(branch.pending)}): run 'zerodown db expand' first",
    )


def _data_migrated(config: Config) -> CheckResult:
    """Rows left are expected while a contract still waits for them (the
    upgrade under way registered them when it expanded): a warning.  With
    nothing left to contract, nothing will ever wait for them: a
    failure."""
    name = "data migrations done"
    remaining = db_command.data_remaining(config)
    if not remaining:
        return CheckResult(name, Code.SUCCESS, "no data migration has rows")
    detail = "; ".join(str(r) for r in remaining)
    if db_command.status(config).branch(Phase.CONTRACT).pending:
        return CheckResult(
            name,
            Code.WARNING,
            f"{detail}: the contract waits for them; run "
            "'zerodown db migrate' until it exits 0 before contracting",
        )
    return CheckResult(
        name,
        Code.FAILURE,
        f"{detail}: run 'zerodown db migrate' until it exits 0",
    )


def _contract(config: Config) -> CheckResult:
    name = "contract"
    status = db_command.status(config)
    pending = status.branch(Phase.CONTRACT).pending
    if not pending:
        return CheckResult(name, Code.SUCCESS, "nothing to contract")
    gate = (
        "open"
        if status.gate.open
        else "closed: " + "; ".join(status.gate.reasons)
    )
    return CheckResult(
        name,
        Code.WARNING,
        f"{len(pending)} contract revision(s) pending; the gate is {gate}",
    )


def _services(config: Config) -> CheckResult:
    name = "service versions"
    settings = config.settings(RPCSettings)
    if not settings.service_history:
        return CheckResult(
            name,
            Code.WARNING,
            "service_history is not set: services were not checked",
        )
    directory = rpc_command.directory(settings)
    try:
        history = directory.history
        oldest = history.oldest_supported
        # A service that stopped heartbeating may still run: it counts.
        running = directory.running()
    except SQLAlchemyError as err:
        return CheckResult(
            name,
            Code.WARNING,
            f"the services table cannot be read: {_first_line(err)}",
        )
    finally:
        directory.engine.dispose()
    old = [s for s in running if s.version < oldest]
    if old:
        names = ", ".join(
            f"{s.binary} on {s.host} (version {s.version})" for s in old
        )
        return CheckResult(
            name,
            Code.FAILURE,
            f"{names}: older than version {oldest}, the oldest "
            f"{history.project} {history.current} talks to; upgrade them "
            "first",
        )
    return CheckResult(
        name,
        Code.SUCCESS,
        f"{len(running)} running service(s), all at version {oldest} or newer",
    )


def _signing(config: Config) -> CheckResult:
    """A running service that does not require signed messages accepts
    them from anyone on the broker: a warning, until the fleet has moved
    to ``required`` (``docs/security.md``)."""
    name = "message signing"
    settings = config.settings(RPCSettings)
    if not settings.service_history:
        return CheckResult(
            name, Code.WARNING, "service_history is not set: not checked"
        )
    directory = rpc_command.directory(settings)
    try:
        running = directory.running()
    finally:
        directory.engine.dispose()
    silent = [s for s in running if s.signing is None]
    lax = [s for s in running if s.signing and s.signing.mode != "required"]
    if not lax and not silent:
        return CheckResult(
            name,
            Code.SUCCESS,
            "every running service requires signed messages",
        )
    pending = [
        f"{s.binary} on {s.host} ({s.signing.mode}, "
        f"{s.signing.unsigned} unsigned accepted)"
        for s in lax
        if s.signing
    ]
    # A release from before the report cannot be shown to check
    # signatures (release 2 of the compute stack signs nothing).
    pending += [
        f"{s.binary} on {s.host} (version {s.version}: reports no signing)"
        for s in silent
    ]
    return CheckResult(
        name,
        Code.WARNING,
        f"not required by {', '.join(pending)}; upgrade those that report "
        "nothing, then move each to 'required' once none accepts unsigned "
        "messages any more",
    )


CHECKS: tuple[Check, ...] = (
    _schema_expanded,
    _data_migrated,
    _contract,
    _services,
    _signing,
)


def _first_line(err: Exception) -> str:
    return str(err).splitlines()[0]


def run_checks(config: Config) -> Report:
    """Every check; one that cannot run is a failure with its error."""
    results = []
    for check in CHECKS:
        try:
            results.append(check(config))
        except (ZerodownError, SQLAlchemyError) as err:
            label = check.__name__.strip("_").replace("_", " ")
            results.append(CheckResult(label, Code.FAILURE, _first_line(err)))
    return Report(tuple(results))
