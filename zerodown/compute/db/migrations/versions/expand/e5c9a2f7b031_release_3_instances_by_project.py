"""release 3: a project's servers by an index, for pages of servers

``GET /servers`` of a member asks for the next page of one project's
servers: ``project_id = :p AND id > :marker ORDER BY id LIMIT :n``.
Without an index that leads with ``project_id`` it walks the primary
key and skips every other project's rows, so a page of a small project
among many costs as much as the table.  ``(project_id, id)`` makes each
page one index range, whatever the page and however many projects
share the table.  Built online (PostgreSQL ``CONCURRENTLY``, MariaDB
``LOCK=NONE``); release 2 never reads it.

Revision ID: e5c9a2f7b031
Revises: d4b8e2f61c3a
Create Date: 2026-12-07 10:40:00
"""

from collections.abc import Sequence

from zerodown.migrations.operations import zop

revision: str = "e5c9a2f7b031"
down_revision: str | Sequence[str] | None = "d4b8e2f61c3a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    zop.create_index(
        "ix_instances_project_id_id", "instances", ["project_id", "id"]
    )


def downgrade() -> None:
    # In an expand revision's downgrade, an online operation rolls back.
    zop.create_index(
        "ix_instances_project_id_id", "instances", ["project_id", "id"]
    )
