"""The table of online operations: a :class:`~online_table.Case` (or two)
per ``zop`` operation, run by ``test_online_operations.py``.

Each case gives the call, the base schema, the rows set up, the two
releases that write throughout and what must hold after each phase; the
driver (:func:`online_table.drive`) checks what every case shares (no
write fails, a rollback leaves the schema as it was, contract leaves
nothing of zerodown's behind).  The plain tests beside each operation
(``test_online_<operation>.py``) cover what is not a phase: refusals,
``--sql``, lock timeouts, a killed run.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import sqlalchemy as sa
from apps import Write, column_writer, engine_for, move_writers, number
from online import index_names, pg_index_valid
from online_table import Case, Run

from zerodown.migrations.operations import SetNotNull

BIG = 2**31 + 7  # past what a 32-bit key holds


def execute(engine: sa.Engine, sql: str, rows: Any = None) -> None:
    """``sql`` (once per row of ``rows``) in one transaction, SQLite
    enforcing foreign keys."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.execute(sa.text(sql), rows or {})


def refused(engine: sa.Engine, sql: str, rows: Any = None) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        execute(engine, sql, rows)


def allowed(engine: sa.Engine, sql: str, undo: str) -> None:
    """``sql``, which the schema allows, then ``undo`` (the next expand
    would refuse what it broke)."""
    execute(engine, sql)
    execute(engine, undo)


# -- columns: rename_column, change_column_type, add_column, move_column -----

USERS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
)
"""


def _both_names_agree(run: Run) -> None:
    assert run.values("users", "name", "full_name") == run.written()


def _old_name_holds_every_write(run: Run) -> None:
    assert run.values("users", "name") == run.written()


def _renamed(run: Run) -> None:
    assert run.values("users", "full_name") == run.written()
    assert "name" not in run.columns("users")
    assert run.nullable("users", "full_name") is False


RENAME_COLUMN = Case(
    call='zop.rename_column("users", "name", "full_name")',
    schema=USERS,
    old=column_writer("users", "name"),
    new=column_writer("users", "full_name"),
    backfill=True,
    migrated=_both_names_agree,
    rolled_back=_old_name_holds_every_write,
    contracted=_renamed,
)

# A postcode kept as a number becomes text: converted both ways while
# both releases write.
PLACES = """
op.create_table(
    "places",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("postcode", sa.Integer),
)
"""


def _as_numbers(run: Run) -> dict[int, int]:
    return {row: number(value) for row, value in run.written().items()}


def _postcodes_agree(run: Run) -> None:
    rows = run.rows("places", "postcode", "postcode_text")
    assert {row: int(text) for row, (_, text) in rows.items()} == _as_numbers(
        run
    )
    assert all(str(code) == text for code, text in rows.values()), rows


def _postcodes_still_numbers(run: Run) -> None:
    assert run.values("places", "postcode") == _as_numbers(run)


def _postcodes_converted(run: Run) -> None:
    assert "postcode" not in run.columns("places")
    assert "CHAR" in run.columns("places")["postcode_text"][1].upper()
    texts = run.values("places", "postcode_text")
    assert texts == {row: str(n) for row, n in _as_numbers(run).items()}


CHANGE_COLUMN_TYPE = Case(
    call='zop.change_column_type("places", "postcode", "postcode_text", '
    'sa.String(10), up="CAST({value} AS CHAR(10))", '
    'down="CAST({value} AS DECIMAL(10))")',
    schema=PLACES,
    old=column_writer("places", "postcode", convert=number),
    new=column_writer(
        "places", "postcode_text", convert=lambda v: str(number(v))
    ),
    backfill=True,
    migrated=_postcodes_agree,
    rolled_back=_postcodes_still_numbers,
    contracted=_postcodes_converted,
)

# The old release knows no email: a trigger fills it from the name.
NAMES = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
)
"""


