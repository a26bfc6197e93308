"""Data migrations: moving rows while both releases run.

A data migration is Nova's ``(context, max_count) -> (found, done)``
(:mod:`.protocol`); :func:`data_migration` makes one of a function and
:class:`KeysetBackfill` is the batched ``UPDATE`` that online operations
use.  :func:`run` executes them in batches of one transaction each,
storing each batch's cursor in the ``zerodown_data_migrations`` table
(:mod:`.state`) in the same transaction, so a killed run resumes with
nothing lost or applied twice; :func:`remaining` tells the contract gate
which still find rows.  ``zerodown db migrate`` drives it all through
:func:`zerodown.migrations.command.migrate`.
"""

from zerodown.migrations.data.discovery import Discovered, Resolver, discover
from zerodown.migrations.data.keyset import KeysetBackfill
from zerodown.migrations.data.probe import Remaining, remaining
from zerodown.migrations.data.project import project_migrations
from zerodown.migrations.data.protocol import (
    DataContext,
    DataMigration,
    Estimating,
    FunctionMigration,
    data_migration,
)
from zerodown.migrations.data.report import (
    Baseline,
    BatchDone,
    BusyRetry,
    CriticalLoad,
    Event,
    MigrationFinished,
    MigrationStarted,
    Outcome,
    Paced,
    Paused,
    Resumed,
    RunResult,
    Status,
    Stop,
)
from zerodown.migrations.data.runner import run
from zerodown.migrations.data.settings import DataMigrationSettings
from zerodown.migrations.data.sizing import BatchSizer
from zerodown.migrations.data.state import (
    MigrationState,
    finish_online,
    forget_online,
    online_spec,
    pending,
    register_online,
)

__all__ = [
    "Baseline",
    "BatchDone",
    "BatchSizer",
    "BusyRetry",
    "CriticalLoad",
    "DataContext",
    "DataMigration",
    "DataMigrationSettings",
    "Discovered",
    "Estimating",
    "Event",
    "FunctionMigration",
    "KeysetBackfill",
    "MigrationFinished",
    "MigrationStarted",
    "MigrationState",
    "Outcome",
    "Paced",
    "Paused",
    "Remaining",
    "Resolver",
    "Resumed",
    "RunResult",
    "Status",
    "Stop",
    "data_migration",
    "discover",
    "finish_online",
    "forget_online",
    "online_spec",
    "pending",
    "project_migrations",
    "register_online",
    "remaining",
    "run",
]
