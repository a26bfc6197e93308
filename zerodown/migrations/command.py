"""The migration engine's command façade; the CLI is built from it.

Each function takes a :class:`~zerodown.config.Config` and returns data;
none of them prints.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic import util as alembic_util
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory

from zerodown.config import Config
from zerodown.exceptions import ConfigError
from zerodown.migrations import data, gate
from zerodown.migrations.data import DataMigrationSettings
from zerodown.migrations.database import connect
from zerodown.migrations.env import (
    CONNECTION_ATTRIBUTE,
    SETTINGS_ATTRIBUTE,
    URL_ATTRIBUTE,
)
from zerodown.migrations.errors import (
    ContractGateClosed,
    ExpandNeedsContract,
    MigrationError,
)
from zerodown.migrations.layout import Layout, as_tuple, load_layout
from zerodown.migrations.lint.engine import lint as lint_scripts
from zerodown.migrations.lint.findings import Finding, blocking
from zerodown.migrations.lint.project import (
    dialect_of,
    options_for,
    version_locations,
)
from zerodown.migrations.phases import BRANCH_PHASES, Phase
from zerodown.migrations.runtime import preflight
from zerodown.migrations.scaffold import Scaffold, scaffold
from zerodown.migrations.settings import MigrationSettings

__all__ = [
    "BranchStatus",
    "DataMigrationSettings",
    "HistoryEntry",
    "MigrationSettings",
    "Status",
    "ThrottleFlags",
    "check",
    "contract",
    "contract_gate",
    "data_remaining",
    "downgrade",
    "expand",
    "history",
    "init",
    "layout",
    "lint",
    "lint_errors",
    "migrate",
    "model_diff",
    "revision",
    "status",
]


T = TypeVar("T")
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class BranchStatus:
    phase: Phase
    current: str | None
    head: str
    pending: tuple[str, ...]  # oldest first

    @property
    def up_to_date(self) -> bool:
        return not self.pending


@dataclass(frozen=True)
class Status:
    branches: tuple[BranchStatus, ...]
    gate: gate.GateReport = field(
        default_factory=lambda: gate.GateReport(checks=())
    )

    @property
    def up_to_date(self) -> bool:
        return all(branch.up_to_date for branch in self.branches)

    def branch(self, phase: Phase) -> BranchStatus:
        return next(b for b in self.branches if b.phase is phase)


@dataclass(frozen=True)
class HistoryEntry:
    phase: Phase | None
    revision: str
    down_revision: tuple[str, ...]
    depends_on: tuple[str, ...]
    message: str
    is_head: bool


def init(
    directory: Path, alembic_ini: Path, database_url: str | None = None
) -> Scaffold:
    """Scaffold an expand/contract Alembic environment."""
    if database_url:
        return scaffold(directory, alembic_ini, database_url)
    return scaffold(directory, alembic_ini)


def alembic_config(
    config: Config, buffer: io.StringIO | None = None
) -> AlembicConfig:
    if config.alembic_ini is None or not config.alembic_ini.exists():
        raise ConfigError(
            problem=f"alembic.ini not found: {config.alembic_ini}"
        )
    cfg = AlembicConfig(str(config.alembic_ini), output_buffer=buffer)
    settings = config.settings(MigrationSettings)
    cfg.attributes[SETTINGS_ATTRIBUTE] = settings
    # env.py leaves logging alone: the command configured it (-v).
    cfg.attributes["configure_logger"] = False
    if settings.database_url:
        cfg.attributes[URL_ATTRIBUTE] = settings.database_url
    return cfg


def layout(config: Config) -> Layout:
    """Load the revision scripts of ``config``'s alembic.ini."""
    try:
        scripts = ScriptDirectory.from_config(alembic_config(config))
    except alembic_util.CommandError as err:
        raise ConfigError(problem=str(err)) from err
    return load_layout(scripts)


def check(config: Config) -> Layout:
    """Load and validate the layout: one head per branch, dependencies."""
    loaded = layout(config)
    loaded.validate()
    return loaded


