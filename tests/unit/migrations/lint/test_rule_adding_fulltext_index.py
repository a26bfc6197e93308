"""adding-fulltext-index: MySQL/MariaDB build FULLTEXT and SPATIAL
indexes with LOCK=SHARED, which blocks writes."""

import pytest

RULE = "adding-fulltext-index"
E, OK = ["error"], []

FULLTEXT = 'op.create_index("ft_posts_body", "posts", ["body"], mysql_prefix="FULLTEXT")'
SPATIAL = (
    'op.create_index("sp_shops_at", "shops", ["at"], mysql_prefix="SPATIAL")'
)
PLAIN = 'op.create_index("ix_posts_title", "posts", ["title"])'
SQL = 'op.execute("CREATE FULLTEXT INDEX ft_posts_body ON posts (body)")'
SQL_ALTER = (
    'op.execute("ALTER TABLE posts ADD FULLTEXT INDEX ft_posts_body (body)")'
)
NEW_TABLE = (
    'op.create_table("posts", sa.Column("body", sa.Text()))\n' + FULLTEXT
)

CASES = [
    pytest.param(FULLTEXT, "mysql", None, E, id="mysql-fulltext"),
    pytest.param(SPATIAL, "mysql", None, E, id="mysql-spatial"),
    pytest.param(SQL, "mysql", None, E, id="mysql-raw-create"),
    pytest.param(SQL_ALTER, "mysql", None, E, id="mysql-raw-alter"),
    pytest.param(PLAIN, "mysql", None, OK, id="mysql-plain-index"),
    pytest.param(NEW_TABLE, "mysql", None, OK, id="mysql-new-table"),
    pytest.param(FULLTEXT, "mysql", "5.5", OK, id="mysql55-no-innodb-ft"),
    pytest.param(SPATIAL, "mysql", "5.6", OK, id="mysql56-no-innodb-sp"),
    pytest.param(FULLTEXT, "mariadb", None, E, id="mariadb-fulltext"),
    pytest.param(SPATIAL, "mariadb", "10.1", OK, id="mariadb101-no-sp"),
    pytest.param(FULLTEXT, "postgresql", None, OK, id="pg-ignores-prefix"),
]


@pytest.mark.parametrize("body, dialect, version, expected", CASES)
def test_adding_fulltext_index(severities, body, dialect, version, expected):
    assert severities(RULE, body, dialect, version) == expected


def test_the_finding_names_the_kind_and_the_lock(lint_upgrade):
    (finding,) = lint_upgrade(FULLTEXT, "mysql", rule=RULE)
    assert finding.target == "ft_posts_body"
    assert "FULLTEXT index ft_posts_body" in finding.message
    assert "LOCK=SHARED (blocks writes)" in finding.message