def _emails_filled(run: Run) -> None:
    rows = run.rows("users", "name", "email")
    assert rows and all(email is not None for _, email in rows.values())
    assert run.nullable("users", "email") is True  # until contract


def _names_hold_every_write(run: Run) -> None:
    assert run.values("users", "name") == run.written()


def _email_required(run: Run) -> None:
    assert run.nullable("users", "email") is False
    rows = run.rows("users", "name", "email")
    assert {row: name for row, (name, _) in rows.items()} == run.written()
    assert all(email is not None for _, email in rows.values())
    # The new release writes both (the old one's rows keep the email
    # filled the first time a write left it NULL).
    assert all(
        rows[row] == (value, value) for row, value in run.new.owned.items()
    )


def _email_optional_again(run: Run) -> None:
    assert run.nullable("users", "email") is True


ADD_COLUMN = Case(
    call='zop.add_column("users", sa.Column("email", sa.String(100), '
    'nullable=False), backfill_sql="lower({name})")',
    schema=NAMES,
    old=column_writer("users", "name"),
    new=column_writer("users", "name", "email"),
    backfill=True,
    migrated=_emails_filled,
    rolled_back=_names_hold_every_write,
    contracted=_email_required,
    uncontract=_email_optional_again,
)

# Nova's numa_topology leaving instances for instance_extra.
INSTANCES = """
op.create_table(
    "instances",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("numa_topology", sa.Text),
)
op.create_table(
    "instance_extra",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("instance_uuid", sa.String(36), nullable=False, unique=True),
)
"""
_MOVE_OLD, _MOVE_NEW = move_writers(
    "instances", "instance_extra", "uuid", "numa_topology", "instance_uuid"
)


def _joined(run: Run, both: bool) -> dict[int, tuple[Any, ...]]:
    columns = "i.numa_topology, e.numa_topology" if both else "e.numa_topology"
    with run.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                f"SELECT i.id, {columns} FROM instances i "
                "JOIN instance_extra e ON e.instance_uuid = i.uuid"
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def _both_sides_agree(run: Run) -> None:
    rows = _joined(run, both=True)
    assert {row: a for row, (a, _) in rows.items()} == run.written()
    assert all(a == b for a, b in rows.values()), rows


def _source_holds_every_write(run: Run) -> None:
    assert run.values("instances", "numa_topology") == run.written()


def _moved(run: Run) -> None:
    assert "numa_topology" not in run.columns("instances")
    rows = _joined(run, both=False)
    assert {row: value for row, (value,) in rows.items()} == run.written()


MOVE_COLUMN = Case(
    call='zop.move_column("instances", "numa_topology", "instance_extra", '
    'on={"instance_uuid": "uuid"})',
    schema=INSTANCES,
    old=_MOVE_OLD,
    new=_MOVE_NEW,
    backfill=True,
    migrated=_both_sides_agree,
    rolled_back=_source_holds_every_write,
    contracted=_moved,
)

# -- indexes and constraints --------------------------------------------------

ITEMS = """
op.create_table(
    "items",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(100)),
)
"""
ITEMS_INDEXED = ITEMS + 'op.create_index("ix_items_sku", "items", ["sku"])\n'


def seed_items(engine: sa.Engine, count: int = 2000) -> None:
    """Rows enough that a build takes a moment while writers write."""
    execute(
        engine,
        "INSERT INTO items (sku) VALUES (:v)",
        [{"v": f"seed-{i}"} for i in range(count)],
    )


def _index_built(run: Run) -> None:
    assert "ix_items_sku" in index_names(run.engine, "items")
    if run.backend == "postgresql":
        assert pg_index_valid(run.engine, "ix_items_sku") is True


def _untouched(run: Run) -> None:
    assert run.expanded == run.before  # left to the old release


def _index_dropped(run: Run) -> None:
    assert "ix_items_sku" not in index_names(run.engine, "items")