def expand(
    config: Config,
    target: str | None = None,
    sql: bool = False,
    from_revision: str | None = None,
) -> str | None:
    """Apply expand revisions (``alembic upgrade expand@head``).

    With ``sql`` nothing touches the database; the SQL is returned.
    """
    return _upgrade(config, Phase.EXPAND, target, sql, from_revision)


def contract(
    config: Config,
    target: str | None = None,
    sql: bool = False,
    from_revision: str | None = None,
    force: bool = False,
) -> str | None:
    """Apply contract revisions (``alembic upgrade contract@head``).

    The contract gate runs first and refuses with its reasons
    (:class:`ContractGateClosed`) unless ``force``, which is recorded.
    """
    return _upgrade(config, Phase.CONTRACT, target, sql, from_revision, force)


def _upgrade(
    config: Config,
    phase: Phase,
    target: str | None,
    sql: bool,
    from_revision: str | None,
    force: bool = False,
) -> str | None:
    loaded = check(config)
    destination = _target(loaded, phase, target)
    if sql:
        buffer = io.StringIO()
        cfg = alembic_config(config, buffer)
        start = (
            loaded.revision(from_revision).revision if from_revision else None
        )
        spec = f"{start}:{destination}" if start else destination
        _alembic(command.upgrade, cfg, spec, sql=True)
        return buffer.getvalue()
    cfg = alembic_config(config)
    with connect(_url(config)) as connection:
        pending, applied = _pending_for(loaded, connection, destination)
        preflight(loaded, pending, connection.dialect.name)
        if phase is Phase.CONTRACT:
            _pass_gate(
                config,
                connection,
                loaded,
                pending,
                applied,
                destination,
                force,
            )
        else:
            _contracts_first(config, connection, loaded, pending, applied)
        cfg.attributes[CONNECTION_ATTRIBUTE] = connection
        _alembic(command.upgrade, cfg, destination)
        if connection.in_transaction():
            connection.commit()
    return None


def _contracts_first(
    config: Config,
    connection: sa.Connection,
    loaded: Layout,
    pending: list[str],
    applied: set[str],
) -> None:
    """An expand revision may depend on an earlier release's contract
    (an operation that cannot be in flight beside it): expand then runs
    that contract first, and only through the contract gate, as
    ``contract`` would (never forced: expand has no ``--force``)."""
    needed = [
        rev
        for rev in pending
        if loaded.phase_of(loaded.revision(rev)) is Phase.CONTRACT
    ]
    if not needed:
        return
    expands = {rev for rev in pending if rev not in needed}
    unexpanded = sorted(expands & loaded.ancestors(needed)) if applied else []
    if unexpanded:
        # Their release's expand has not run: its backfills cannot be
        # done, nor its old services gone.  (A new database has nothing
        # to move: it runs everything.)
        raise ExpandNeedsContract(
            revisions=", ".join(needed),
            reasons=f"their release's expand ({', '.join(unexpanded)}) has "
            "not run yet; expand to it, migrate and contract that release "
            "first",
        )
    # This run applies the pending expand revisions before the contracts
    # that need them: the gate asks only what else those contracts wait
    # for (services, backfills, data migrations).
    report = gate.evaluate(
        _gate_context(config, connection, loaded, pending, applied | expands)
    )
    if connection.in_transaction():
        connection.commit()
    if not report.open:
        raise ExpandNeedsContract(
            revisions=", ".join(needed), reasons="; ".join(report.reasons)
        )


def _pass_gate(
    config: Config,
    connection: sa.Connection,
    loaded: Layout,
    pending: list[str],
    applied: set[str],
    destination: str,
    force: bool,
) -> None:
    report = gate.evaluate(
        _gate_context(config, connection, loaded, pending, applied)
    )
    if connection.in_transaction():
        connection.commit()
    if report.open:
        return
    if not force:
        raise ContractGateClosed(reasons="; ".join(report.reasons))
    with connection.begin():
        gate.record_override(connection, destination, report)


