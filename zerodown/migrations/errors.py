"""Errors of the migration engine, all under :class:`MigrationError`::

    MigrationError                    1
    ├── ScriptError                   1   a revision script does not load
    ├── LayoutError                   1   expand/contract layout broken
    │   ├── MissingBranch                 no revision has a branch label
    │   ├── MultipleHeads                 a branch has more than one head
    │   └── MissingDependency             a contract revision depends on
    │                                     no expand revision
    ├── RevisionNotFound              1   a revision id that does not exist
    ├── PhaseViolation                1   DDL of the wrong kind for a phase
    ├── UnsplittableOperation         1   autogenerate cannot split an op
    ├── MigrationFailed               1   a revision failed, rolled back
    ├── LockTimeout                   1   DDL never got its lock in time
    ├── ObjectNotFound                1   an operation names a missing
    │                                     table or column
    ├── OperationRefused              1   an online operation cannot
    │   │                                 apply here (with the reason)
    │   └── DowngradeRefused          1   a contract no downgrade undoes
    │                                     (also a NotImplementedError)
    ├── PartiallyApplied              1   a revision failed after some DDL
    │                                     committed (no transactional DDL)
    ├── InvalidWaiver                 1   a lint waiver without a reason
    ├── UnsafeMigration               1   lint found errors no waiver
    │                                     covers
    ├── InvalidDataMigration          1   a data migration that cannot be
    │                                     loaded or run as declared
    ├── DataMigrationError            1   a data migration failed (the
    │   │                                 runner records it, goes on)
    │   ├── DataMigrationBusy             the database stayed busy
    │   │                                 (lock waits, deadlocks)
    │   └── ReplicaUnusable               a --replica that cannot tell
    │                                     its lag (not a replica)
    ├── PendingMigrations             3   work remains ("not safe yet")
    ├── ContractGateClosed            3   contract must wait (reasons)
    └── ExpandNeedsContract           3   an expand revision depends on
                                          a contract the gate holds back

Those release 2 defined in :mod:`zerodown.exceptions` keep that module
on the wire (``wire_module``, see there).
"""

from __future__ import annotations

from zerodown.exceptions import EXIT_NOT_SAFE_YET, ZerodownError

__all__ = [
    "ContractGateClosed",
    "DataMigrationBusy",
    "DataMigrationError",
    "DowngradeRefused",
    "ExpandNeedsContract",
    "InvalidDataMigration",
    "InvalidWaiver",
    "LayoutError",
    "LockTimeout",
    "MigrationError",
    "MigrationFailed",
    "MissingBranch",
    "MissingDependency",
    "MultipleHeads",
    "ObjectNotFound",
    "OperationRefused",
    "PartiallyApplied",
    "PendingMigrations",
    "PhaseViolation",
    "ReplicaUnusable",
    "RevisionNotFound",
    "ScriptError",
    "UnsafeMigration",
    "UnsplittableOperation",
]

#: Where release 2 defined these classes: its peers look them up there.
_RELEASE_2 = "zerodown.exceptions"


class MigrationError(ZerodownError, wire_module=_RELEASE_2):
    template = "migration error: {problem}"


class ScriptError(MigrationError, wire_module=_RELEASE_2):
    template = "revision script {path} does not load: {reason}"


class LayoutError(MigrationError, wire_module=_RELEASE_2):
    template = "migration layout error: {problem}"


class MissingBranch(LayoutError, wire_module=_RELEASE_2):
    template = (
        "no revision carries the branch label {branch!r}; "
        "run 'zerodown init' or add a base revision with "
        "branch_labels=({branch!r},)"
    )


class MultipleHeads(LayoutError, wire_module=_RELEASE_2):
    template = (
        "branch {branch!r} has {count} heads ({heads}); "
        "merge them with 'alembic merge' so each branch has one head"
    )


