"""The online operations as one table: a :class:`Case` says what one
operation does to a schema while two releases write, :func:`drive` runs it
(in the manner of pgroll's operation tests: one driver, a row per case,
checks after each phase).

A case runs through these phases, on every backend it applies to:

1. the base schema, ``seed`` rows, then rows of the old release;
2. ``expand`` while the old release writes; the new release starts:
   ``expanded`` holds;
3. ``migrate`` (cases with a ``backfill``) while both write: ``migrated``
   (a ``partial`` case stops migrate early and checks it in step 5);
4. rollback: the new release goes first, then ``downgrade expand@-1``
   while the old release writes: the schema is what it was before, and
   ``rolled_back`` holds;
5. ``expand`` again (the same schema as the first time) and ``migrate``,
   both writing (``migrated``); the old release goes; ``contract`` while the new release
   writes: nothing zerodown made is left and ``contracted`` holds;
6. ``downgrade contract@-1``: refused (the data is gone), back to the
   schema after expand, or what ``uncontract`` checks.

Between two phases every running writer makes :data:`WRITES` writes
(waited for, not slept for), so each release writes against each shape of
the schema; any write that fails fails the case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from apps import Write, Writer, engine_for
from identifiers import bookkeeping
from online import (
    base_schema,
    downgrade,
    leftovers,
    migrate_until_done,
    ok,
    online,
    schema,
)

from zerodown.migrations.operations.reflected import Reflected

BACKENDS = ("sqlite", "postgresql", "mysql")
Check = Callable[["Run"], None]
WRITES = 5  # each running writer's writes between two phases


@dataclass
class Run:
    """One case on one backend, as the checks see it."""

    project: Any
    engine: sa.Engine
    old: Writer
    new: Writer
    before: dict[str, Any] = field(default_factory=dict)  # schema
    expanded: dict[str, Any] = field(default_factory=dict)

    @property
    def backend(self) -> str:
        return str(self.project.database.backend)

    def written(self) -> dict[int, str]:
        """Each row either release wrote, with the value it wrote last."""
        return {**self.old.owned, **self.new.owned}

    def phase(self, name: str, *writers: Writer) -> None:
        """``name`` started: wait for ``WRITES`` writes of each writer."""
        marks = {writer: writer.writes for writer in writers}
        for writer, mark in marks.items():
            try:
                writer.wait_writes(WRITES, since=mark)
            except AssertionError as err:
                raise AssertionError(f"after {name}: {err}") from err

    def schema(self) -> dict[str, Any]:
        return schema(self.engine)

    def check(self, hook: Check, *writers: Writer) -> None:
        """Run ``hook`` on a quiet database: ``writers`` pause for it (a
        write between two reads would make the check see half of it)."""
        for writer in writers:
            writer.pause()
        hook(self)
        for writer in writers:
            writer.resume()

    def rows(self, table: str, *columns: str) -> dict[int, tuple[Any, ...]]:
        t = sa.table(table, sa.column("id"), *map(sa.column, columns))
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(t).order_by(t.c.id))
            return {row[0]: tuple(row[1:]) for row in found}

    def values(self, table: str, *columns: str) -> dict[int, Any]:
        """Each row's value, which every one of ``columns`` holds."""
        found = {}
        for row, values in self.rows(table, *columns).items():
            assert len(set(values)) == 1, (row, values)
            found[row] = values[0]
        return found

    def columns(self, table: str) -> dict[str, tuple[Any, ...]]:
        """Name -> (name, type, nullable, default), as reflected."""
        with self.engine.connect() as conn:
            found = Reflected(sa.inspect(conn)).get_columns(table)
        return {
            c["name"]: (c["name"], str(c["type"]), c["nullable"], c["default"])
            for c in found
        }

    def nullable(self, table: str, column: str) -> bool:
        return bool(self.columns(table)[column][2])


def nothing(run: Run) -> None:
    """No check beyond the driver's own."""