def _gate_context(
    config: Config,
    connection: sa.Connection,
    loaded: Layout,
    pending: list[str],
    applied: set[str],
) -> gate.GateContext:
    scripts = tuple(
        loaded.revision(rev)
        for rev in pending
        if loaded.phase_of(loaded.revision(rev)) is Phase.CONTRACT
    )
    return gate.GateContext(
        connection=connection,
        layout=loaded,
        pending=scripts,
        applied=frozenset(applied),
        options={
            "data_settings": config.settings(DataMigrationSettings),
            "resolver": _online_resolver(),
        },
    )


def _pending_for(
    loaded: Layout, connection: sa.Connection, destination: str
) -> tuple[list[str], set[str]]:
    """Revisions an upgrade to ``destination`` will run, oldest first,
    and the revisions already applied."""
    current = MigrationContext.configure(connection).get_current_heads()
    if connection.in_transaction():
        connection.commit()
    applied = loaded.ancestors(current)
    wanted = loaded.ancestors(
        s.revision for s in loaded.scripts.get_revisions(destination) if s
    )
    ordered = [s.revision for s in reversed(loaded.all_revisions())]
    return [rev for rev in ordered if rev in wanted - applied], applied


def _target(loaded: Layout, phase: Phase, target: str | None) -> str:
    if target is None:
        return f"{phase.value}@head"
    script = loaded.revision(target)
    if loaded.phase_of(script) is not phase:
        raise MigrationError(
            problem=f"revision {script.revision} is not on the "
            f"{phase.value} branch"
        )
    return script.revision


def contract_gate(
    config: Config, target: str | None = None
) -> gate.GateReport:
    """The contract gate's answer for a contract up to ``target`` (default:
    the contract head), without running anything.

    With several releases in flight, ``target`` asks about one release's
    contract revision: only what that release's contract depends on counts.
    """
    loaded = check(config)
    destination = _target(loaded, Phase.CONTRACT, target)
    with connect(_url(config)) as connection:
        pending, applied = _pending_for(loaded, connection, destination)
        return gate.evaluate(
            _gate_context(config, connection, loaded, pending, applied)
        )


def status(config: Config) -> Status:
    """Per branch: the database's revision, the head, what is pending;
    and the contract gate for the pending contract revisions."""
    loaded = check(config)
    with connect(_url(config)) as connection:
        pending, applied = _pending_for(
            loaded, connection, f"{Phase.CONTRACT.value}@head"
        )
        report = gate.evaluate(
            _gate_context(config, connection, loaded, pending, applied)
        )
    branches = []
    for phase in BRANCH_PHASES:
        members = loaded.branch(phase)
        mine = [s.revision for s in members if s.revision in applied]
        waiting = [s.revision for s in members if s.revision not in applied]
        branches.append(
            BranchStatus(
                phase=phase,
                current=mine[0] if mine else None,
                head=loaded.head(phase),
                pending=tuple(reversed(waiting)),
            )
        )
    return Status(tuple(branches), report)


def history(config: Config) -> list[HistoryEntry]:
    """Every revision, newest first, with its phase."""
    loaded = layout(config)
    return [_entry(loaded, script) for script in loaded.all_revisions()]


def _entry(loaded: Layout, script: Script) -> HistoryEntry:
    return HistoryEntry(
        phase=loaded.phase_of(script),
        revision=script.revision,
        down_revision=as_tuple(script.down_revision),
        depends_on=as_tuple(script.dependencies),
        message=(script.doc or "").strip(),
        is_head=script.is_head,
    )


def revision(
    config: Config,
    message: str,
    autogenerate: bool = False,
    with_contract: bool = False,
    on_lint: Callable[[list[Finding]], None] | None = None,
) -> list[Path]:
    """Write the expand script and, when needed, its contract twin.

    Autogenerated scripts are linted; ``on_lint`` receives the findings
    (without it, each is logged as a warning).
    """
    loaded = check(config)
    if autogenerate:
        written = _autogenerate(config, message)
        _lint_written(config, written, on_lint)
    else:
        written = [
            loaded.scripts.generate_revision(
                alembic_util.rev_id(),
                message,
                head="expand@head",
                version_path=str(loaded.directory(Phase.EXPAND)),
                refresh=True,
            )
        ]
    if with_contract and len(written) == 1:
        first = written[0]
        assert first is not None
        written.append(
            loaded.scripts.generate_revision(
                alembic_util.rev_id(),
                message,
                head="contract@head",
                version_path=str(loaded.directory(Phase.CONTRACT)),
                depends_on=first.revision,
                refresh=True,
            )
        )
    return [Path(script.path) for script in written if script is not None]


