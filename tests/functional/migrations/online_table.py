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
   both writing (``migrated``); the old release goes; ``contract`` while
   the new release writes: nothing zerodown made is left and
   ``contracted`` holds;
6. ``downgrade contract@-1``: refused (the data is gone), back to the
   schema after expand, or what ``uncontract`` checks.

Between two phases every running writer makes :data:`WRITES` writes
(waited for, not slept for), so each release writes against each shape of
the schema; any write that fails fails the case.  Several cases can run
together on one database (``test_online_identifiers.py`` runs one per
kind of awkward name): their calls share one revision pair, each keeps
its own tables and releases.
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

    def schema(self) -> dict[str, Any]:
        return schema(self.engine)

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
    undo: str | None = None  # the downgrade's calls, if not ``call``

    @property
    def operation(self) -> str:
        """The ``zop`` name the case covers (read from its call)."""
        return self.call.split("(", 1)[0].removeprefix("zop.")

    def body(self, backend: str) -> str:
        return (
            self.schema
            if isinstance(self.schema, str)
            else self.schema(backend)
        )

    @property
    def id(self) -> str:
        return (
            f"{self.operation}-{self.label}" if self.label else self.operation
        )


def drive(project: Any, *cases: Case, threads: bool = True) -> None:
    """Run ``cases`` through every phase on ``project``'s database, all
    at once (one revision pair holds their calls; each case has its own
    tables and its own pair of releases).  Without ``threads``, the
    releases write between the phases only, from the test's thread (many
    cases at once would queue a dozen writers on SQLite's file lock)."""
    backend = project.database.backend
    first = cases[0]
    if backend not in first.backends:
        pytest.skip(f"capability: {first.elsewhere}")
    base_schema(project, "\n".join(c.body(backend) for c in cases))
    engine = first.engine(project.database.url)
    runs = [
        Run(
            project,
            engine,
            Writer(f"old{i}", engine, case.old),
            Writer(f"new{i}", engine, case.new),
        )
        for i, case in enumerate(cases)
    ]
    try:
        _phases(list(zip(cases, runs, strict=True)), threads)
    finally:
        for run in runs:
            run.old.stop()
            run.new.stop()
        engine.dispose()


Pairs = list[tuple[Case, Run]]


def _phases(pairs: Pairs, threads: bool) -> None:
    run = pairs[0][1]
    project, engine = run.project, run.engine
    olds = [r.old for _, r in pairs]
    news = [r.new for _, r in pairs]
    bookkeeping(engine)  # so that the schema before compares with after
    for case, r in pairs:
        if case.seed is not None:
            case.seed(engine)
        for _ in range(case.seeded):
            r.old.step()
    before = schema(engine)
    online(
        project,
        "\n".join(c.call for c, _ in pairs),
        undo="; ".join(c.undo or c.call for c, _ in reversed(pairs)),
    )
    if threads:
        _start(olds)
    _phase("start", olds)

    ok(project.zerodown("expand"))
    expanded = schema(engine)
    for _, r in pairs:
        r.before, r.expanded = before, expanded
    if threads:
        _start(news)
    _phase("expand", olds + news)
    _check(pairs, "expanded", olds + news)
    backfill = any(c.backfill for c, _ in pairs)
    if backfill and any(c.partial for c, _ in pairs):
        result = project.zerodown("migrate", "--max-count", "100")
        assert result.exit_code in (0, 1), result.output
        _phase("migrate, in part", olds + news)
    elif backfill:
        migrate_until_done(project)
        _phase("migrate", olds + news)
        _check(pairs, "migrated", olds + news)

    for writer in news:
        writer.pause()  # a rollback takes the new release away first
    downgrade(project, "expand@-1")
    _phase("rollback", olds)
    assert schema(engine) == before
    _check(pairs, "rolled_back", olds)

    ok(project.zerodown("expand"))
    assert schema(engine) == expanded
    for writer in news:
        writer.resume()
    _phase("expand again", olds + news)
    if backfill:
        migrate_until_done(project)
        _phase("migrate again", olds + news)
        _check(pairs, "migrated", olds + news)
    _stop(olds)  # contract waits for the last old release to go
    ok(project.zerodown("contract"))
    _phase("contract", news)
    _stop(news)
    assert leftovers(engine) == []
    _check(pairs, "contracted", [])

    contracted = schema(engine)
    refused = {c.uncontract == "refused" for c, _ in pairs}
    assert len(refused) == 1, "cases run together undo contract alike"
    if refused == {True}:
        with pytest.raises(Exception, match=r"removed the old shape"):
            downgrade(project, "contract@-1")
        assert schema(engine) == contracted
        return
    downgrade(project, "contract@-1")
    for case, r in pairs:
        if case.uncontract == "expanded":
            assert schema(engine) == expanded
        else:
            assert callable(case.uncontract), case.uncontract
            case.uncontract(r)


def _start(writers: list[Writer]) -> None:
    for writer in writers:
        writer.start()


def _stop(writers: list[Writer]) -> None:
    for writer in writers:
        writer.stop()
        writer.check()


def _phase(name: str, writers: list[Writer]) -> None:
    """``name`` started: wait for ``WRITES`` writes of each writer (a
    writer not started makes them now)."""
    marks = {writer: writer.writes for writer in writers}
    for writer, mark in marks.items():
        if writer.ident is None:
            for _ in range(WRITES):
                writer.step()
        try:
            writer.wait_writes(WRITES, since=mark)
        except AssertionError as err:
            raise AssertionError(f"after {name}: {err}") from err


def _check(pairs: Pairs, hook: str, writers: list[Writer]) -> None:
    """Each case's ``hook`` on a quiet database: ``writers`` pause for
    it (a write between two reads would make a check see half of it)."""
    for writer in writers:
        writer.pause()
    for case, run in pairs:
        getattr(case, hook)(run)
    for writer in writers:
        writer.resume()
