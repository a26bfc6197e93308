"""The one error tree of zerodown.

Every error zerodown raises on purpose derives from :class:`ZerodownError`.
Each carries its data as attributes (named in its ``template``) and a stable
``exit_code`` that the ``zerodown`` command returns::

    ZerodownError                         1
    ├── ConfigError                       2   a setting is missing or bad
    ├── DatabaseUnreachable               1   the database does not answer
    ├── ObjectError                       1   versioned objects and their wire
    │   ├── MalformedPayload              1   bytes that are not a message
    │   │   └── InvalidPrimitive          1   data that breaks its object's
    │   │       │                             schema at its version
    │   │       ├── MissingField              an envelope key is missing
    │   │       ├── UnknownField              a field that version lacks
    │   │       └── WrongFieldType            a value of the wrong type
    │   ├── UnencodableValue              1   a value the codec cannot carry
    │   ├── UnknownObject                 1   a name the registry lacks
    │   ├── IncompatibleVersion           1   a version this side cannot read
    │   ├── InvalidTargetVersion          1   a backport to a newer version
    │   ├── UnrepresentableValue          1   a backport refused: the target
    │   │                                     cannot carry the value
    │   ├── UnknownObjectMethod           1   no such remotable method
    │   ├── ObjectDeclarationError        1   a class contradicts its history
    │   ├── ManifestMismatch              1   fingerprints differ from the
    │   │                                     checked-in manifest
    │   └── BackportVerificationFailed    1   a backport lost or broke data
    ├── CPUPinningError                   1   pinning on a NUMA cell failed
    │   ├── CPUPinningUnknown                 CPUs not dedicated in the cell
    │   ├── CPUPinningInvalid                 CPUs already pinned
    │   ├── CPUUnpinningUnknown               CPUs not dedicated in the cell
    │   └── CPUUnpinningInvalid               CPUs not pinned
    ├── ComputeError                      1   the compute stack
    │   │                                     (zerodown.compute)
    │   └── PlacementRequestInvalid       1   a flavor and image ask for a
    │       │                                 placement that cannot exist
    │       ├── InvalidExtraSpec              a value that does not parse
    │       ├── ImagePropertyConflict         the image contradicts or
    │       │                                 overrides the flavor
    │       ├── CPUPolicyConflict             CPU settings that do not go
    │       │                                 together
    │       ├── VCPUTopologyInvalid           sockets, cores and threads
    │       │                                 out of range or impossible
    │       └── GuestNUMATopologyInvalid      NUMA nodes whose CPUs and
    │                                         memory do not add up
    ├── RPCError                          1   versioned RPC (zerodown.rpc)
    │   ├── MessagingTimeout              1   no reply in time
    │   ├── TransportUnreachable          1   the broker stayed unreachable
    │   ├── RPCVersionCapError            1   a message above the version
    │   │                                     cap (nothing was sent)
    │   ├── InvalidVersionCap             2   a cap that is neither a
    │   │                                     version nor a release
    │   ├── RPCDeclarationError           1   an API class contradicts its
    │   │                                     version history
    │   ├── UndispatchableMessage         1   the server cannot run it (a
    │   │   │                                 cast goes to the dead letters)
    │   │   ├── UnsupportedVersion            no endpoint serves the version
    │   │   ├── NoSuchMethod                  a served version lacks it
    │   │   ├── InvalidArguments              arguments the method cannot
    │   │   │                                 take
    │   │   ├── MalformedMessage              bytes that are not a message
    │   │   ├── MessageTooLarge               over the size limit
    │   │   └── BadSignature                  missing or wrong HMAC
    │   │       ├── StaleMessage                  signed for a time outside
    │   │       │                                 its lifetime
    │   │       ├── MisdirectedMessage            signed for another
    │   │       │                                 destination
    │   │       └── ReplayedMessage               a signed message seen
    │   │                                         before
    │   └── RemoteError                   1   the remote method raised
    ├── ServiceError                      1   service versions
    │   │                                     (zerodown.services)
    │   ├── ServiceTooOld                 1   a service the deployment no
    │   │                                     longer supports may not start
    │   └── UnknownServiceVersion         1   a version outside the history
    └── MigrationError                    1
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
        │   └── DataMigrationBusy             the database stayed busy
        │                                     (lock waits, deadlocks)
        ├── PendingMigrations             3   work remains ("not safe yet")
        └── ContractGateClosed            3   contract must wait (reasons)

Exit codes: 0 ok, 1 error, 2 usage or configuration, 3 not safe yet.
"""

