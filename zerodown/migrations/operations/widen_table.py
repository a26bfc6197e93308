"""MySQL/MariaDB: widen a primary key through a shadow table, as gh-ost
and pt-online-schema-change change a table.

Changing a key's type copies the table under a lock there
(``ALGORITHM=COPY``), so expand creates an empty shadow of the table
(``CREATE TABLE ... LIKE``, the key made wide, its ``AUTO_INCREMENT``
counter the table's) and three ``AFTER`` triggers that write every
delete, update and insert into it; ``zerodown db migrate`` copies the old
rows (:mod:`.shadow_copy`).  Contract swaps the shadow in with one atomic
``RENAME TABLE`` and drops the old table.

Foreign keys of other tables that reference the table on another column
(a unique ``uuid``) follow the swap (:mod:`.widen_children`).  Refused
before anything runs, and again just before the swap, each with its
reason: a foreign key referencing the key itself (InnoDB insists that a
referencing column have the very integer size of the key it references),
and the table's own foreign keys (``CREATE TABLE ... LIKE`` copies none,
and InnoDB's constraint names are per database).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import sqlalchemy as sa

from zerodown.migrations.operations import naming, triggers, widen_children
from zerodown.migrations.operations.backfills import Forget
from zerodown.migrations.operations.base import Backfill, Step
from zerodown.migrations.operations.shadow_copy import missing_from
from zerodown.migrations.operations.triggers import Placed, Trigger
from zerodown.migrations.operations.widen_primary_key import WidenStrategy

__all__ = ["MySQLWiden"]

_NEW = "the shadow table is zerodown's own, which no release uses yet"
_LEFTOVER = "it drops what a killed expand of this same operation left"
_SUFFIXES = ("_ad", "_au", "_ai")  # delete first: see _triggers
# The in-place twins of the update and insert triggers that contract puts
# in place of an offline expand's REPLACE copies (see _in_place_copy).
_TWIN_SUFFIXES = ("_cu", "_ci")
_TWIN = (
    "a trigger on the table that writes only zerodown's shadow, in place "
    "of one this contract drops next"
)


class MySQLWiden(WidenStrategy):
    dialect = "mysql"

    @property
    def shadow(self) -> str:
        return self.q(self.op.shadow_name())

    @property
    def old_name(self) -> str:
        """The swapped-out table, until contract drops it."""
        op = self.op
        return naming.generated("wold", op.table_name, op.column_name)

    def shadow_present(self) -> bool:
        inspector = self.target.inspector
        return inspector is None or inspector.has_table(self.op.shadow_name())

    def validate(self) -> None:
        self._refuse_foreign_keys()
        generated = self.target.select(
            "SELECT column_name FROM information_schema.columns WHERE "
            "table_schema = DATABASE() AND table_name = :t AND "
            "is_generated <> 'NEVER' ORDER BY ordinal_position",
            t=self.op.table_name,
        )
        if generated:
            self.op.refuse(
                f"its generated column {generated[0][0]} takes no value, "
                "and the copy writes whole rows"
            )

    def _refuse_foreign_keys(self) -> None:
        """Refuse, with the reason, a foreign key of the table's own or one
        referencing its key: checked at expand and again just before
        contract's swap (one may have come since).  Other tables' keys on
        another column follow the swap (:mod:`.widen_children`)."""
        rows = self.target.select(
            "SELECT constraint_name, column_name, referenced_table_name "
            "FROM information_schema.key_column_usage "
            "WHERE table_schema = DATABASE() AND referenced_table_name "
            "IS NOT NULL AND table_name = :t ORDER BY 2",
            t=self.op.table_name,
        )
        for row in rows or ():
            name, column, parent = (str(value) for value in tuple(row))
            self.op.refuse(
                f"its own foreign key {name} on {column} (to {parent}): "
                "CREATE TABLE ... LIKE copies no foreign key, and InnoDB's "
                "constraint names are per database; drop it, widen, then "
                "add it again"
            )
        for found in self._children():
            where = f"the foreign key {found.name} of {found.table}"
            if self.op.column_name in found.referenced:
                self.op.refuse(
                    f"{where} references {self.op.column_name} itself: "
                    "InnoDB requires a referencing column of the same "
                    "integer size as the key; drop it, widen both columns, "
                    "then add it again"
                )
            moved = widen_children.moved_name(found)
            if len(moved) > widen_children.LIMIT:
                self.op.refuse(
                    f"{where} moves to the shadow under the name {moved}, "
                    f"over InnoDB's {widen_children.LIMIT} characters; "
                    "rename it shorter first"
                )

    def expand(self) -> Sequence[Step]:
        undo = f"DROP TABLE IF EXISTS {self.shadow}"
        steps = [
            *self._leftovers(),
            Step(
                f"create the shadow of {self.op.table_name}",
                sql=f"CREATE TABLE {self.shadow} LIKE {self.table}",
                undo=undo,
            ),
            Step(
                f"the shadow's {self.op.column_name} becomes "
                f"{self.type_sql()}",
                sql=f"ALTER TABLE {self.shadow} MODIFY {self._definition()}",
                waiver=_NEW,
                undo=undo,
            ),
        ]
        counter = self._counter()
        if counter is not None:
            steps.append(
                Step(
                    "the shadow's AUTO_INCREMENT counter starts where the "
                    "table's stands",
                    sql=f"ALTER TABLE {self.shadow} AUTO_INCREMENT = "
                    f"{counter}",
                    undo=undo,
                )
            )
        return [
            *steps,
            *triggers.create_steps(
                self._triggers(),
                self.target,
                f"copy every write of {self.op.table_name} into its shadow",
            ),
        ]

    def backfill(self) -> Backfill:
        gone = not self.shadow_present() and self._old_exists()
        if self.swapped() or gone:
            return Backfill(self.op.backfill_name, self.op.table_name, "")
        return Backfill(
            name=self.op.backfill_name,
            table=self.op.table_name,
            assignments="",
            where=missing_from(
                self.q,
                self.op.table_name,
                self.op.shadow_name(),
                self.op.column_name,
            ),
            copy_into=self.op.shadow_name(),
        )

    def contract(self) -> Sequence[Step]:
        old = self.q(self.old_name)
        drop = Step(
            f"drop the swapped-out {self.op.table_name}",
            sql=f"DROP TABLE IF EXISTS {old}",
        )
        if not self.shadow_present():  # swapped: a killed run's rest
            if not self._old_exists():
                return self._children_back()
            return [*self._children_back(), drop]
        self._refuse_foreign_keys()
        self._same_columns()
        children = self._children()
        return [
            *(self._in_place_copy() if children else []),
            # The children reference the shadow, which the swap then
            # carries to the table's name (see widen_children).
            *widen_children.point(
                children,
                self.op.shadow_name(),
                widen_children.moved_name,
                self.q,
            ),
            Step(
                f"swap the shadow in as {self.op.table_name}, atomically",
                sql=f"RENAME TABLE {self.table} TO {old}, "
                f"{self.shadow} TO {self.table}",
            ),
            *self._children_back(all_moved=True),
            drop,
        ]

    def _children(self) -> list[widen_children.Child]:
        return widen_children.children(
            self.target, (self.op.table_name, self.op.shadow_name())
        )

    def _children_back(self, all_moved: bool = False) -> list[Step]:
        """The children's keys on the table under their own names again
        (after the swap; or, rolling back, from the shadow)."""
        found = self._children()
        if all_moved:  # planned before the swap: as it will leave them
            found = list(
                {
                    (c.table, c.original): dataclasses.replace(
                        c,
                        name=widen_children.moved_name(c),
                        parent=self.op.table_name,
                    )
                    for c in found
                }.values()
            )
        return widen_children.point(
            found,
            self.op.table_name,
            widen_children.original_name,
            self.q,
        )

    def rollback(self) -> Sequence[Step]:
        if not self.shadow_present() and (
            self.swapped() or self._old_exists()
        ):
            self.op.refuse("contract already swapped the shadow in")
        return [*self._children_back(), *self._drops()]

    def _drops(self, waiver: str | None = None) -> list[Step]:
        steps = triggers.drop_steps(
            [*self._placed(), *self._twins()],
            [],
            self.target,
            f"stop copying writes of {self.op.table_name}",
        )
        steps.append(
            Step(
                f"drop the shadow of {self.op.table_name}",
                sql=f"DROP TABLE IF EXISTS {self.shadow}",
            )
        )
        return [Step(s.description, sql=s.sql, waiver=waiver) for s in steps]

    def _leftovers(self) -> list[Step]:
        """A killed expand's shadow and triggers, dropped with the copy's
        progress: the next copy starts over on a fresh shadow."""
        if self.target.inspector is None or not (
            self.shadow_present() or self._own_triggers()
        ):
            return []
        return [
            *self._drops(_LEFTOVER),
            Step(
                f"forget the copy into the old shadow of {self.op.table_name}",
                operation=Forget(self.op.backfill_name),
            ),
        ]

    def _placed(self) -> list[Placed]:
        base = self.op.trigger_name()
        return [Placed(base + s, self.op.table_name) for s in _SUFFIXES]

    def _twins(self) -> list[Placed]:
        base = self.op.trigger_name()
        return [Placed(base + s, self.op.table_name) for s in _TWIN_SUFFIXES]

    def _in_place_copy(self) -> list[Step]:
        """Steps that replace an offline expand's copying triggers before
        the children's keys move to the shadow.

        Offline, expand cannot name the columns, so its triggers copy a
        row with ``REPLACE``, which deletes the shadow's row before
        writing it again: harmless while nothing references the shadow,
        but once the children do, every update of a referenced row would
        cascade its children away (or be refused).  A copying trigger
        whose body is not the in-place copy this contract would write
        gets a twin that is, then is dropped; both copy meanwhile, which
        is idempotent.  (Anything else than that exact body gets a twin:
        a body read wrong costs two statements, not the children.)  A
        contract killed in between makes only the twins still missing."""
        names = [p.name for p in (*self._placed(), *self._twins())]
        rows = self.target.select(
            "SELECT trigger_name, action_statement "
            "FROM information_schema.triggers "
            "WHERE trigger_schema = DATABASE() AND trigger_name IN "
            "(:a, :b, :c, :d, :e)",
            **dict(zip("abcde", names, strict=True)),
        )
        statements = {
            str(row[0]): _words(str(row[1])) for row in map(tuple, rows or ())
        }
        _, updated, inserted = self._triggers()
        twins = self._triggers(self._placed()[0], *self._twins())[1:]
        steps: list[Step] = []
        for trigger, twin in ((updated, twins[0]), (inserted, twins[1])):
            body = statements.get(trigger.placed.name)
            if body is None or body == _words(_action(trigger.body)):
                continue
            if twin.placed.name not in statements:
                steps += [
                    dataclasses.replace(step, waiver=_TWIN)
                    for step in triggers.create_steps(
                        [twin],
                        self.target,
                        f"copy writes of {self.op.table_name} into its "
                        "shadow in place (not by REPLACE, which would "
                        "cascade to the children about to reference it)",
                    )
                ]
            steps += triggers.drop_steps(
                [trigger.placed],
                [],
                self.target,
                f"drop the REPLACE copy of {self.op.table_name}'s writes",
            )
        return steps

    def _triggers(self, *placed: Placed) -> list[Trigger]:
        # Deletes are copied before anything else is: a row the shadow
        # got from an insert or update then always leaves it again.  An
        # update that changes the key moves the shadow's row to the new
        # key rather than deleting it: children may reference the shadow
        # (on another column) during contract, and a delete would cascade.
        deleted, updated, inserted = placed or self._placed()
        table, shadow, key = self.table, self.shadow, self.column
        copy = self._copy_row()

        def head(placed: Placed, event: str) -> str:
            return (
                f"CREATE TRIGGER {self.q(placed.name)} AFTER {event} ON "
                f"{table} FOR EACH ROW "
            )

        return [
            Trigger(
                deleted,
                head(deleted, "DELETE")
                + f"DELETE FROM {shadow} WHERE {key} = OLD.{key}",
            ),
            Trigger(
                updated,
                head(updated, "UPDATE")
                + f"BEGIN IF NOT (OLD.{key} <=> NEW.{key}) THEN UPDATE "
                f"{shadow} SET {key} = NEW.{key} WHERE {key} = OLD.{key}; "
                f"END IF; {copy}; END",
            ),
            Trigger(inserted, head(inserted, "INSERT") + copy),
        ]

    def _copy_row(self) -> str:
        """The trigger's copy of the row ``NEW`` into the shadow, updating
        the shadow's row in place: ``REPLACE`` would delete it first,
        which a child's key referencing the shadow during contract refuses
        (or cascades).  Offline, with no columns to name, ``REPLACE``."""
        table, shadow, key = self.table, self.shadow, self.column
        select = f"SELECT * FROM {table} WHERE {key} = NEW.{key}"
        inspector = self.target.inspector
        if inspector is None:
            return f"REPLACE INTO {shadow} {select}"
        names = [
            self.q(c["name"])
            for c in inspector.get_columns(self.op.table_name)
        ]
        return (
            f"INSERT INTO {shadow} {select} ON DUPLICATE KEY UPDATE "
            + ", ".join(f"{n} = VALUES({n})" for n in names)
        )

    def _definition(self) -> str:
        """The key's column definition in the shadow, of the new type."""
        extra, comment = "auto_increment", ""
        rows = self.target.select(
            "SELECT extra, column_comment FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = :t AND "
            "column_name = :c",
            t=self.op.table_name,
            c=self.op.column_name,
        )
        if rows:  # offline: an AUTO_INCREMENT key, as most are
            found = tuple(rows[0])
            extra, comment = str(found[0]).lower(), str(found[1] or "")
        parts = [self.column, self.type_sql(), "NOT NULL"]
        if "auto_increment" in extra:
            parts.append("AUTO_INCREMENT")
        if comment:
            parts.append("COMMENT '" + comment.replace("'", "''") + "'")
        return " ".join(parts)

    def _counter(self) -> int | None:
        if self.target.inspector is None:
            return None  # offline: the shadow counts from its own rows
        if not self.target.is_mariadb and self.target.server_version >= (8,):
            # MySQL 8 answers from statistics cached for a day.
            connection = self.target.inspector.bind
            assert isinstance(connection, sa.Connection)
            connection.exec_driver_sql(
                "SET SESSION information_schema_stats_expiry = 0"
            )
        rows = self.target.select(
            "SELECT auto_increment FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_name = :t",
            t=self.op.table_name,
        )
        return int(rows[0][0]) if rows and rows[0][0] else None

    def _old_exists(self) -> bool:
        inspector = self.target.inspector
        return inspector is not None and inspector.has_table(self.old_name)

    def _own_triggers(self) -> bool:
        names = [p.name for p in (*self._placed(), *self._twins())]
        rows = self.target.select(
            "SELECT trigger_name FROM information_schema.triggers "
            "WHERE trigger_schema = DATABASE() AND trigger_name IN "
            "(:a, :b, :c, :d, :e)",
            **dict(zip("abcde", names, strict=True)),
        )
        return bool(rows)

    def _same_columns(self) -> None:
        """Refuse to swap in a shadow whose columns are not the table's
        (another operation changed the table after expand)."""
        inspector = self.target.inspector
        if inspector is None:
            return
        have = [c["name"] for c in inspector.get_columns(self.op.table_name)]
        shadow = [
            c["name"] for c in inspector.get_columns(self.op.shadow_name())
        ]
        if have != shadow:
            self.op.refuse(
                f"the table's columns {have} are no longer its shadow's "
                f"{shadow}: its shape changed after expand; roll the "
                "operation back and run it again"
            )


def _action(statement: str) -> str:
    """The body of a ``CREATE TRIGGER`` statement, as the catalog's
    ``action_statement`` keeps it (what follows ``FOR EACH ROW``)."""
    return statement.split(" FOR EACH ROW ", 1)[1]


def _words(text: str) -> str:
    return " ".join(text.split())