class MissingDependency(LayoutError, wire_module=_RELEASE_2):
    template = (
        "contract revision {revision} ({path}) does not depend on any "
        "expand revision; add depends_on = (<expand revision>,)"
    )


class RevisionNotFound(MigrationError, wire_module=_RELEASE_2):
    template = "no revision {revision!r} in {location}"


class PhaseViolation(MigrationError, wire_module=_RELEASE_2):
    template = (
        "{phase} revision {revision} must not {action} ({target}): "
        "{why}; declare a reasoned exception with "
        "zerodown.migrations.allow({kind!r}, {target!r}, reason=...) "
        "if it is safe"
    )


class UnsplittableOperation(MigrationError, wire_module=_RELEASE_2):
    template = (
        "autogenerate cannot split {action} on {target} into expand and "
        "contract: {why}; write it with the online operation {online_op}"
    )


class MigrationFailed(MigrationError, wire_module=_RELEASE_2):
    template = (
        "revision {revision} failed at {step} and was rolled back "
        "(nothing of it is applied): {reason}"
    )


class LockTimeout(MigrationError, wire_module=_RELEASE_2):
    template = (
        "{step} could not get its lock within {timeout}s in {attempts} "
        "attempts: a long transaction holds it; retry later or raise "
        "lock_timeout / lock_retries"
    )


class ObjectNotFound(MigrationError, wire_module=_RELEASE_2):
    template = "{kind} {name} does not exist; nothing was changed"


class OperationRefused(MigrationError, wire_module=_RELEASE_2):
    template = "cannot {operation} {target}: {why}"


class DowngradeRefused(OperationRefused, NotImplementedError):
    """A downgrade that no code can do.  It is a NotImplementedError too,
    Alembic tooling's convention for an irreversible revision (pytest-alembic
    ends its downgrade walk there)."""


class PartiallyApplied(MigrationError, wire_module=_RELEASE_2):
    template = (
        "revision {revision} failed at {step} on {dialect}, {why}; these "
        "steps ran and stay applied: {applied}; error: {reason}"
    )


class InvalidWaiver(MigrationError, wire_module=_RELEASE_2):
    template = "waive({rule!r}, {target!r}) {problem}"


class UnsafeMigration(MigrationError, wire_module=_RELEASE_2):
    """Lint errors that no waiver covers; ``findings`` lists them."""

    template = "lint found {count} error(s): {summary}"


class InvalidDataMigration(MigrationError, wire_module=_RELEASE_2):
    template = "data migration {source}: {problem}"


class DataMigrationError(MigrationError, wire_module=_RELEASE_2):
    template = "data migration {name} failed: {reason}"


class DataMigrationBusy(DataMigrationError, wire_module=_RELEASE_2):
    template = (
        "data migration {name} failed: the database stayed busy through "
        "{attempts} attempts ({reason}); run again later, or raise "
        "migrate_retries / migrate_lock_timeout"
    )


class ReplicaUnusable(DataMigrationError):
    template = (
        "replica {replica} cannot tell its lag: {reason}; check "
        "migrate_replicas"
    )


class PendingMigrations(MigrationError, wire_module=_RELEASE_2):
    template = "{count} revision(s) pending on branch {branch!r}"
    exit_code = EXIT_NOT_SAFE_YET


class ExpandNeedsContract(MigrationError):
    """An expand revision depends on contract revisions whose gate is
    closed (an earlier release is still running, or its data not moved)."""

    template = (
        "expand refused: it needs contract revision(s) {revisions} first, "
        "and the contract gate is closed: {reasons}; finish the earlier "
        "release's upgrade (zerodown db migrate, then zerodown db contract) "
        "before this expand"
    )
    exit_code = EXIT_NOT_SAFE_YET


class ContractGateClosed(MigrationError, wire_module=_RELEASE_2):
    template = (
        "contract refused: {reasons}; wait, or run with --force to "
        "override (recorded)"
    )
    exit_code = EXIT_NOT_SAFE_YET
