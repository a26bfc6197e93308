"""Every online operation that generates names, on tables and columns whose
names hold a space, a quote, a backtick, a dash, a reserved word, non-ASCII
letters, or as many characters (or bytes) as the database allows.

Each runs expand, both releases writing, rollback, expand again, the
backfill and contract, and checks the data at each step.  Two operations
on one table each get their own triggers, however long the table's name.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from apps import column_writer, engine_for, move_writers
from identifiers import CASES, bookkeeping, literal, names
from online import Writer, base_schema, downgrade, ok, online, schema

from zerodown.migrations.errors import OperationRefused
from zerodown.migrations.operations import (
    AddForeignKey,
    SetNotNull,
    Target,
    naming,
)


@pytest.fixture(params=CASES)
def app(request, project):
    engine = engine_for(project.database.url)
    bookkeeping(engine)
    yield project, engine, names(request.param, project.database.backend)
    engine.dispose()


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


def _write(*writers: Writer, times: int = 15) -> None:
    for _ in range(times):
        for writer in writers:
            writer.step()


def _generated(engine: sa.Engine) -> list[str]:
    """The names of the triggers and functions zerodown made."""
    found = schema(engine)
    functions = [name for (name,) in found.get("functions", [])]
    return [n for n in [*found["triggers"], *functions] if n.startswith("zd_")]


def _own_names_fit(engine: sa.Engine, expected: int) -> None:
    triggers = [n for n in schema(engine)["triggers"] if n.startswith("zd_")]
    assert len(triggers) == len(set(triggers)) == expected, triggers
    assert all(len(n.encode()) <= naming.MAX_BYTES for n in triggers)


def _triggers_per_sync(backend: str) -> int:
    return {"postgresql": 1, "mysql": 2, "sqlite": 3}[backend]


def test_rename_column(app):
    project, engine, n = app
    base_schema(project, _table(n.table, n.old, n.old2))
    before = schema(engine)
    old = Writer("old", engine, column_writer(n.table, n.old, n.old2))
    new = Writer("new", engine, column_writer(n.table, n.new, n.new2))
    _write(old)
    # Two operations on one table: their triggers must not share names.
    first = _zop("rename_column", n.table, n.old, n.new)
    second = _zop("rename_column", n.table, n.old2, n.new2)
    online(project, f"{first}; {second}", undo=f"{second}; {first}")
    ok(project.zerodown("expand"))
    _own_names_fit(engine, 2 * _triggers_per_sync(project.database.backend))
    _write(old, new)
    ok(project.zerodown("migrate"))
    for a, b, c, d in _rows(
        engine, n.table, [n.old, n.new, n.old2, n.new2]
    ).values():
        assert a == b == c == d
    downgrade(project, "expand@-1")
    assert schema(engine) == before
    expected = {**old.owned, **new.owned}
    assert _values(engine, n.table, n.old, n.old2) == expected

    ok(project.zerodown("expand"))
    _write(old, new)
    ok(project.zerodown("migrate"))
    ok(project.zerodown("contract"))
    _write(new)
    assert _values(engine, n.table, n.new, n.new2) == {
        **old.owned,
        **new.owned,
    }
    assert _generated(engine) == []


def _values(engine: sa.Engine, table: str, *columns: str) -> dict[int, str]:
    """Each row's value, which every one of ``columns`` holds."""
    found = {}
    for row, values in _rows(engine, table, columns).items():
        assert len(set(values)) == 1, (row, values)
        found[row] = values[0]
    return found


def test_move_column(app):
    project, engine, n = app
    base_schema(
        project,
        # The new release inserts source rows without the column.
        f"{_table(n.table, n.old, key=n.key, strict=False)}\n"
        f"{_table(n.other, key=n.key)}",
    )
    before = schema(engine)
    old_write, new_write = move_writers(n.table, n.other, n.key, n.old)
    old, new = (
        Writer("old", engine, old_write),
        Writer("new", engine, new_write),
    )
    _write(old)
    online(
        project,
        _zop("move_column", n.table, n.old, n.other, {n.key: n.key}),
    )
    ok(project.zerodown("expand"))
    _write(old, new)
    ok(project.zerodown("migrate"))
    assert _moved(engine, n) == {**old.owned, **new.owned}
    downgrade(project, "expand@-1")
    assert schema(engine) == before
    assert _values(engine, n.table, n.old) == {**old.owned, **new.owned}

    ok(project.zerodown("expand"))
    _write(old, new)
    ok(project.zerodown("migrate"))
    ok(project.zerodown("contract"))
    _write(new)
    assert _moved(engine, n) == {**old.owned, **new.owned}
    assert _generated(engine) == []


