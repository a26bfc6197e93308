"""Helpers for the online-operation tests: a table, the same ``zop`` call
in an expand and a contract revision, the schema as comparable data."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.config import main as alembic_main
from apps import Writer as Writer  # the tests import it from here

from zerodown.migrations.operations.reflected import Reflected

ZOP = "from zerodown.migrations.operations import zop\n"
FAST_LOCKS = {
    "ZERODOWN_LOCK_TIMEOUT": "0.3",
    "ZERODOWN_LOCK_RETRIES": "20",
    "ZERODOWN_LOCK_RETRY_DELAY": "0.1",
}


def base_schema(project, body: str) -> None:
    """Run an expand revision with ``body`` (plain Alembic ops)."""
    (script,) = project.revision("base schema")
    project.write_upgrade(script, body)
    result = project.zerodown("expand")
    assert result.exit_code == 0, result.output


def online(
    project,
    call: str,
    message: str = "online",
    expand=True,
    undo: str | None = None,
):
    """The expand and the contract revision, each calling ``call`` in
    upgrade() and downgrade() (only the contract one if not ``expand``);
    ``undo``, if given, is the downgrade's call instead (the calls of
    several operations, in reverse order)."""
    expand_script, contract = project.revision(message, "--contract")
    scripts = (expand_script, contract) if expand else (contract,)
    for script in scripts:
        project.write_upgrade(script, call, header=ZOP)
        text = script.read_text().replace(
            "def downgrade() -> None:\n    pass",
            f"def downgrade() -> None:\n    {undo or call}",
        )
        script.write_text(text)
    return expand_script, contract


def ok(result) -> None:
    assert result.exit_code == 0, result.output


def migrate_until_done(project) -> None:
    """``zerodown db migrate`` until it reports every backfill done (it
    stops early, exit 1, when its time or row budget runs out)."""
    for _ in range(20):
        result = project.zerodown("migrate")
        if result.exit_code == 0:
            return
        assert result.exit_code == 1, result.output
    raise AssertionError("migrate did not finish")


def in_order(output: str, expected: list[str]) -> bool:
    """Whether ``expected`` lines appear in ``output`` in that order."""
    lines = iter(line for line in output.splitlines() if line)
    return all(any(line == wanted for line in lines) for wanted in expected)


def downgrade(project, target: str) -> None:
    """``alembic downgrade target`` (``expand@-1``, ``contract@-1``)."""
    alembic_main(["-c", str(project.ini), "downgrade", target])


def schema(engine: sa.Engine) -> dict[str, Any]:
    """Everything an operation could leave behind, comparable with ==."""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        tables = sorted(inspector.get_table_names())
        found: dict[str, Any] = {
            "views": sorted(inspector.get_view_names()),
            "triggers": triggers(conn),
        }
        for table in tables:
            found[table] = _table(conn, inspector, table)
        if conn.dialect.name == "postgresql":
            found["functions"] = _rows(
                conn,
                "SELECT proname FROM pg_proc WHERE pronamespace = "
                "current_schema()::regnamespace ORDER BY 1",
            )
            found["indexes"] = _rows(
                conn,
                "SELECT c.relname, i.indisvalid FROM pg_index i JOIN "
                "pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = "
                "current_schema()::regnamespace ORDER BY 1",
            )
    return found


def _table(conn, inspector, table: str) -> dict[str, Any]:
    # What operations read (MySQL's reflection leaves `` in names).
    reflected = Reflected(inspector)
    described: dict[str, Any] = {
        "columns": [
            (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
            for c in reflected.get_columns(table)
        ],
        "indexes": sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in reflected.get_indexes(table)
        ),
        "uniques": sorted(
            (u["name"], tuple(u["column_names"]))
            for u in reflected.get_unique_constraints(table)
        ),
        "fks": sorted(
            (f["name"], tuple(f["constrained_columns"]), f["referred_table"])
            for f in reflected.get_foreign_keys(table)
        ),
    }
    if conn.dialect.name == "postgresql":
        described["checks"] = sorted(
            c["name"] for c in inspector.get_check_constraints(table)
        )
    return described


def leftovers(engine: sa.Engine) -> list[str]:
    """What zerodown made and has not removed: its triggers, functions,
    tables and columns (named ``zd_...``)."""
    found = schema(engine)
    names = [*found["triggers"], *(n for (n,) in found.get("functions", []))]
    for table, described in found.items():
        if isinstance(described, dict):
            names += [table, *(c[0] for c in described["columns"])]
    return sorted(n for n in names if n.startswith("zd_"))


def table_triggers(engine: sa.Engine, table: str) -> list[str]:
    """The names of the triggers on ``table``."""
    queries = {
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
        "AND tgrelid = (SELECT oid FROM pg_class WHERE relname = :t "
        "AND relnamespace = current_schema()::regnamespace)",
        "mysql": "SELECT trigger_name FROM information_schema.triggers "
        "WHERE trigger_schema = DATABASE() AND event_object_table = :t",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name = :t",
    }
    return sorted(
        r[0] for r in _rows_of(engine, queries[engine.dialect.name], t=table)
    )


def triggers(conn) -> list[str]:
    queries = {
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
        "ORDER BY 1",
        "mysql": "SELECT trigger_name FROM information_schema.triggers "
        "WHERE trigger_schema = DATABASE() ORDER BY 1",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' "
        "ORDER BY 1",
    }
    return [r[0] for r in conn.execute(sa.text(queries[conn.dialect.name]))]


def _rows(conn, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(sa.text(sql))]


def pg_index_valid(engine: sa.Engine, name: str) -> bool | None:
    rows = _rows_of(
        engine,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c "
        "ON c.oid = i.indexrelid WHERE c.relname = :n",
        n=name,
    )
    return rows[0][0] if rows else None


def _rows_of(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def index_names(engine: sa.Engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return {i["name"] for i in sa.inspect(conn).get_indexes(table)}
