"""rename_column beyond the table (``online_cases``): contract waits for
the backfill."""

from __future__ import annotations

import sqlalchemy as sa
from apps import engine_for
from online import base_schema, online
from online_cases import case

RENAME = case("rename_column")


def test_contract_waits_for_the_backfill(project):
    base_schema(project, RENAME.schema)
    online(project, RENAME.call)
    engine = engine_for(project.database.url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (name) VALUES ('before')"))
    assert project.zerodown("expand").exit_code == 0
    refused = project.zerodown("contract")
    assert refused.exit_code == 3
    assert (
        "data-migrated: data migration rename_column:users.name"
        in refused.output
    )
    assert "run 'zerodown db migrate'" in refused.output
    status = project.zerodown("status")
    assert "WAIT data-migrated" in status.output
    assert project.zerodown("migrate").exit_code == 0
    assert project.zerodown("contract").exit_code == 0
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, full_name FROM users"))
        assert rows.all() == [(1, "before")]
    engine.dispose()