def _moved(engine: sa.Engine, n) -> dict[int, str]:
    """Source id -> the moved column, read on both sides while both
    exist (they must agree), else on the target."""
    columns = {c[0] for c in schema(engine)[n.table]["columns"]}
    with engine.connect() as conn:
        both = n.old in columns
        kept = [n.old] if both else []
        source = sa.table(
            n.table, *(sa.column(c) for c in ["id", n.key, *kept])
        )
        target = sa.table(n.other, sa.column(n.key), sa.column(n.old))
        query = sa.select(source, target.c[n.old]).join(
            target, target.c[n.key] == source.c[n.key]
        )
        rows = conn.execute(query).all()
    if both:
        assert all(row[2] == row[3] for row in rows), rows
    return {row[0]: row[-1] for row in rows}


def test_add_column_filled_on_writes(app):
    project, engine, n = app
    base_schema(project, _table(n.table, n.old))
    before = schema(engine)
    old = Writer("old", engine, column_writer(n.table, n.old))
    _write(old)
    column = f"sa.Column({literal(n.new)}, sa.String(100), nullable=False)"
    call = (
        f"zop.add_column({literal(n.table)}, {column}, "
        f"backfill_sql={literal('{' + n.old + '}')})"
    )
    online(project, call)
    ok(project.zerodown("expand"))
    assert _generated(engine)
    downgrade(project, "expand@-1")
    assert schema(engine) == before

    ok(project.zerodown("expand"))
    seeded = dict(old.owned)
    _write(old)
    ok(project.zerodown("migrate"))
    ok(project.zerodown("contract"))
    filled = _rows(engine, n.table, [n.old, n.new])
    assert all(value is not None for _, value in filled.values())
    # The backfill copied the rows nobody wrote since (a write after
    # expand fills the column once, from the value it had then).
    untouched = [row for row in seeded if old.owned[row] == seeded[row]]
    assert untouched
    assert all(filled[row] == (seeded[row],) * 2 for row in untouched)
    assert _generated(engine) == []
    assert _nullable(engine, n.table, n.new) is False


def _nullable(engine: sa.Engine, table: str, column: str) -> bool:
    columns = schema(engine)[table]["columns"]
    return bool({c[0]: c[2] for c in columns}[column])


def test_set_not_null_with_a_fill(app):
    project, engine, n = app
    base_schema(project, _table(n.table, n.old, n.new))
    before = schema(engine)
    old = Writer("old", engine, column_writer(n.table, n.old))
    _write(old)  # every row's n.new is NULL
    call = (
        f"zop.set_not_null({literal(n.table)}, {literal(n.new)}, "
        f"backfill_sql={literal('{' + n.old + '}')})"
    )
    online(project, call)
    ok(project.zerodown("expand"))
    if project.database.backend == "postgresql":
        check = SetNotNull(n.table, n.new).check_name
        assert schema(engine)[n.table]["checks"] == [check]
    downgrade(project, "expand@-1")
    assert schema(engine) == before

    ok(project.zerodown("expand"))
    _write(old)
    ok(project.zerodown("migrate"))
    ok(project.zerodown("contract"))
    assert _nullable(engine, n.table, n.new) is False
    filled = _rows(engine, n.table, [n.new]).values()
    assert all(value is not None for (value,) in filled)
    assert _generated(engine) == []
    if project.database.backend == "postgresql":
        assert schema(engine)[n.table]["checks"] == []


def test_rename_table(app):
    project, engine, n = app
    if project.database.backend == "sqlite":
        pytest.skip("capability: updatable views (refused on SQLite)")
    base_schema(project, _table(n.table, n.old))
    before = schema(engine)
    old = Writer("old", engine, column_writer(n.table, n.old))
    new = Writer("new", engine, column_writer(n.other, n.old))
    _write(old)
    online(project, _zop("rename_table", n.table, n.other))
    ok(project.zerodown("expand"))
    _write(old, new)
    downgrade(project, "expand@-1")
    assert schema(engine) == before
    assert _values(engine, n.table, n.old) == {**old.owned, **new.owned}

    ok(project.zerodown("expand"))
    _write(old, new)
    ok(project.zerodown("contract"))
    _write(new)
    assert _values(engine, n.other, n.old) == {**old.owned, **new.owned}
    assert schema(engine)["views"] == []


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
