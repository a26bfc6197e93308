"""MySQL/MariaDB: the foreign keys of other tables that reference a table
widened through a shadow (:mod:`.widen_table`), on a column other than
the key (``instance_extra.instance_uuid`` -> ``instances.uuid``).

``RENAME TABLE`` takes a referencing key along with the table it
references, so swapping the shadow in would leave the children pointing
at the swapped-out table.  Contract therefore points them at the shadow
first, while it is complete and the triggers keep it equal to the table
(a child written meanwhile finds its parent in both); the swap then
carries them to the new table under the old name.

InnoDB refuses two constraints of one name in a database, even in one
``ALTER TABLE``, so each key moves in two statements: the copy is added
under a name of its own (``<name>_zdw``), then the original dropped; after
the swap the original name is added again and the copy dropped.  Every
state in between is visible in the catalog, so a contract killed at any
point plans the rest from what it finds.  Each statement runs with
``foreign_key_checks = 0``: InnoDB then adds the key in place, as
metadata, instead of copying the child table (the shadow holds every
parent row, so nothing is left unchecked).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zerodown.migrations.operations.base import Step, Target

__all__ = ["Child", "children", "point"]

SUFFIX = "_zdw"
LIMIT = 64  # InnoDB's constraint names
_SAME = (
    "the same key on the same columns, moved to the table that takes the "
    "widened table's name: nothing either release writes changes"
)
_CHECKS_OFF = Step(
    "add the keys below in place, as metadata",
    sql="SET SESSION foreign_key_checks = 0",
)
_CHECKS_ON = Step(
    "check foreign keys again", sql="SET SESSION foreign_key_checks = 1"
)


@dataclass(frozen=True)
class Child:
    """A foreign key of ``table`` on ``columns`` referencing ``parent``'s
    ``referenced`` columns, as the catalog shows it."""

    name: str
    table: str
    columns: tuple[str, ...]
    parent: str
    referenced: tuple[str, ...]
    on_update: str
    on_delete: str

    @property
    def original(self) -> str:
        return self.name.removesuffix(SUFFIX)

    @property
    def moved(self) -> bool:
        return self.name.endswith(SUFFIX)


def children(target: Target, tables: Sequence[str]) -> list[Child]:
    """Foreign keys of other tables that reference one of ``tables``
    (the widened table and its shadow; none offline)."""
    rows = target.select(
        "SELECT k.constraint_name, k.table_name, k.column_name, "
        "k.referenced_table_name, k.referenced_column_name, "
        "r.update_rule, r.delete_rule "
        "FROM information_schema.key_column_usage k "
        "JOIN information_schema.referential_constraints r "
        "ON r.constraint_schema = k.constraint_schema "
        "AND r.constraint_name = k.constraint_name "
        "AND r.table_name = k.table_name "
        "WHERE k.table_schema = DATABASE() "
        "AND k.referenced_table_schema = DATABASE() "
        "AND k.referenced_table_name IN (:a, :b) "
        "AND k.table_name NOT IN (:a, :b) "
        "ORDER BY k.table_name, k.constraint_name, k.ordinal_position",
        a=tables[0],
        b=tables[-1],
    )
    found: dict[tuple[str, str], Child] = {}
    for row in rows or ():
        name, table, column, parent, referenced, update, delete = (
            str(value) for value in tuple(row)
        )
        was = found.get((table, name))
        found[(table, name)] = Child(
            name,
            table,
            (*(was.columns if was else ()), column),
            parent,
            (*(was.referenced if was else ()), referenced),
            update,
            delete,
        )
    return list(found.values())


def point(
    found: Sequence[Child],
    parent: str,
    name_of: Callable[[Child], str],
    q: Callable[[str], str],
) -> list[Step]:
    """Steps that leave each key of ``found`` referencing ``parent`` under
    the name ``name_of(child)``: the new key added, then the old dropped
    (a key already so is left alone)."""
    steps: list[Step] = []
    for child in found:
        name = name_of(child)
        if child.name == name and child.parent == parent:
            continue
        if not any(c.table == child.table and c.name == name for c in found):
            steps.append(
                Step(
                    f"{child.table}'s foreign key {name} references {parent}",
                    sql=f"ALTER TABLE {q(child.table)} ADD CONSTRAINT "
                    f"{q(name)} FOREIGN KEY ({_names(child.columns, q)}) "
                    f"REFERENCES {q(parent)} ({_names(child.referenced, q)})"
                    f" ON DELETE {child.on_delete} ON UPDATE "
                    f"{child.on_update}",
                    waiver=_SAME,
                )
            )
        steps.append(
            Step(
                f"drop {child.table}'s foreign key {child.name}",
                sql=f"ALTER TABLE {q(child.table)} DROP FOREIGN KEY "
                f"{q(child.name)}",
            )
        )
    return [_CHECKS_OFF, *steps, _CHECKS_ON] if steps else []


def moved_name(child: Child) -> str:
    return child.original + SUFFIX


def original_name(child: Child) -> str:
    return child.original


def _names(columns: Sequence[str], q: Callable[[str], str]) -> str:
    return ", ".join(q(c) for c in columns)