@dataclass(frozen=True)
class Case:
    """One operation's row of the table."""

    call: str  # the zop call, in the expand and the contract revision
    schema: str | Callable[[str], str]  # the base revision (per backend)
    old: Write  # the release before the change
    new: Write  # the release after it
    label: str = ""  # tells two cases of one operation apart
    seed: Callable[[sa.Engine], None] | None = None  # rows set up first
    seeded: int = 20  # rows the old release writes before the upgrade
    backfill: bool = False  # whether migrate has rows to move
    # The rollback comes after a partial migrate (--max-count 100) rather
    # than a complete one.
    partial: bool = False
    backends: tuple[str, ...] = BACKENDS
    elsewhere: str = ""  # why not on the other backends (a plain test)
    engine: Callable[[str], sa.Engine] = engine_for
    expanded: Check = nothing
    migrated: Check = nothing
    rolled_back: Check = nothing
    contracted: Check = nothing
    # Undoing contract: "refused", "expanded" (back to the schema after
    # expand) or a check.
    uncontract: str | Check = "refused"

    @property
    def operation(self) -> str:
        """The ``zop`` name the case covers (read from its call)."""
        return self.call.split("(", 1)[0].removeprefix("zop.")

    @property
    def id(self) -> str:
        return (
            f"{self.operation}-{self.label}" if self.label else self.operation
        )


def drive(case: Case, project: Any) -> None:
    """Run ``case`` through every phase on ``project``'s database."""
    backend = project.database.backend
    if backend not in case.backends:
        pytest.skip(f"capability: {case.elsewhere}")
    body = (
        case.schema if isinstance(case.schema, str) else case.schema(backend)
    )
    base_schema(project, body)
    engine = case.engine(project.database.url)
    run = Run(
        project,
        engine,
        Writer("old", engine, case.old),
        Writer("new", engine, case.new),
    )
    try:
        _phases(case, run)
    finally:
        for writer in (run.old, run.new):
            if writer.ident is not None:  # started
                writer.stop()
        engine.dispose()


def _phases(case: Case, run: Run) -> None:
    project, engine, old, new = run.project, run.engine, run.old, run.new
    bookkeeping(engine)  # so that the schema before compares with after
    if case.seed is not None:
        case.seed(engine)
    for _ in range(case.seeded):
        old.step()
    run.before = schema(engine)
    online(project, case.call)
    old.start()
    run.phase("start", old)

    ok(project.zerodown("expand"))
    run.expanded = schema(engine)
    new.start()
    run.phase("expand", old, new)
    run.check(case.expanded, old, new)
    if case.backfill and case.partial:
        result = project.zerodown("migrate", "--max-count", "100")
        assert result.exit_code in (0, 1), result.output
        run.phase("migrate, in part", old, new)
    elif case.backfill:
        migrate_until_done(project)
        run.phase("migrate", old, new)
        run.check(case.migrated, old, new)

    new.pause()  # a rollback takes the new release away first
    downgrade(project, "expand@-1")
    run.phase("rollback", old)
    assert schema(engine) == run.before
    run.check(case.rolled_back, old)

    ok(project.zerodown("expand"))
    assert schema(engine) == run.expanded
    new.resume()
    run.phase("expand again", old, new)
    if case.backfill:
        migrate_until_done(project)
        run.phase("migrate again", old, new)
        run.check(case.migrated, old, new)
    old.stop()  # contract waits for the last old release to go
    old.check()
    ok(project.zerodown("contract"))
    run.phase("contract", new)
    new.stop()
    new.check()
    assert leftovers(engine) == []
    case.contracted(run)

    _uncontract(case, run)


def _uncontract(case: Case, run: Run) -> None:
    if case.uncontract == "refused":
        contracted = schema(run.engine)
        with pytest.raises(Exception, match=r"removed the old shape"):
            downgrade(run.project, "contract@-1")
        assert schema(run.engine) == contracted
        return
    downgrade(run.project, "contract@-1")
    if case.uncontract == "expanded":
        assert schema(run.engine) == run.expanded
    else:
        assert callable(case.uncontract)
        case.uncontract(run)
