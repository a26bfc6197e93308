"""Every online operation that generates names, on tables and columns whose
names hold a space, a quote, a backtick, a dash, a reserved word, non-ASCII
letters, or as many characters (or bytes) as the database allows.

Each operation runs as cases of the table's driver (``online_table``),
one case per kind of name, all at once on one database: expand, both
releases writing, rollback, expand again, the backfill and contract,
with the data checked at each step.  Two operations on one table each
get their own triggers, however long the table's name.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from apps import column_writer, engine_for, move_writers
from identifiers import CASES, Names, bookkeeping, literal, names
from online import (
    base_schema,
    downgrade,
    ok,
    online,
    schema,
    table_triggers,
)
from online_table import Case, Run, drive

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import (
    AddForeignKey,
    SetNotNull,
    Target,
    naming,
)


def _every(project) -> list[Names]:
    """Each kind of awkward name, as the backend allows it."""
    return [names(case, project.database.backend) for case in CASES]


def _table(
    name: str, *columns: str, key: str | None = None, strict: bool = True
) -> str:
    """``op.create_table`` of ``name``: an id, String columns (the first
    NOT NULL if ``strict``) and a unique ``key``."""
    parts = ["sa.Column('id', sa.Integer, primary_key=True)"]
    for index, column in enumerate(columns):
        nullable = "True" if index or not strict else "False"
        parts.append(
            f"sa.Column({literal(column)}, sa.String(100), "
            f"nullable={nullable})"
        )
    if key is not None:
        parts.append(f"sa.Column({literal(key)}, sa.String(36), unique=True)")
    return f"op.create_table({literal(name)}, {', '.join(parts)})"


def _zop(name: str, *args: object) -> str:
    rendered = ", ".join(
        literal(a) if isinstance(a, str) else str(a) for a in args
    )
    return f"zop.{name}({rendered})"


def _rows(
    engine: sa.Engine, table: str, columns: Sequence[str]
) -> dict[int, tuple[object, ...]]:
    t = sa.table(table, sa.column("id"), *(sa.column(c) for c in columns))
    with engine.connect() as conn:
        found = conn.execute(sa.select(t).order_by(t.c.id))
        return {row[0]: tuple(row[1:]) for row in found}


def _triggers_per_sync(backend: str) -> int:
    return {"postgresql": 1, "mysql": 2, "sqlite": 3}[backend]


def _rename_column(n: Names) -> Case:
    # Two operations on one table: their triggers must not share names.
    first = _zop("rename_column", n.table, n.old, n.new)
    second = _zop("rename_column", n.table, n.old2, n.new2)

    def own_names_fit(run: Run) -> None:
        found = table_triggers(run.engine, n.table)
        expected = 2 * _triggers_per_sync(run.backend)
        assert len(found) == len(set(found)) == expected, (n.table, found)
        assert all(len(t.encode()) <= naming.MAX_BYTES for t in found)

    return Case(
        call=f"{first}; {second}",
        undo=f"{second}; {first}",
        schema=_table(n.table, n.old, n.old2),
        old=column_writer(n.table, n.old, n.old2),
        new=column_writer(n.table, n.new, n.new2),
        backfill=True,
        expanded=own_names_fit,
        migrated=lambda run: _same(run, n.table, n.old, n.new, n.old2, n.new2),
        rolled_back=lambda run: _same(run, n.table, n.old, n.old2),
        contracted=lambda run: _same(run, n.table, n.new, n.new2),
    )


def _same(run: Run, table: str, *columns: str) -> None:
    """Every one of ``columns`` holds what the releases last wrote."""
    assert run.values(table, *columns) == run.written(), table


def test_rename_column(project):
    drive(project, *map(_rename_column, _every(project)), threads=False)


def _move_column(n: Names) -> Case:
    old, new = move_writers(n.table, n.other, n.key, n.old)
    return Case(
        call=_zop("move_column", n.table, n.old, n.other, {n.key: n.key}),
        # The new release inserts source rows without the column.
        schema=f"{_table(n.table, n.old, key=n.key, strict=False)}\n"
        f"{_table(n.other, key=n.key)}",
        old=old,
        new=new,
        backfill=True,
        migrated=lambda run: _moved(run, n),
        rolled_back=lambda run: _same(run, n.table, n.old),
        contracted=lambda run: _moved(run, n),
    )


def _moved(run: Run, n: Names) -> None:
    """The moved column holds what the releases last wrote, read on
    both sides while both exist (they must agree), else on the target."""
    both = n.old in run.columns(n.table)
    kept = [n.old] if both else []
    source = sa.table(n.table, *(sa.column(c) for c in ["id", n.key, *kept]))
    target = sa.table(n.other, sa.column(n.key), sa.column(n.old))
    query = sa.select(source, target.c[n.old]).join(
        target, target.c[n.key] == source.c[n.key]
    )
    with run.engine.connect() as conn:
        rows = conn.execute(query).all()
    if both:
        assert all(row[2] == row[3] for row in rows), rows
    assert {row[0]: row[-1] for row in rows} == run.written(), n.table


def test_move_column(project):
    drive(project, *map(_move_column, _every(project)), threads=False)


def _add_column(n: Names) -> Case:
    column = f"sa.Column({literal(n.new)}, sa.String(100), nullable=False)"
    expanded: dict[int, str] = {}  # each row's value when expand ran

    def filled(run: Run) -> None:
        assert table_triggers(run.engine, n.table)
        expanded.update(run.written())

    def required(run: Run) -> None:
        assert run.nullable(n.table, n.new) is False
        rows = _rows(run.engine, n.table, [n.old, n.new])
        assert all(value is not None for _, value in rows.values())
        # The backfill copied the rows nobody wrote since (a write after
        # expand fills the column once, from the value it had then).
        written = run.written()
        untouched = [r for r, v in expanded.items() if written[r] == v]
        assert untouched, n.table
        assert all(rows[r] == (expanded[r],) * 2 for r in untouched)

    return Case(
        call=f"zop.add_column({literal(n.table)}, {column}, "
        f"backfill_sql={literal('{' + n.old + '}')})",
        schema=_table(n.table, n.old),
        old=column_writer(n.table, n.old),
        new=column_writer(n.table, n.old, n.new),
        seeded=40,  # rows enough that some stay untouched
        backfill=True,
        expanded=filled,
        rolled_back=lambda run: _same(run, n.table, n.old),
        contracted=required,
        uncontract=lambda run: _nullable_again(run, n.table, n.new),
    )


def _nullable_again(run: Run, table: str, column: str) -> None:
    assert run.nullable(table, column) is True


def test_add_column_filled_on_writes(project):
    drive(project, *map(_add_column, _every(project)), threads=False)


def _set_not_null(n: Names) -> Case:
    check = SetNotNull(n.table, n.new).check_name

    def checked(run: Run) -> None:
        if run.backend == "postgresql":
            assert run.schema()[n.table]["checks"] == [check]

    def required(run: Run) -> None:
        assert run.nullable(n.table, n.new) is False
        filled = _rows(run.engine, n.table, [n.new]).values()
        assert all(value is not None for (value,) in filled)
        if run.backend == "postgresql":
            assert run.schema()[n.table]["checks"] == []

    return Case(
        call=f"zop.set_not_null({literal(n.table)}, {literal(n.new)}, "
        f"backfill_sql={literal('{' + n.old + '}')})",
        schema=_table(n.table, n.old, n.new),
        old=column_writer(n.table, n.old),  # every row's n.new is NULL
        new=column_writer(n.table, n.old, n.new),
        backfill=True,
        expanded=checked,
        contracted=required,
        uncontract="expanded",
    )


def test_set_not_null_with_a_fill(project):
    drive(project, *map(_set_not_null, _every(project)), threads=False)


def _rename_table(n: Names) -> Case:
    def renamed(run: Run) -> None:
        _same(run, n.other, n.old)
        assert run.schema()["views"] == []

    return Case(
        call=_zop("rename_table", n.table, n.other),
        schema=_table(n.table, n.old),
        old=column_writer(n.table, n.old),
        new=column_writer(n.other, n.old),
        backends=("postgresql", "mysql"),
        elsewhere="updatable views (refused on SQLite)",
        rolled_back=lambda run: _same(run, n.table, n.old),
        contracted=renamed,
        uncontract="expanded",
    )


def test_rename_table(project):
    drive(project, *map(_rename_table, _every(project)), threads=False)


@pytest.fixture(params=CASES)
def app(request, project):
    engine = engine_for(project.database.url)
    bookkeeping(engine)
    yield project, engine, names(request.param, project.database.backend)
    engine.dispose()


def test_indexes_and_keys(app):
    """The operations whose names the user gives: quoted all the same."""
    project, engine, n = app
    base_schema(
        project,
        f"{_table(n.table, n.old, key=n.key)}\n"
        f"{_table(n.other, n.new, key=n.key)}",
    )
    with engine.begin() as conn:
        row = {n.old: "a", n.key: "k"}
        conn.execute(sa.table(n.table, *map(sa.column, row)).insert(), row)
        row = {n.new: "b", n.key: "k"}
        conn.execute(sa.table(n.other, *map(sa.column, row)).insert(), row)
    before = schema(engine)
    index, unique, key = n.index, n.unique, n.fkey
    add_key = _zop("add_foreign_key", key, n.other, n.table, [n.key], [n.key])
    calls = [
        _zop("create_index", index, n.table, [n.old]),
        _zop("add_unique", unique, n.other, [n.new]),
    ]
    readable = _key_readable(project.database.backend, n)
    online(project, "; ".join([*calls, add_key] if readable else calls))
    ok(project.zerodown("expand"))
    ok(project.zerodown("contract"))
    found = schema(engine)
    assert index in [i[0] for i in found[n.table]["indexes"]]
    assert unique in [u[0] for u in found[n.other]["uniques"]] + [
        i[0] for i in found[n.other]["indexes"]
    ]
    if readable:
        assert found[n.other]["fks"] == [(key, (n.key,), n.table)]
    online(project, _zop("drop_index", index, n.table, [n.old]), "drop")
    ok(project.zerodown("expand"))
    ok(project.zerodown("contract"))
    assert index not in [i[0] for i in schema(engine)[n.table]["indexes"]]
    downgrade(project, "contract@-1")  # rebuilds the dropped index
    downgrade(project, "contract@-1")
    downgrade(project, "expand@-2")
    assert schema(engine) == before


def _key_readable(backend: str, n) -> bool:
    """Whether SQLAlchemy reads the key back: not with a double quote in
    its names on SQLite, a backtick on MySQL (add_foreign_key refuses it,
    as tested here)."""
    quote = {"sqlite": '"', "mysql": "`"}.get(backend)
    if not quote or quote not in n.fkey + n.table + n.key:
        return True
    key = AddForeignKey(n.fkey, n.other, n.table, [n.key], [n.key])
    with pytest.raises(OperationRefused, match="cannot read back a key"):
        key.validate(Target(backend))
    return False
