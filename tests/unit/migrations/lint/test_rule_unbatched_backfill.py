"""unbatched-backfill: data changes belong in a batched data migration."""

import pytest

RULE = "unbatched-backfill"
W, OK = ["warning"], []

UPDATE = 'op.execute("UPDATE orders SET total = 0")'
DELETE = 'op.execute("DELETE FROM orders WHERE total IS NULL")'
INSERT = "op.execute(\"INSERT INTO kinds (name) VALUES ('a')\")"
CONSTRUCT = 'op.execute(sa.update(sa.table("orders", sa.column("total"))).values(total=0))'
TABLE_METHOD = "op.execute(orders.update().values(total=0))"
BULK = 'op.bulk_insert(sa.table("kinds", sa.column("name")), [{"name": "a"}])'

CASES = [
    pytest.param(UPDATE, W, id="update"),
    pytest.param(DELETE, W, id="delete"),
    pytest.param(CONSTRUCT, W, id="sqlalchemy-update"),
    pytest.param(TABLE_METHOD, W, id="table-method"),
    pytest.param(INSERT, OK, id="insert-seed-row"),
    pytest.param(BULK, OK, id="bulk-insert"),
]


@pytest.mark.parametrize(
    "dialect", ["postgresql", "mysql", "mariadb", "sqlite"]
)
@pytest.mark.parametrize("body, expected", CASES)
def test_unbatched_backfill(severities, body, expected, dialect):
    assert severities(RULE, body, dialect) == expected