CREATE_INDEX = Case(
    call='zop.create_index("ix_items_sku", "items", ["sku"])',
    schema=ITEMS,
    old=column_writer("items", "sku"),
    new=column_writer("items", "sku"),
    seed=seed_items,
    expanded=_index_built,
    contracted=_index_built,
    uncontract="expanded",
)

DROP_INDEX = Case(
    call='zop.drop_index("ix_items_sku", "items", columns=["sku"])',
    schema=ITEMS_INDEXED,
    old=column_writer("items", "sku"),
    new=column_writer("items", "sku"),
    seed=seed_items,
    expanded=_untouched,
    contracted=_index_dropped,
    uncontract="expanded",  # drop_index knew its columns: rebuilt
)

EMAILS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(100)),
)
"""
_DUPLICATE = "INSERT INTO users (email) VALUES ('u1@example.org')"


def seed_emails(engine: sa.Engine) -> None:
    execute(
        engine,
        "INSERT INTO users (email) VALUES (:e)",
        [{"e": f"u{i}@example.org"} for i in range(2000)],
    )


def _unique(run: Run) -> None:
    refused(run.engine, _DUPLICATE)
    if run.backend != "sqlite":  # SQLite: a unique index
        uniques = run.schema()["users"]["uniques"]
        assert ("uq_users_email", ("email",)) in uniques


def _duplicates_allowed(run: Run) -> None:
    # The seeded u1@example.org has id 2.
    undo = "DELETE FROM users WHERE email = 'u1@example.org' AND id > 2"
    allowed(run.engine, _DUPLICATE, undo)


ADD_UNIQUE = Case(
    call='zop.add_unique("uq_users_email", "users", ["email"])',
    schema=EMAILS,
    old=column_writer("users", "email"),
    new=column_writer("users", "email"),
    seed=seed_emails,
    expanded=_unique,
    rolled_back=_duplicates_allowed,
    contracted=_unique,
    uncontract="expanded",
)

POSTS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
)
op.create_table(
    "posts",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer),
    sa.Column("title", sa.String(100)),
)
"""
_ORPHAN = "INSERT INTO posts (user_id) VALUES (999)"


def seed_posts(engine: sa.Engine) -> None:
    execute(
        engine,
        "INSERT INTO users (id, name) VALUES (:i, :n)",
        [{"i": i, "n": f"user {i}"} for i in range(1, 101)],
    )
    execute(
        engine,
        "INSERT INTO posts (user_id, title) VALUES (:u, :t)",
        [{"u": 1 + i % 100, "t": f"post {i}"} for i in range(2000)]
        + [{"u": None, "t": "anonymous"}],
    )


def poster() -> Write:
    """The application: posts by existing users, titles rewritten."""
    posts = sa.table(
        "posts", sa.column("id"), sa.column("user_id"), sa.column("title")
    )
    insert = sa.insert(posts).returning(posts.c.id)

    def write(conn: sa.Connection, row: int | None, value: str) -> int:
        if row is None:
            user = random.randint(1, 100)
            if conn.dialect.name == "postgresql":
                found = conn.execute(insert.values(user_id=user, title=value))
                return int(found.scalar_one())
            done = conn.execute(
                sa.insert(posts).values(user_id=user, title=value)
            )
            return int(done.lastrowid)
        conn.execute(
            sa.update(posts).where(posts.c.id == row).values(title=value)
        )
        return row

    return write


def validated(engine: sa.Engine, name: str) -> bool:
    """Whether PostgreSQL has validated the constraint ``name``."""
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT convalidated FROM pg_constraint WHERE conname = :n"
                ),
                {"n": name},
            ).scalar_one()
        )


def _validated(run: Run) -> bool:
    return validated(run.engine, "fk_posts_user")


def _key_enforced(run: Run) -> None:
    fks = run.schema()["posts"]["fks"]
    assert fks == [("fk_posts_user", ("user_id",), "users")]
    refused(run.engine, _ORPHAN)


