"""Online operations, called from revision scripts through ``zop``::

    from zerodown.migrations.operations import zop

    def upgrade() -> None:
        zop.rename_column("users", "name", "full_name")

The same call stands in the expand revision and in the contract revision;
each runs its phase's steps.  See :mod:`.base` for the model.
"""

from __future__ import annotations

from typing import Any

from alembic import op

# Importing the operation modules registers them.
from zerodown.migrations.operations import executor as _executor  # noqa: F401
from zerodown.migrations.operations import render as _render  # noqa: F401

# Each backend's strategy registers itself with WidenPrimaryKey.
from zerodown.migrations.operations import widen_column as _pg  # noqa: F401
from zerodown.migrations.operations import widen_table as _mysql  # noqa: F401
from zerodown.migrations.operations.add_column import AddColumn
from zerodown.migrations.operations.add_foreign_key import AddForeignKey
from zerodown.migrations.operations.add_unique import AddUnique
from zerodown.migrations.operations.base import (
    Backfill,
    Check,
    OnlineOperation,
    Step,
    Target,
)
from zerodown.migrations.operations.change_column_type import (
    ChangeColumnType,
    RenameColumn,
)
from zerodown.migrations.operations.create_index import CreateIndex
from zerodown.migrations.operations.drop_column import DropColumn
from zerodown.migrations.operations.drop_index import DropIndex
from zerodown.migrations.operations.drop_table import DropTable
from zerodown.migrations.operations.move_column import MoveColumn
from zerodown.migrations.operations.rename_table import RenameTable
from zerodown.migrations.operations.set_not_null import SetNotNull
from zerodown.migrations.operations.widen_primary_key import WidenPrimaryKey

__all__ = [
    "AddColumn",
    "AddForeignKey",
    "AddUnique",
    "Backfill",
    "ChangeColumnType",
    "Check",
    "CreateIndex",
    "DropColumn",
    "DropIndex",
    "DropTable",
    "MoveColumn",
    "OnlineOperation",
    "RenameColumn",
    "RenameTable",
    "SetNotNull",
    "Step",
    "Target",
    "WidenPrimaryKey",
    "zop",
]


class _OnlineOperations:
    """``zop.<name>(...)`` builds the operation and hands it to Alembic."""

    def __getattr__(self, name: str) -> Any:
        try:
            operation = OnlineOperation.registry[name]
        except KeyError:
            raise AttributeError(
                f"no online operation {name!r}; known: "
                f"{', '.join(sorted(OnlineOperation.registry))}"
            ) from None

        def invoke(*args: Any, **kwargs: Any) -> None:
            op.invoke(operation(*args, **kwargs))

        invoke.__doc__ = operation.__doc__
        return invoke

    def __dir__(self) -> list[str]:
        return sorted(OnlineOperation.registry)


zop = _OnlineOperations()
