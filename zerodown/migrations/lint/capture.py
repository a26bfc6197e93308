"""Rebuild the Alembic operation a script's call would run, without running.

``op.add_column("t", sa.Column(...))`` goes through Alembic's own
``Operations.add_column`` with an ``invoke`` that returns the operation
instead of executing it, so lint sees exactly the ``AddColumnOp`` (and
the phase guard's classification of it) that the migration would run.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from alembic.operations import BatchOperations, Operations
from alembic.operations import ops as alembic_ops
from alembic.runtime.migration import MigrationContext

from zerodown.migrations.lint.values import opaque_in

__all__ = ["Rebuilder", "is_operation"]

LOG = logging.getLogger(__name__)

# Methods of ``op`` that do not describe a schema change.
_NOT_OPERATIONS = frozenset(
    {
        "batch_alter_table",
        "f",
        "get_bind",
        "get_context",
        "implementation_for",
        "inline_literal",
        "invoke",
        "register_operation",
        "run_async",
        "context",
    }
)


# Some operation methods return what ``invoke`` returns, others return
# nothing: the captured operation is recorded on the instance.
class _Capture(Operations):
    captured: Any = None

    def invoke(self, operation: Any) -> Any:
        self.captured = operation
        return operation


class _BatchCapture(BatchOperations):
    captured: Any = None

    def invoke(self, operation: Any) -> Any:
        self.captured = operation
        return operation


def is_operation(name: str) -> bool:
    """True when ``op.<name>`` describes a schema change."""
    return name not in _NOT_OPERATIONS and not name.startswith("_")


class Rebuilder:
    """Rebuilds operations for one script (one offline Alembic context)."""

    def __init__(self) -> None:
        self._context: MigrationContext | None = None

    @property
    def context(self) -> MigrationContext:
        if self._context is None:
            self._context = MigrationContext.configure(
                dialect_name="sqlite",
                opts={"as_sql": True, "output_buffer": io.StringIO()},
            )
        return self._context

    def rebuild(
        self,
        name: str,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        batch_table: str | None = None,
    ) -> alembic_ops.MigrateOperation | None:
        """The operation ``op.<name>(*args, **kwargs)`` would run.

        ``batch_table`` names the table of a ``batch_alter_table`` block.
        None when an argument is opaque or Alembic has no such operation.
        """
        values = (*args, *kwargs.values())
        if not is_operation(name) or opaque_in(values) is not None:
            return None
        operations: _Capture | _BatchCapture
        if batch_table is None:
            operations = _Capture(self.context)
        else:
            impl = SimpleNamespace(table_name=batch_table, schema=None)
            operations = _BatchCapture(self.context, impl=impl)  # type: ignore[arg-type]
        method = getattr(operations, name, None)
        if method is None:
            return None
        try:
            method(*args, **kwargs)
        except Exception as err:  # arguments Alembic itself would refuse
            LOG.debug("lint cannot rebuild %s: %s", name, err)
            return None
        built = operations.captured
        if isinstance(built, alembic_ops.MigrateOperation):
            return built
        return None