def _key_added(run: Run) -> None:
    _key_enforced(run)
    if run.backend == "postgresql":
        assert _validated(run) is False  # old rows wait for contract


def _orphans_allowed(run: Run) -> None:
    allowed(run.engine, _ORPHAN, "DELETE FROM posts WHERE user_id = 999")


def _key_validated(run: Run) -> None:
    _key_enforced(run)
    if run.backend == "postgresql":
        assert _validated(run) is True


ADD_FOREIGN_KEY = Case(
    call='zop.add_foreign_key("fk_posts_user", "posts", "users", '
    '["user_id"], ["id"])',
    schema=POSTS,
    old=poster(),
    new=poster(),
    seed=seed_posts,
    expanded=_key_added,
    rolled_back=_orphans_allowed,
    contracted=_key_validated,
    uncontract="expanded",  # a validated key stays valid
)

# -- NOT NULL -----------------------------------------------------------------

NULLABLE_NAMES = NAMES
CHECK = SetNotNull("users", "name").check_name


def seed_names(engine: sa.Engine) -> None:
    execute(
        engine,
        "INSERT INTO users (name) VALUES (:n)",
        [{"n": f"user {i}"} for i in range(2000)],
    )


def _null_refused_for_new_rows(run: Run) -> None:
    assert run.nullable("users", "name") is True  # old rows: contract
    if run.backend == "postgresql":
        assert run.expanded["users"]["checks"] == [CHECK]
        refused(run.engine, "INSERT INTO users (name) VALUES (NULL)")


def _not_null(run: Run) -> None:
    assert run.nullable("users", "name") is False
    if run.backend == "postgresql":
        assert run.schema()["users"]["checks"] == []


SET_NOT_NULL = Case(
    call='zop.set_not_null("users", "name", existing_type=sa.String(100))',
    schema=NULLABLE_NAMES,
    old=column_writer("users", "name"),
    new=column_writer("users", "name"),
    seed=seed_names,
    expanded=_null_refused_for_new_rows,
    contracted=_not_null,
    uncontract="expanded",
)

# The old release knows no name: a trigger fills it from the email.
PEOPLE = """
op.create_table(
    "people",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
    sa.Column("email", sa.String(100)),
)
"""


def seed_people(engine: sa.Engine) -> None:
    execute(
        engine,
        "INSERT INTO people (name, email) VALUES (:n, :e)",
        [
            {"n": None if i % 3 else f"n{i}", "e": f"P{i}@X.ORG"}
            for i in range(600)
        ],
    )


def _people_named(run: Run) -> None:
    names = run.rows("people", "name")
    assert names and all(name is not None for (name,) in names.values())


def _people_must_be_named(run: Run) -> None:
    _people_named(run)
    assert run.nullable("people", "name") is False
    assert run.rows("people", "name")[2] == ("p1@x.org",)  # a seed, filled


SET_NOT_NULL_FILLED = Case(
    label="filled",
    call='zop.set_not_null("people", "name", backfill_sql="lower({email})")',
    schema=PEOPLE,
    old=column_writer("people", "email"),
    new=column_writer("people", "name", "email"),
    seed=seed_people,
    backfill=True,
    migrated=_people_named,
    contracted=_people_must_be_named,
    uncontract="expanded",
)

# -- drops --------------------------------------------------------------------

LEGACY = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
    sa.Column("legacy", sa.String(100)),
    sa.Column("strict", sa.String(10), nullable=False),
)
"""


def _legacy_gone(run: Run) -> None:
    assert "legacy" not in run.columns("users")
    assert run.values("users", "name") == run.written()


DROP_COLUMN = Case(
    call='zop.drop_column("users", "legacy")',
    schema=LEGACY,
    old=column_writer("users", "name", "legacy", fixed={"strict": "x"}),
    new=column_writer("users", "name", fixed={"strict": "x"}),
    expanded=_untouched,
    contracted=_legacy_gone,
)

AUDIT = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
)
op.create_table(
    "audit",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("note", sa.String(100)),
)
op.create_table(
    "posts",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer,
              sa.ForeignKey("users.id", name="fk_posts_user")),
)
"""


