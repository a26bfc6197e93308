"""The contract gate: may the pending contract revisions run now?

Contract removes what the previous release needs, so it waits until:

* every expand revision it depends on is applied (contract must never
  pull an expand in with it);
* no data migration of the revisions it depends on (or of the
  ``data_migrations`` setting) still finds rows to move;
* no running service (stopped or forced down ones aside: a service whose
  heartbeats stopped may still run) is older than the contract revisions
  require
  (``minimum_service_versions = {"compute": 6}`` in a contract revision);
* lint finds no error in the pending revisions.

:func:`evaluate` answers with named checks and their reasons, never a bare
bool.  Checks register themselves with :func:`gate_check`.
"""

from __future__ import annotations

import datetime
import getpass
import logging
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.script import Script

from zerodown import services
from zerodown.migrations import data, lint
from zerodown.migrations.data import DataMigrationSettings
from zerodown.migrations.layout import Layout
from zerodown.migrations.phases import Phase

__all__ = [
    "GateCheck",
    "GateContext",
    "GateReport",
    "evaluate",
    "gate_check",
    "overrides",
    "record_override",
]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class GateReport:
    checks: tuple[GateCheck, ...]

    @property
    def open(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [
            f"{check.name}: {reason}"
            for check in self.checks
            for reason in check.reasons
        ]


@dataclass(frozen=True)
class GateContext:
    """What a check may look at."""

    connection: sa.Connection
    layout: Layout
    pending: tuple[Script, ...]  # the contract revisions about to run
    applied: frozenset[str]
    options: Mapping[str, Any] = field(default_factory=dict)

    def required_service_versions(self) -> dict[str, int]:
        """The highest minimum each service must meet, over ``pending``."""
        required: dict[str, int] = {}
        for script in self.pending:
            declared = getattr(script.module, "minimum_service_versions", {})
            for service, version in dict(declared).items():
                required[service] = max(required.get(service, 0), int(version))
        return required


Check = Callable[[GateContext], GateCheck]
_CHECKS: dict[str, Check] = {}


def gate_check(name: str) -> Callable[[Check], Check]:
    """Register a gate check under ``name``."""

    def register(fn: Check) -> Check:
        _CHECKS[name] = fn
        return fn

    return register


def evaluate(context: GateContext) -> GateReport:
    """Run every registered check against ``context``."""
    if not context.pending:
        return GateReport(checks=())
    report = GateReport(tuple(fn(context) for fn in _CHECKS.values()))
    for reason in report.reasons:
        LOG.info("contract gate: %s", reason)
    return report


@gate_check("expand-applied")
def _expand_applied(context: GateContext) -> GateCheck:
    missing = []
    for script in context.pending:
        for needed in context.layout.ancestors([script.revision]):
            found = context.layout.revision(needed)
            if (
                context.layout.phase_of(found) is Phase.EXPAND
                and needed not in context.applied
            ):
                missing.append(
                    f"expand revision {needed} (needed by {script.revision})"
                    " is not applied; run 'zerodown db expand' first"
                )
    return GateCheck(
        "expand-applied", not missing, tuple(sorted(set(missing)))
    )


_overrides = sa.Table(
    "zerodown_gate_overrides",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("target", sa.String(64), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("operator", sa.String(255), nullable=False),
)


def record_override(
    connection: sa.Connection, target: str, report: GateReport
) -> None:
    """Keep a trace of a forced contract: when, by whom, over what."""
    _overrides.create(connection, checkfirst=True)
    connection.execute(
        _overrides.insert().values(
            at=datetime.datetime.now(datetime.timezone.utc),
            target=target,
            reasons="\n".join(report.reasons),
            operator=f"{getpass.getuser()}@{socket.gethostname()}",
        )
    )
    LOG.warning(
        "CONTRACT FORCED through a closed gate (recorded in %s): %s",
        _overrides.name,
        "; ".join(report.reasons),
    )


def overrides(connection: sa.Connection) -> list[dict[str, Any]]:
    """Every recorded forced contract, oldest first."""
    if not sa.inspect(connection).has_table(_overrides.name):
        return []
    rows = connection.execute(_overrides.select().order_by(_overrides.c.id))
    return [dict(row._mapping) for row in rows]


@gate_check("lint-clean")
def _lint_clean(context: GateContext) -> GateCheck:
    errors = lint.pending_errors(
        context.layout,
        [script.revision for script in context.pending],
        context.connection,
    )
    reasons = tuple(
        f"{finding.revision} line {finding.line}: [{finding.rule}] "
        f"{finding.message}"
        for finding in errors
    )
    return GateCheck("lint-clean", not errors, reasons)


@gate_check("data-migrated")
def _data_migrated(context: GateContext) -> GateCheck:
    settings = context.options.get("data_settings", DataMigrationSettings())
    migrations = data.project_migrations(
        context.connection,
        context.layout,
        settings,
        context.options.get("resolver"),
    )
    # Only what the pending revisions need: with several releases in
    # flight, release N+1's contract does not wait for the backfills of
    # release N+2's expand (its own contract does).  A migration of no
    # revision (the data_migrations setting) always counts.
    needed = context.layout.ancestors(s.revision for s in context.pending)
    ours = [
        m for m in migrations if m.revision is None or m.revision in needed
    ]
    left = data.remaining(context.connection, ours)
    return GateCheck("data-migrated", not left, tuple(str(r) for r in left))


@gate_check("services-new-enough")
def _services_new_enough(context: GateContext) -> GateCheck:
    required = context.required_service_versions()
    if not required or not sa.inspect(context.connection).has_table(
        services.SERVICES.name
    ):
        return GateCheck("services-new-enough", True)
    table = services.SERVICES
    rows = context.connection.execute(
        sa.select(*(table.c[name] for name in _RECORD)).where(
            table.c.binary.in_(sorted(required))
        )
    )
    reasons = _too_old((_service(row._mapping) for row in rows), required)
    return GateCheck("services-new-enough", not reasons, reasons)


def _too_old(
    records: Iterable[services.ServiceRecord], required: Mapping[str, int]
) -> tuple[str, ...]:
    """Why each running service of ``records`` is older than ``required``
    (the decision, apart from reading the table)."""
    return tuple(
        f"{record.name} runs service version {record.version}; the "
        f"contract needs {required[record.binary]} or newer: upgrade or "
        "stop it (a service that is gone for good: force it down)"
        for record in records
        if record.running and record.version < required[record.binary]
    )


# The columns every services table has (a table made before the signing
# reports lacks those; the gate does not need them).
_RECORD = (
    "host",
    "binary",
    "version",
    "supports_from",
    "last_seen_up",
    "forced_down",
    "stopped_at",
)


def _service(row: sa.RowMapping) -> services.ServiceRecord:
    return services.ServiceRecord(**{k: row[k] for k in _RECORD})
