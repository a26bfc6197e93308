"""Steps of ``zop.widen_primary_key`` run by hand (its plan for a phase,
and what a run killed after some of them leaves), and the seeded
``accounts`` table its tests start from."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from identifiers import bookkeeping
from online import base_schema
from online_cases import accounts_schema, releases_engine, seed_accounts

from zerodown.migrations.operations import Step, WidenPrimaryKey
from zerodown.migrations.operations.executor import target_of
from zerodown.migrations.sqltext import literal


def plan_of(engine: sa.Engine, phase: str, table: str) -> Sequence[Step]:
    operation = WidenPrimaryKey(table, "id", sa.BigInteger())
    with engine.connect() as conn:
        return list(getattr(operation, phase)(target_of(conn)))


def killed_after(engine: sa.Engine, steps: Sequence[Step], count: int):
    """What a run killed after ``count`` steps leaves: what committed
    (autocommit steps, and every DDL on MySQL) stays, the revision's open
    transaction is lost."""
    mysql = engine.dialect.name == "mysql"
    with (
        engine.connect() as transaction,
        engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as auto,
    ):
        transaction.begin()
        for step in steps[:count]:
            assert step.sql is not None, step
            conn = auto if step.autocommit or mysql else transaction
            conn.execute(literal(step.sql))
        # The connection closes without a commit: the process died, and
        # its session settings (foreign_key_checks) with it.
        for conn in (transaction, auto):
            conn.invalidate()


def seeded_accounts(project) -> Iterator[tuple[object, sa.Engine]]:
    """The ``accounts`` table with 300 rows (a fixture's body)."""
    base_schema(project, accounts_schema(project.database.backend))
    engine = releases_engine(project.database.url)
    bookkeeping(engine)
    seed_accounts(engine, 300)
    yield project, engine
    engine.dispose()