def _audit_gone(run: Run) -> None:
    assert "audit" not in run.project.tables()


DROP_TABLE = Case(
    call='zop.drop_table("audit")',
    schema=AUDIT,
    old=column_writer("audit", "note"),
    new=column_writer("users", "name"),  # the new release has no audit
    expanded=_untouched,
    contracted=_audit_gone,
)

# -- tables -------------------------------------------------------------------

ACCOUNTS_NAMED = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("status", sa.String(10), nullable=False,
              server_default="active"),
)
"""


def table_writer(table: str) -> Write:
    """A release that knows the table as ``table``: it writes a row, then
    reads it back (its default and generated key included)."""

    def write(conn: sa.Connection, row: int | None, value: str) -> int:
        if row is None:
            insert = f"INSERT INTO {table} (name) VALUES (:v)"
            if conn.dialect.name == "postgresql":
                row = conn.execute(
                    sa.text(f"{insert} RETURNING id"), {"v": value}
                ).scalar_one()
            else:
                row = conn.execute(sa.text(insert), {"v": value}).lastrowid
        else:
            conn.execute(
                sa.text(f"UPDATE {table} SET name = :v WHERE id = :id"),
                {"v": value, "id": row},
            )
        got = conn.execute(
            sa.text(f"SELECT name, status FROM {table} WHERE id = :id"),
            {"id": row},
        ).one()
        assert tuple(got) == (value, "active"), (row, tuple(got))
        assert row is not None
        return int(row)

    return write


def _old_name_is_a_view(run: Run) -> None:
    assert run.expanded["views"] == ["users"]
    assert run.values("accounts", "name") == run.written()


def _users_hold_every_write(run: Run) -> None:
    assert run.values("users", "name") == run.written()


def _renamed_table(run: Run) -> None:
    assert run.values("accounts", "name") == run.written()
    assert run.schema()["views"] == []


RENAME_TABLE = Case(
    call='zop.rename_table("users", "accounts")',
    schema=ACCOUNTS_NAMED,
    old=table_writer("users"),
    new=table_writer("accounts"),
    backends=("postgresql", "mysql"),
    elsewhere="updatable views (refused on SQLite)",
    expanded=_old_name_is_a_view,
    rolled_back=_users_hold_every_write,
    contracted=_renamed_table,
    uncontract="expanded",  # the view again
)

ACCOUNTS = """
op.create_table(
    "accounts",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
)
"""
# PostgreSQL rebuilds the foreign keys that reference the key; MySQL and
# MariaDB refuse them (a plain test in test_online_widen_primary_key.py).
GRANTS = """
op.create_table(
    "grants",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer,
              sa.ForeignKey("accounts.id", name="fk_grants_account"),
              nullable=False),
)
"""


def accounts_schema(backend: str) -> str:
    return ACCOUNTS + (GRANTS if backend == "postgresql" else "")


def seed_accounts(engine: sa.Engine, count: int = 300, table="accounts"):
    execute(
        engine,
        f"INSERT INTO {table} (name) VALUES (:n)",
        [{"n": f"seed-{i}"} for i in range(count)],
    )


def _seed_accounts_and_grants(engine: sa.Engine) -> None:
    seed_accounts(engine)
    if engine.dialect.name == "postgresql":
        execute(
            engine,
            "INSERT INTO grants (account_id) SELECT id FROM accounts "
            "WHERE id <= 5",
        )


def account_names(engine: sa.Engine, table: str = "accounts") -> dict:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT id, name FROM {table}"))
        return dict(rows.all())


def _same_accounts(run: Run) -> None:
    """Every seeded row and every row each release last wrote, no other."""
    names = account_names(run.engine)
    seeded = {i: n for i, n in names.items() if n.startswith("seed-")}
    assert len(seeded) == 300
    assert names == {**seeded, **run.written()}


def _rolled_back_without_trace(run: Run) -> None:
    """The rows as written, and the copy forgotten (the schema, with its
    triggers, functions and indexes, the driver compares itself)."""
    _same_accounts(run)
    with run.engine.connect() as conn:
        names = conn.execute(
            sa.text("SELECT name FROM zerodown_data_migrations")
        ).scalars()
        assert [n for n in names if "accounts.id" in n] == []


def _copy_complete(run: Run) -> None:
    status = run.project.zerodown("status", "--format", "json")
    assert json.loads(status.output)["gate"]["open"], status.output
    _same_accounts(run)


def wide(engine: sa.Engine, table: str = "accounts") -> None:
    """The key holds 64-bit values and still generates ids."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        columns = sa.inspect(conn).get_columns(table)
    key = next(c for c in columns if c["name"] == "id")
    assert str(key["type"]).upper() == ("INTEGER" if sqlite else "BIGINT")
    with engine.begin() as conn:
        conn.execute(
            sa.text(f"INSERT INTO {table} (id, name) VALUES (:i, 'big')"),
            {"i": BIG},
        )
        conn.execute(sa.text(f"INSERT INTO {table} (name) VALUES ('next')"))
        ids = conn.execute(
            sa.text(f"SELECT id FROM {table} WHERE name = 'next'")
        ).scalars()
        assert next(iter(ids)) > 0
        if conn.dialect.name == "postgresql":
            # The sequence goes past 2^31 too (a serial's stops there).
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"{BIG + 5})"
                )
            )
            made = conn.execute(
                sa.text(
                    f"INSERT INTO {table} (name) VALUES ('past') RETURNING id"
                )
            )
            assert made.scalar_one() == BIG + 6