def downgrade(config: Config, target: str) -> None:
    """Undo revisions down to ``target`` (a revision id or ``base``).

    Only for tests and rollback before contract: a contract revision's
    downgrade cannot bring back the data it dropped.
    """
    loaded = check(config)
    if target != "base":
        target = loaded.revision(target).revision
    cfg = alembic_config(config)
    with connect(_url(config)) as connection:
        cfg.attributes[CONNECTION_ATTRIBUTE] = connection
        _alembic(command.downgrade, cfg, target)
        if connection.in_transaction():
            connection.commit()


def model_diff(config: Config) -> list[Any]:
    """What autogenerate would write: differences of models and schema.

    Empty when the migrations produce exactly the models' schema.
    """
    found: list[Any] = []

    def capture(_ctx: Any, _rev: Any, directives: list[Any]) -> None:
        found.extend(directives[0].upgrade_ops.as_diffs())
        directives[:] = []  # write nothing

    cfg = alembic_config(config)
    with connect(_url(config)) as connection:
        cfg.attributes[CONNECTION_ATTRIBUTE] = connection
        _alembic(
            command.revision,
            cfg,
            autogenerate=True,
            head="expand@head",
            process_revision_directives=capture,
        )
    return found


def _autogenerate(config: Config, message: str) -> list[Script | None]:
    state = status(config)
    if not state.up_to_date:
        raise MigrationError(
            problem="autogenerate compares the models with a database at "
            "both heads, and this one has "
            f"{sum(len(b.pending) for b in state.branches)} pending "
            "revision(s); run 'zerodown db expand' and 'zerodown db "
            "contract' on it first"
        )
    cfg = alembic_config(config)
    with connect(_url(config)) as connection:
        cfg.attributes[CONNECTION_ATTRIBUTE] = connection
        result = _alembic(
            command.revision,
            cfg,
            message=message,
            autogenerate=True,
            head="expand@head",
        )
    return list(result) if isinstance(result, list) else [result]


def lint(
    config: Config,
    paths: Sequence[Path] = (),
    dialect: str | None = None,
    server_version: str | None = None,
    revisions: Iterable[str] | None = None,
) -> list[Finding]:
    """Find operations that lock, rewrite or break what is running.

    Reads revision scripts without importing them or touching a
    database: ``paths``, or else the project's revisions (alembic.ini's
    version locations).  ``dialect`` defaults to the configured database
    URL's; ``server_version`` to an old release still in wide use
    (PostgreSQL 13, MySQL 8.0, MariaDB 10.6).  Waived findings are
    included (:attr:`~zerodown.migrations.lint.Finding.waived`).
    """
    cfg = alembic_config(config)
    return lint_scripts(
        list(paths) or version_locations(cfg),
        dialect or dialect_of(_url(config)),
        server_version,
        options=options_for(config.settings(MigrationSettings), cfg),
        revisions=None if revisions is None else set(revisions),
    )


def lint_errors(
    config: Config,
    revisions: Iterable[str] | None = None,
    dialect: str | None = None,
    server_version: str | None = None,
) -> list[Finding]:
    """The project's lint errors that no waiver covers (in ``revisions``
    only, if given): what fails ``zerodown db lint`` and closes the
    contract gate."""
    return blocking(lint(config, (), dialect, server_version, revisions))


def _lint_written(
    config: Config,
    written: Sequence[Script | None],
    on_lint: Callable[[list[Finding]], None] | None,
) -> None:
    revisions = [script.revision for script in written if script]
    findings = lint(config, revisions=revisions)
    if on_lint is not None:
        on_lint(findings)
        return
    for finding in findings:
        LOG.warning(
            "%s: %s %s: %s",
            finding.where,
            finding.severity,
            finding.rule,
            finding.message,
        )


