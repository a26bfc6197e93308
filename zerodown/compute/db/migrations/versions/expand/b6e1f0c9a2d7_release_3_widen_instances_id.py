"""release 3: instances.id widens to 64 bits, online

``instances`` is the table the stack writes most (every step of a
server's life updates its row) and its 32-bit key is the first to run
out.  ``zop.widen_primary_key`` keeps the column's name for both
releases: this revision adds the shadow (a column on PostgreSQL, a table
on MySQL/MariaDB) and the triggers that keep it equal to every write;
``zerodown db migrate`` copies the rows written before; the contract twin
swaps it in.  SQLite's ``INTEGER PRIMARY KEY`` is already 64 bits: no
step there.

Revision ID: b6e1f0c9a2d7
Revises: e5c9a2f7b031
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from zerodown.migrations.operations import zop

revision: str = "b6e1f0c9a2d7"
down_revision: str | Sequence[str] | None = "e5c9a2f7b031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "8f1d3a6b2c57"


def upgrade() -> None:
    zop.widen_primary_key("instances", "id", sa.BigInteger())


def downgrade() -> None:
    # Legal until contract: the shadow and its triggers go.
    zop.widen_primary_key("instances", "id", sa.BigInteger())