def foreign_key_rebuilt(engine: sa.Engine) -> None:
    assert validated(engine, "fk_grants_account") is True
    with engine.connect() as conn:
        key = conn.execute(
            sa.text(
                "SELECT conname FROM pg_constraint WHERE contype = 'p' "
                "AND conrelid = 'accounts'::regclass"
            )
        ).scalar_one()
        assert key == "accounts_pkey"
    refused(engine, "INSERT INTO grants (account_id) VALUES (-1)")


def _widened(run: Run) -> None:
    _same_accounts(run)
    wide(run.engine)
    if run.backend == "postgresql":
        foreign_key_rebuilt(run.engine)


def releases_engine(url: str) -> sa.Engine:
    """The writers do not prepare statements on the server: see
    ``test_a_prepared_statement_fails_once_after_the_swap``."""
    return engine_for(url, prepare=False)


WIDEN_PRIMARY_KEY = Case(
    call='zop.widen_primary_key("accounts", "id", sa.BigInteger())',
    schema=accounts_schema,
    old=column_writer("accounts", "name"),
    new=column_writer("accounts", "name"),
    seed=_seed_accounts_and_grants,
    backfill=True,
    partial=True,
    engine=releases_engine,
    migrated=_copy_complete,
    rolled_back=_rolled_back_without_trace,
    contracted=_widened,
)

CASES = [
    RENAME_COLUMN,
    CHANGE_COLUMN_TYPE,
    ADD_COLUMN,
    MOVE_COLUMN,
    CREATE_INDEX,
    DROP_INDEX,
    ADD_UNIQUE,
    ADD_FOREIGN_KEY,
    SET_NOT_NULL,
    SET_NOT_NULL_FILLED,
    DROP_COLUMN,
    DROP_TABLE,
    RENAME_TABLE,
    WIDEN_PRIMARY_KEY,
]


def case(operation: str, label: str = "") -> Case:
    """The case of ``operation`` (its base schema serves its plain tests)."""
    return next(
        c for c in CASES if (c.operation, c.label) == (operation, label)
    )