from __future__ import annotations

import string
from typing import Any, ClassVar

__all__ = [
    "BackportVerificationFailed",
    "BadSignature",
    "CPUPinningError",
    "CPUPinningInvalid",
    "CPUPinningUnknown",
    "CPUPolicyConflict",
    "CPUUnpinningInvalid",
    "CPUUnpinningUnknown",
    "ComputeError",
    "ConfigError",
    "ContractGateClosed",
    "DataMigrationBusy",
    "DataMigrationError",
    "DatabaseUnreachable",
    "DowngradeRefused",
    "GuestNUMATopologyInvalid",
    "ImagePropertyConflict",
    "IncompatibleVersion",
    "InvalidArguments",
    "InvalidDataMigration",
    "InvalidExtraSpec",
    "InvalidPrimitive",
    "InvalidTargetVersion",
    "InvalidVersionCap",
    "InvalidWaiver",
    "LayoutError",
    "LockTimeout",
    "MalformedMessage",
    "MalformedPayload",
    "ManifestMismatch",
    "MessageTooLarge",
    "MessagingTimeout",
    "MigrationError",
    "MigrationFailed",
    "MisdirectedMessage",
    "MissingBranch",
    "MissingDependency",
    "MissingField",
    "MultipleHeads",
    "NoSuchMethod",
    "ObjectDeclarationError",
    "ObjectError",
    "ObjectNotFound",
    "OperationRefused",
    "PartiallyApplied",
    "PendingMigrations",
    "PhaseViolation",
    "PlacementRequestInvalid",
    "RPCDeclarationError",
    "RPCError",
    "RPCVersionCapError",
    "RemoteError",
    "ReplayedMessage",
    "RevisionNotFound",
    "ScriptError",
    "ServiceError",
    "ServiceTooOld",
    "StaleMessage",
    "TransportUnreachable",
    "UndispatchableMessage",
    "UnencodableValue",
    "UnknownField",
    "UnknownObject",
    "UnknownObjectMethod",
    "UnknownServiceVersion",
    "UnrepresentableValue",
    "UnsafeMigration",
    "UnsplittableOperation",
    "UnsupportedVersion",
    "VCPUTopologyInvalid",
    "WrongFieldType",
    "ZerodownError",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_SAFE_YET = 3


class ZerodownError(Exception):
    """Root of every error zerodown raises on purpose.

    Subclasses set ``template``; the keyword arguments given to the
    constructor fill it and become attributes.  A missing field is a bug in
    the caller and raises :class:`TypeError` instead of a vaguer message.
    """

    template: ClassVar[str] = "zerodown failed"
    exit_code: ClassVar[int] = EXIT_ERROR

    def __init__(self, **fields: Any) -> None:
        missing = _template_fields(self.template) - fields.keys()
        if missing:
            raise TypeError(
                f"{type(self).__name__} needs {', '.join(sorted(missing))}"
            )
        self.fields = fields
        for name, value in fields.items():
            setattr(self, name, value)
        super().__init__(self.template.format(**fields))

    @property
    def message(self) -> str:
        return str(self)


def _template_fields(template: str) -> set[str]:
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field:
            names.add(field.split(".")[0].split("[")[0].split("!")[0])
    return names


class ConfigError(ZerodownError):
    template = "configuration error: {problem}"
    exit_code = EXIT_USAGE


class DatabaseUnreachable(ZerodownError):
    template = "cannot connect to the database at {url}: {reason}"


# --- objects: zerodown.objects and the objects built on it -----------------


class ObjectError(ZerodownError):
    template = "object error: {problem}"


class MalformedPayload(ObjectError):
    """Input that does not decode: the wire codec's one error type."""

    template = "malformed payload: {reason}"


class InvalidPrimitive(MalformedPayload):
    template = "{object} {version}: {reason}"


class MissingField(InvalidPrimitive):
    template = "{object} {version}: the primitive lacks {field!r}"


class UnknownField(InvalidPrimitive):
    template = "{object} {version} has no field {field!r}{where}"


class WrongFieldType(InvalidPrimitive):
    template = (
        "{object} {version}: field {field!r} needs {expected}, got {got}"
    )


class UnencodableValue(ObjectError):
    template = "cannot encode {value_type} at {path}: {reason}"


class UnknownObject(ObjectError):
    template = (
        "{name!r} (version {version}) is not an object of registry "
        "{namespace!r}"
    )


class IncompatibleVersion(ObjectError):
    template = (
        "{object} {version} cannot be read here: this side knows "
        "{object} up to {supported}"
    )


class InvalidTargetVersion(ObjectError):
    template = (
        "{object} is at version {current}; it cannot be sent as the newer "
        "{version}"
    )


class UnrepresentableValue(ObjectError):
    template = (
        "{object} {version} cannot represent {field}={value!r}: {reason}"
    )


class UnknownObjectMethod(ObjectError):
    template = "{object} has no remotable method {method!r}"


class ObjectDeclarationError(ObjectError):
    template = "{object}: {problem}"


class ManifestMismatch(ObjectError):
    """Objects changed without a version bump, or the file is stale.

    ``changes`` lists one line a difference.
    """

    template = "{count} object(s) differ from {path}: {summary}"


class BackportVerificationFailed(ObjectError):
    template = "backport of {object} to {version} failed: {problem}"


class CPUPinningError(ZerodownError):
    template = "CPU pinning failed on NUMA cell {cell}: {problem}"


class CPUPinningUnknown(CPUPinningError):
    template = (
        "cannot pin CPUs {requested} on NUMA cell {cell}: its dedicated "
        "CPUs are {available}"
    )


class CPUPinningInvalid(CPUPinningError):
    template = (
        "cannot pin CPUs {requested} on NUMA cell {cell}: {pinned} are "
        "already pinned"
    )


class CPUUnpinningUnknown(CPUPinningError):
    template = (
        "cannot unpin CPUs {requested} on NUMA cell {cell}: its dedicated "
        "CPUs are {available}"
    )


class CPUUnpinningInvalid(CPUPinningError):
    template = (
        "cannot unpin CPUs {requested} on NUMA cell {cell}: only {pinned} "
        "are pinned"
    )


# --- compute: zerodown.compute ----------------------------------------------


class ComputeError(ZerodownError):
    template = "compute error: {problem}"


class PlacementRequestInvalid(ComputeError):
    """A flavor and image whose ``hw:`` settings cannot be placed: the API
    answers 400 with the message."""

    template = "invalid placement request: {problem}"


class InvalidExtraSpec(PlacementRequestInvalid):
    template = "{source} {key}={value!r} is invalid: {reason}"


class ImagePropertyConflict(PlacementRequestInvalid):
    template = (
        "image property {prop}={value!r} is not allowed with this "
        "flavor: {reason}"
    )


class CPUPolicyConflict(PlacementRequestInvalid):
    template = "{setting} {problem} (CPU policy: {cpu_policy})"


class VCPUTopologyInvalid(PlacementRequestInvalid):
    template = "no vCPU topology for {vcpus} vCPU(s): {problem}"


class GuestNUMATopologyInvalid(PlacementRequestInvalid):
    template = "guest NUMA topology of {nodes} node(s) is invalid: {problem}"


# --- rpc: zerodown.rpc ------------------------------------------------------


class RPCError(ZerodownError):
    template = "rpc error: {problem}"


class MessagingTimeout(RPCError):
    """No reply arrived in time; the call may or may not have run."""

    template = "no reply to {method!r} from {destination} within {timeout}s"


class TransportUnreachable(RPCError):
    template = (
        "cannot reach the message broker at {url} ({attempts} attempts "
        "in {elapsed:.1f}s): {reason}"
    )


class RPCVersionCapError(RPCError):
    """Raised by the client before anything is sent."""

    template = (
        "{method!r} needs {api} version {version}, above the version cap "
        "{cap}; nothing was sent"
    )


class InvalidVersionCap(RPCError):
    template = (
        "version cap {value!r} for {api} is neither an X.Y version nor a "
        "known release ({known})"
    )
    exit_code = EXIT_USAGE


class RPCDeclarationError(RPCError):
    template = "{api}: {problem}"


class UndispatchableMessage(RPCError):
    """A message the server cannot run: a call gets this error as its
    answer, a cast goes to the dead-letter queue."""

    template = "cannot dispatch {method!r} {version}: {reason}"


class UnsupportedVersion(UndispatchableMessage):
    template = (
        "no endpoint serves version {version} of {method!r} "
        "(this server serves {served})"
    )


class NoSuchMethod(UndispatchableMessage):
    template = "no method {method!r} at version {version} (served: {served})"


class InvalidArguments(UndispatchableMessage):
    template = "{method!r} {version} cannot take these arguments: {reason}"


class MalformedMessage(UndispatchableMessage):
    template = "malformed message {message_id}: {reason}"


class MessageTooLarge(UndispatchableMessage):
    template = (
        "message {message_id} of {size} bytes exceeds the limit of {limit}"
    )


class BadSignature(UndispatchableMessage):
    """The message does not prove who sent it: nothing is answered."""

    template = "message {message_id} rejected: {reason}"


class StaleMessage(BadSignature):
    """Signed, but expired or dated in the future (beyond clock skew)."""


class MisdirectedMessage(BadSignature):
    """Signed for another queue or exchange than the one it came from."""


class ReplayedMessage(BadSignature):
    """A signed message this server has already taken, sent again."""


class RemoteError(RPCError):
    """The remote method raised an error outside zerodown's tree."""

    template = "{method!r} on {destination} raised {exc_type}: {value}"


# --- services: zerodown.services --------------------------------------------


class ServiceError(ZerodownError):
    template = "service error: {problem}"


class ServiceTooOld(ServiceError):
    template = (
        "{binary} on {host} (service version {version}) may not start: "
        "{reason}"
    )


class UnknownServiceVersion(ServiceError):
    template = (
        "service version {version} is not in the history of {project} "
        "(it knows {first} to {last})"
    )


class MigrationError(ZerodownError):
    template = "migration error: {problem}"


class ScriptError(MigrationError):
    template = "revision script {path} does not load: {reason}"


class LayoutError(MigrationError):
    template = "migration layout error: {problem}"


class MissingBranch(LayoutError):
    template = (
        "no revision carries the branch label {branch!r}; "
        "run 'zerodown init' or add a base revision with "
        "branch_labels=({branch!r},)"
    )


class MultipleHeads(LayoutError):
    template = (
        "branch {branch!r} has {count} heads ({heads}); "
        "merge them with 'alembic merge' so each branch has one head"
    )


class MissingDependency(LayoutError):
    template = (
        "contract revision {revision} ({path}) does not depend on any "
        "expand revision; add depends_on = (<expand revision>,)"
    )


class RevisionNotFound(MigrationError):
    template = "no revision {revision!r} in {location}"


class PhaseViolation(MigrationError):
    template = (
        "{phase} revision {revision} must not {action} ({target}): "
        "{why}; declare a reasoned exception with "
        "zerodown.migrations.allow({kind!r}, {target!r}, reason=...) "
        "if it is safe"
    )


class UnsplittableOperation(MigrationError):
    template = (
        "autogenerate cannot split {action} on {target} into expand and "
        "contract: {why}; write it with the online operation {online_op}"
    )


class MigrationFailed(MigrationError):
    template = (
        "revision {revision} failed at {step} and was rolled back "
        "(nothing of it is applied): {reason}"
    )


class LockTimeout(MigrationError):
    template = (
        "{step} could not get its lock within {timeout}s in {attempts} "
        "attempts: a long transaction holds it; retry later or raise "
        "lock_timeout / lock_retries"
    )


class ObjectNotFound(MigrationError):
    template = "{kind} {name} does not exist; nothing was changed"


class OperationRefused(MigrationError):
    template = "cannot {operation} {target}: {why}"


class DowngradeRefused(OperationRefused, NotImplementedError):
    """A downgrade that no code can do.  It is a NotImplementedError too,
    Alembic tooling's convention for an irreversible revision (pytest-alembic
    ends its downgrade walk there)."""


class PartiallyApplied(MigrationError):
    template = (
        "revision {revision} failed at {step} on {dialect}, {why}; these "
        "steps ran and stay applied: {applied}; error: {reason}"
    )


class InvalidWaiver(MigrationError):
    template = "waive({rule!r}, {target!r}) {problem}"


class UnsafeMigration(MigrationError):
    """Lint errors that no waiver covers; ``findings`` lists them."""

    template = "lint found {count} error(s): {summary}"


class InvalidDataMigration(MigrationError):
    template = "data migration {source}: {problem}"


class DataMigrationError(MigrationError):
    template = "data migration {name} failed: {reason}"


class DataMigrationBusy(DataMigrationError):
    template = (
        "data migration {name} failed: the database stayed busy through "
        "{attempts} attempts ({reason}); run again later, or raise "
        "migrate_retries / migrate_lock_timeout"
    )


class PendingMigrations(MigrationError):
    template = "{count} revision(s) pending on branch {branch!r}"
    exit_code = EXIT_NOT_SAFE_YET


class ContractGateClosed(MigrationError):
    template = (
        "contract refused: {reasons}; wait, or run with --force to "
        "override (recorded)"
    )
    exit_code = EXIT_NOT_SAFE_YET