def _alembic(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return fn(*args, **kwargs)
    except alembic_util.CommandError as err:
        raise MigrationError(problem=str(err)) from err


def _url(config: Config) -> str | None:
    return config.settings(MigrationSettings).database_url


@dataclass(frozen=True)
class ThrottleFlags:
    """``zerodown db migrate``'s flags that override the throttle's
    settings (None: keep the setting)."""

    max_impact: float | None = None
    max_load: tuple[str, ...] | None = None
    critical_load: tuple[str, ...] | None = None
    replicas: tuple[str, ...] | None = None
    max_replica_lag: float | None = None


def migrate(
    config: Config,
    max_count: int | None = None,
    batch_size: int | None = None,
    sleep: float | None = None,
    max_duration: float | None = None,
    on_event: Callable[[data.Event], None] | None = None,
    estimate: bool = False,
    resolver: data.Resolver | None = None,
    throttle: ThrottleFlags | None = None,
) -> data.RunResult:
    """Run the data migrations in batches until none finds rows.

    Runs the backfills of the online operations that expand registered,
    the ``data_migrations`` of the applied revisions and those of the
    modules the ``data_migrations`` setting names; one transaction a
    batch, resumable after a kill, a failing migration isolated.  The
    arguments override the ``migrate_*`` settings
    (:class:`DataMigrationSettings`); ``max_count`` caps the rows
    migrated by this run.  ``on_event`` receives progress events; the
    result's ``exit_code`` has Nova's meaning (0, 1, 2), and 3 for a run
    stopped by a critical load.  ``throttle`` overrides the settings of
    the latency budget, the load limits and the replicas watched.
    """
    settings = _data_settings(
        config, batch_size, sleep, max_duration, throttle or ThrottleFlags()
    )
    loaded = layout(config)
    with connect(_url(config)) as connection:
        if connection.dialect.name == "mysql":
            # Under REPEATABLE READ InnoDB share-locks the rows a batch's
            # subqueries read (a move's source rows), in the opposite order
            # to the application's writes: deadlocks that cancel the
            # application's transactions.  READ COMMITTED reads them
            # without locks; the triggers keep later writes in step.
            connection.execution_options(isolation_level="READ COMMITTED")
        migrations = data.project_migrations(
            connection, loaded, settings, resolver or _online_resolver()
        )
        return data.run(
            connection,
            migrations,
            settings,
            max_count=max_count,
            on_event=on_event,
            estimate=estimate,
        )


def data_remaining(
    config: Config, resolver: data.Resolver | None = None
) -> list[data.Remaining]:
    """The data migrations that still find rows (what keeps contract
    waiting), each asked in a transaction that is rolled back."""
    settings = config.settings(DataMigrationSettings)
    loaded = layout(config)
    with connect(_url(config)) as connection:
        migrations = data.project_migrations(
            connection, loaded, settings, resolver or _online_resolver()
        )
        return data.remaining(connection, migrations)


def _data_settings(
    config: Config,
    batch_size: int | None,
    sleep: float | None,
    max_duration: float | None,
    flags: ThrottleFlags,
) -> DataMigrationSettings:
    base = config.settings(DataMigrationSettings)
    return dataclasses.replace(
        base,
        migrate_batch_size=_given(batch_size, base.migrate_batch_size),
        migrate_sleep=_given(sleep, base.migrate_sleep),
        migrate_max_duration=_given(max_duration, base.migrate_max_duration),
        migrate_max_impact=_given(flags.max_impact, base.migrate_max_impact),
        migrate_max_load=_given(flags.max_load, base.migrate_max_load),
        migrate_critical_load=_given(
            flags.critical_load, base.migrate_critical_load
        ),
        migrate_replicas=_given(flags.replicas, base.migrate_replicas),
        migrate_max_replica_lag=_given(
            flags.max_replica_lag, base.migrate_max_replica_lag
        ),
    )


def _given(flag: T | None, setting: T) -> T:
    return setting if flag is None else flag


def _online_resolver() -> data.Resolver:
    # The online operations build their own backfills from what expand
    # stored; imported late, as they import this package's data module.
    from zerodown.migrations.operations import backfills

    resolve: data.Resolver = backfills.resolve
    return resolve
