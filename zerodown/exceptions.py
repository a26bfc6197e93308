"""The one error tree of zerodown.

Every error zerodown raises on purpose derives from :class:`ZerodownError`.
Each carries its data as attributes (named in its ``template``) and a stable
``exit_code`` that the ``zerodown`` command returns::

    ZerodownError                         1
    ├── ConfigError                       2   a setting is missing or bad
    ├── DatabaseUnreachable               1   the database does not answer
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
        ├── PartiallyApplied              1   a revision failed after some DDL
        │                                     committed (no transactional DDL)
        └── PendingMigrations             3   work remains ("not safe yet")

Exit codes: 0 ok, 1 error, 2 usage or configuration, 3 not safe yet.
"""

from __future__ import annotations

import string
from typing import Any, ClassVar

__all__ = [
    "ConfigError",
    "DatabaseUnreachable",
    "LayoutError",
    "MigrationError",
    "MigrationFailed",
    "MissingBranch",
    "MissingDependency",
    "MultipleHeads",
    "PartiallyApplied",
    "PendingMigrations",
    "PhaseViolation",
    "RevisionNotFound",
    "ScriptError",
    "UnsplittableOperation",
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


class PartiallyApplied(MigrationError):
    template = (
        "revision {revision} failed at {step} on {dialect}, which commits "
        "each DDL statement itself; these steps ran and stay applied: "
        "{applied}; error: {reason}"
    )


class PendingMigrations(MigrationError):
    template = "{count} revision(s) pending on branch {branch!r}"
    exit_code = EXIT_NOT_SAFE_YET
