"""PostgreSQL: widen a primary key through a shadow column.

expand adds the shadow ``NOT NULL DEFAULT 0`` (a constant default is a
catalog change since PostgreSQL 11: no rewrite, and no ``SET NOT NULL``
scan later) and a ``BEFORE INSERT OR UPDATE`` trigger that copies the key
into it on every write, in one ``DO`` block that commits at once: the
table's exclusive lock lasts that statement, not the whole revision, and
a run killed after it finds both and goes on.  ``zerodown db migrate``
copies the old rows.

contract builds the shadow's unique index concurrently, then swaps in one
``DO`` block: a single statement, so the lock timeout and its retries
apply to it whole, and a timeout rolls all of it back.  The block reads
what it moves from the catalog under its lock (the key constraint's name,
sequence or identity, default, comment, the foreign keys that reference
the key), so the same SQL serves ``--sql`` and a live run.  The foreign
keys come back ``NOT VALID``, a catalog change; ``VALIDATE`` runs after
the swap committed, under a lock that lets writes go on.

Other plain indexes that include the key (``(project_id, id)``) are
carried over: contract builds a twin of each on the shadow, concurrently,
beside the unique index, and the swap renames it to the original's name
once dropping the old column has dropped the original.  An index on an
expression or with a predicate, another constraint, or a view on the key
is refused before anything runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from zerodown.migrations.operations import naming, triggers
from zerodown.migrations.operations.base import Backfill, Step
from zerodown.migrations.operations.index_builds import (
    IndexDialect,
    IndexSpec,
    plan_build,
)
from zerodown.migrations.operations.triggers import Placed, Trigger
from zerodown.migrations.operations.widen_primary_key import WidenStrategy

__all__ = ["PostgreSQLWiden"]

TAG = "$zd_widen$"
_INDEX = (
    "the index on the shadow column becomes the primary key the new "
    "release already uses, under the same name, in the next step"
)
_TWIN = (
    "the twin of an index the table has, on the shadow column, takes the "
    "original's name when the swap drops the original with the old column"
)


@dataclass(frozen=True)
class Carried:
    """A plain index on the key (``original``) and its twin on the
    shadow, which the swap renames to the original's name."""

    original: str
    twin: IndexSpec


class PostgreSQLWiden(WidenStrategy):
    dialect = "postgresql"

    @property
    def shadow(self) -> str:
        return self.q(self.op.shadow_name())

    @property
    def index(self) -> str:
        return naming.generated("wpk", self.op.table_name, self.op.column_name)

    def validate(self) -> None:
        version = self.target.server_version[:1]
        if version and isinstance(version[0], int) and version[0] < 11:
            self.op.refuse(
                "PostgreSQL before 11 rewrites the table to add the shadow "
                "column with its default"
            )
        self._refuse_dependents()

    def expand(self) -> Sequence[Step]:
        if self.target.inspector is not None and self.shadow_present():
            # A killed expand's block committed: the shadow and its
            # trigger exist together, and the trigger has kept it current.
            return []
        made = self._trigger()
        return [
            Step(
                f"add the shadow of {self.op.target_name} and the trigger "
                "that copies the key into it on writes, in one statement",
                sql=f"""DO {TAG}
BEGIN
  ALTER TABLE {self.table} ADD COLUMN {self.shadow} {self.type_sql()}
    NOT NULL DEFAULT 0;
  {made.function};
  {made.body};
END {TAG}""",
                # Committed at once: the table's ACCESS EXCLUSIVE lock is
                # held for this statement, not for the whole revision.
                autocommit=True,
            )
        ]

    def backfill(self) -> Backfill:
        if self.swapped():
            return Backfill(self.op.backfill_name, self.op.table_name, "")
        return Backfill(
            name=self.op.backfill_name,
            table=self.op.table_name,
            assignments=f"{self.shadow} = {self.column}",
            where=f"{self.shadow} <> {self.column}",
        )

    def contract(self) -> Sequence[Step]:
        if self.swapped():
            return [self._validate_step()]  # the swap of a killed run
        self._refuse_dependents()
        spec = IndexSpec(
            self.index,
            self.op.table_name,
            (self.op.shadow_name(),),
            unique=True,
        )
        build = plan_build(spec, self.target, "widen primary key")
        twins = [
            step
            for carried in self._carried()
            for step in plan_build(
                carried.twin, self.target, "widen primary key"
            )
        ]
        return [
            *(replace(step, waiver=step.waiver or _INDEX) for step in build),
            *(replace(step, waiver=step.waiver or _TWIN) for step in twins),
            Step(
                f"swap the shadow in as {self.op.target_name}, with its "
                "constraint, sequence, default and foreign keys",
                sql=self._swap_sql(),
                autocommit=True,
            ),
            self._validate_step(),
        ]

    def rollback(self) -> Sequence[Step]:
        if self.swapped():
            self.op.refuse("contract already swapped the shadow in")
        return [
            *(
                step
                for carried in self._carried()
                for step in IndexDialect.of(self.target).drop(
                    carried.twin.name, self.op.table_name
                )
            ),
            *triggers.drop_steps(
                self._placed(),
                [],
                self.target,
                f"stop copying {self.op.target_name}",
            ),
            Step(
                f"drop the shadow of {self.op.target_name}",
                sql=f"ALTER TABLE {self.table} DROP COLUMN IF EXISTS "
                f"{self.shadow}",
            ),
        ]

    def _placed(self) -> list[Placed]:
        return [Placed(self.op.trigger_name(), self.op.table_name)]

    def _trigger(self) -> Trigger:
        (placed,) = self._placed()
        name = self.q(placed.name)
        return Trigger(
            placed,
            function=f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE "
            f"plpgsql AS $zd$ BEGIN NEW.{self.shadow} := NEW.{self.column}; "
            "RETURN NEW; END $zd$",
            body=f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON "
            f"{self.table} FOR EACH ROW EXECUTE FUNCTION {name}()",
        )

    def shadow_present(self) -> bool:
        columns = self.target.columns(self.op.table_name)
        return columns is None or self.op.shadow_name() in columns

    def _regclass(self) -> str:
        return _string(self.table) + "::regclass"

    def _swap_sql(self) -> str:
        table, key, shadow = self.table, self.column, self.shadow
        relation = self._regclass()
        name = _string(self.op.column_name)
        trigger = self.q(self.op.trigger_name())
        pk_of = (
            f"SELECT conindid FROM pg_constraint WHERE conrelid = {relation} "
            "AND contype = 'p'"
        )
        return f"""DO {TAG}
DECLARE
  pk text; seq text; dflt text; note text; ident "char";
  step bigint; start_at bigint; fk record; fks text[] := '{{}}'; stmt text;
BEGIN
  LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;
  SELECT a.attidentity, pg_get_expr(d.adbin, d.adrelid),
         col_description(a.attrelid, a.attnum)
    INTO ident, dflt, note
    FROM pg_attribute a LEFT JOIN pg_attrdef d
      ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid = {relation} AND a.attname = {name};
  SELECT conname INTO pk FROM pg_constraint
   WHERE conrelid = {relation} AND contype = 'p';
  seq := pg_get_serial_sequence({_string(table)}, {name});
  FOR fk IN SELECT conrelid::regclass::text AS child, conname,
                   pg_get_constraintdef(oid) AS def
              FROM pg_constraint
             WHERE contype = 'f' AND confrelid = {relation}
               AND conindid = ({pk_of})
  LOOP
    EXECUTE 'ALTER TABLE ' || fk.child || ' DROP CONSTRAINT '
      || quote_ident(fk.conname);
    fks := fks || ('ALTER TABLE ' || fk.child || ' ADD CONSTRAINT '
      || quote_ident(fk.conname) || ' ' || fk.def || ' NOT VALID');
  END LOOP;
  IF seq IS NOT NULL AND ident IN ('a', 'd') THEN
    SELECT seqincrement INTO step FROM pg_sequence
     WHERE seqrelid = seq::regclass;
    EXECUTE 'SELECT CASE WHEN is_called THEN last_value + ' || step
      || ' ELSE last_value END FROM ' || seq INTO start_at;
  ELSIF seq IS NOT NULL THEN
    EXECUTE 'ALTER SEQUENCE ' || seq || ' OWNED BY NONE';
  END IF;
  DROP TRIGGER IF EXISTS {trigger} ON {table};
  DROP FUNCTION IF EXISTS {trigger}();
  ALTER TABLE {table} DROP COLUMN {key};
  ALTER TABLE {table} RENAME COLUMN {shadow} TO {key};
{self._rename_twins()}  ALTER TABLE {table} ALTER COLUMN {key} DROP DEFAULT;
  EXECUTE 'ALTER TABLE {_in_string(table)} ADD CONSTRAINT ' || quote_ident(pk)
    || ' PRIMARY KEY USING INDEX {_in_string(self.q(self.index))}';
  IF ident IN ('a', 'd') THEN
    EXECUTE 'ALTER TABLE {_in_string(table)} ALTER COLUMN {_in_string(key)} '
      || 'ADD GENERATED ' || CASE ident WHEN 'a' THEN 'ALWAYS'
      ELSE 'BY DEFAULT' END || ' AS IDENTITY (SEQUENCE NAME ' || seq
      || ' START WITH ' || start_at || ' INCREMENT BY ' || step || ')';
  ELSE
    IF seq IS NOT NULL THEN
      EXECUTE 'ALTER SEQUENCE ' || seq || ' AS {self.type_sql()} OWNED BY '
        || '{_in_string(table)}.{_in_string(key)}';
    END IF;
    IF dflt IS NOT NULL THEN
      EXECUTE 'ALTER TABLE {_in_string(table)} ALTER COLUMN '
        || '{_in_string(key)} SET DEFAULT ' || dflt;
    END IF;
  END IF;
  IF note IS NOT NULL THEN
    EXECUTE 'COMMENT ON COLUMN {_in_string(table)}.{_in_string(key)} IS '
      || quote_literal(note);
  END IF;
  FOREACH stmt IN ARRAY fks LOOP
    EXECUTE stmt;
  END LOOP;
END {TAG}"""

    def _validate_step(self) -> Step:
        return Step(
            f"validate the foreign keys that reference {self.op.target_name}",
            sql=f"""DO {TAG}
DECLARE fk record;
BEGIN
  FOR fk IN SELECT conrelid::regclass::text AS child, conname
              FROM pg_constraint
             WHERE contype = 'f' AND confrelid = {self._regclass()}
               AND NOT convalidated
  LOOP
    EXECUTE 'ALTER TABLE ' || fk.child || ' VALIDATE CONSTRAINT '
      || quote_ident(fk.conname);
  END LOOP;
END {TAG}""",
            autocommit=True,
        )

    def _carried(self) -> list[Carried]:
        """Plain indexes on the key (no expression, no predicate, no
        constraint of their own) and their twins on the shadow; none
        offline (``--sql`` carries none over)."""
        relation = self._regclass()
        rows = self.target.select(
            f"""SELECT c.relname, i.indisunique,
       array_to_string(ARRAY(
         SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(n, o)
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
          ORDER BY k.o), chr(31))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = {relation} AND NOT i.indisprimary
   AND i.indexprs IS NULL AND i.indpred IS NULL
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                    WHERE k.conindid = i.indexrelid)
   AND c.relname <> {_string(self.index)}
   AND c.relname NOT LIKE 'zd\\_wix\\_%'
   AND (SELECT attnum FROM pg_attribute WHERE attrelid = {relation}
        AND attname = {_string(self.op.column_name)}) = ANY (i.indkey)
 ORDER BY 1"""
        )
        carried = []
        for row in rows or ():
            name, unique, columns = tuple(row)
            key, shadow = self.op.column_name, self.op.shadow_name()
            twin = IndexSpec(
                naming.generated("wix", self.op.table_name, str(name)),
                self.op.table_name,
                tuple(
                    shadow if c == key else c
                    for c in str(columns).split("\x1f")
                ),
                unique=bool(unique),
            )
            carried.append(Carried(str(name), twin))
        return carried

    def _rename_twins(self) -> str:
        """The swap's renames of the twins, planned from the catalog."""
        return "".join(
            f"  ALTER INDEX {self.q(c.twin.name)} RENAME TO "
            f"{self.q(c.original)};\n"
            for c in self._carried()
        )

    def _refuse_dependents(self) -> None:
        """What the swap cannot carry over, refused with the reason: other
        indexes, constraints and views on the key, and a foreign key to it
        left NOT VALID (the swap validates them all)."""
        if self.target.inspector is None:
            return
        relation = self._regclass()
        name = _string(self.op.column_name)
        rows = self.target.select(
            f"""SELECT 'index ' || c.relname FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = {relation} AND NOT i.indisprimary
   AND c.relname <> {_string(self.index)}
   AND (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL
        OR EXISTS (SELECT 1 FROM pg_constraint k
                    WHERE k.conindid = i.indexrelid))
   AND (SELECT attnum FROM pg_attribute WHERE attrelid = {relation}
        AND attname = {name}) = ANY (i.indkey)
UNION ALL
SELECT 'constraint ' || conname FROM pg_constraint
 WHERE conrelid = {relation} AND contype <> 'p'
   AND (SELECT attnum FROM pg_attribute WHERE attrelid = {relation}
        AND attname = {name}) = ANY (conkey)
UNION ALL
SELECT DISTINCT 'view ' || v.oid::regclass::text FROM pg_depend d
  JOIN pg_rewrite r ON r.oid = d.objid
  JOIN pg_class v ON v.oid = r.ev_class
 WHERE d.refobjid = {relation} AND v.oid <> {relation}
   AND d.refobjsubid = (SELECT attnum FROM pg_attribute
        WHERE attrelid = {relation} AND attname = {name})
UNION ALL
SELECT 'NOT VALID foreign key ' || conname FROM pg_constraint
 WHERE contype = 'f' AND confrelid = {relation} AND NOT convalidated
 ORDER BY 1"""
        )
        if rows:
            found = ", ".join(str(row[0]) for row in rows)
            self.op.refuse(
                f"the swap cannot carry {found} over to the new column; "
                "drop (or validate) it first, widen, then create it again"
            )


def _string(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in_string(sql: str) -> str:
    """``sql`` written inside a string literal (quotes doubled)."""
    return sql.replace("'", "''")
