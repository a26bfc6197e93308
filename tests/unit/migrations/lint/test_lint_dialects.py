"""Dialect profiles: what each DDL costs, per server version."""

from __future__ import annotations

import pytest

from zerodown.exceptions import ConfigError
from zerodown.migrations.lint.dialects import DialectProfile, parse_version

for_server = DialectProfile.for_server


@pytest.mark.parametrize(
    "dialect, version, name, parsed",
    [
        ("postgresql", "15.4", "postgresql", (15, 4)),
        ("postgresql+psycopg", None, "postgresql", (13,)),
        ("postgres", "9.6.24", "postgresql", (9, 6, 24)),
        ("mysql", "8.0.36", "mysql", (8, 0, 36)),
        ("mysql", "10.11.6-MariaDB-0+deb12u1", "mariadb", (10, 11, 6)),
        ("mariadb", None, "mariadb", (10, 6, 20)),
        ("sqlite", (3, 45, 1), "sqlite", (3, 45, 1)),
    ],
)
def test_a_profile_for_each_server(dialect, version, name, parsed):
    profile = for_server(dialect, version)
    assert (profile.dialect, profile.version) == (name, parsed)


def test_an_unknown_dialect_is_a_configuration_error():
    with pytest.raises(ConfigError, match="oracle"):
        for_server("oracle")
    with pytest.raises(ConfigError, match="not a server version"):
        parse_version("latest")


# (dialect, version, action, lock name, rewrites, scans, algorithm)
COSTS = [
    (
        "postgresql",
        "10",
        "add_column_default",
        "ACCESS EXCLUSIVE",
        True,
        False,
        None,
    ),
    (
        "postgresql",
        "11",
        "add_column_default",
        "ACCESS EXCLUSIVE",
        False,
        False,
        None,
    ),
    ("postgresql", "16", "create_index", "SHARE", False, True, None),
    (
        "postgresql",
        "16",
        "create_index_concurrently",
        "SHARE UPDATE EXCLUSIVE",
        False,
        True,
        None,
    ),
    (
        "postgresql",
        "16",
        "add_foreign_key_not_valid",
        "SHARE ROW EXCLUSIVE",
        False,
        False,
        None,
    ),
    ("mysql", "8.0.11", "add_column", "LOCK=NONE", True, False, "INPLACE"),
    ("mysql", "8.0.12", "add_column", "LOCK=NONE", False, False, "INSTANT"),
    ("mysql", "8.0.28", "drop_column", "LOCK=NONE", True, False, "INPLACE"),
    ("mysql", "8.0.29", "drop_column", "LOCK=NONE", False, False, "INSTANT"),
    ("mysql", "8.0", "alter_type", "LOCK=SHARED", True, False, "COPY"),
    ("mariadb", "10.3.1", "add_column", "LOCK=NONE", True, False, "INPLACE"),
    ("mariadb", "10.3.2", "add_column", "LOCK=NONE", False, False, "INSTANT"),
    ("mariadb", "10.3", "drop_column", "LOCK=NONE", True, False, "INPLACE"),
    ("mariadb", "10.4", "drop_column", "LOCK=NONE", False, False, "INSTANT"),
    (
        "sqlite",
        "3.24",
        "rename_column",
        "the database write lock",
        True,
        False,
        None,
    ),
    (
        "sqlite",
        "3.25",
        "rename_column",
        "the database write lock",
        False,
        False,
        None,
    ),
]


@pytest.mark.parametrize(
    "dialect, version, action, lock, rewrites, scans, algorithm", COSTS
)
def test_the_cost_of_an_action_follows_the_version_history(
    dialect, version, action, lock, rewrites, scans, algorithm
):
    cost = for_server(dialect, version).cost(action)
    assert cost is not None
    assert (cost.lock.name, cost.rewrites, cost.scans, cost.algorithm) == (
        lock,
        rewrites,
        scans,
        algorithm,
    )


@pytest.mark.parametrize(
    "dialect, version, action",
    [
        ("postgresql", "9.1", "drop_index_concurrently"),
        ("postgresql", "11", "add_column_stored_generated"),
        ("mysql", "8.0.15", "add_check"),
        ("postgresql", "16", "no_such_action"),
    ],
)
def test_what_a_version_cannot_do_has_no_cost(dialect, version, action):
    assert for_server(dialect, version).cost(action) is None


@pytest.mark.parametrize("name", sorted(DialectProfile.registry))
def test_every_profile_states_every_action_it_is_asked_about(name):
    profile = DialectProfile.registry[name]
    asked = {
        "add_column",
        "add_column_default",
        "add_column_volatile_default",
        "add_column_auto_increment",
        "add_column_stored_generated",
        "alter_type",
        "alter_type_widen",
        "set_not_null",
        "create_index",
        "drop_index",
        "add_foreign_key",
        "add_check",
        "add_unique",
        "rename_column",
        "rename_table",
        "drop_column",
        "drop_table",
    }
    assert asked <= set(profile.costs)
    for history in profile.costs.values():
        versions = [since for since, _ in history]
        assert versions == sorted(versions), "histories run oldest first"


@pytest.mark.parametrize(
    "dialect, sql, volatile",
    [
        ("postgresql", "gen_random_uuid()", True),
        ("postgresql", "uuid_generate_v4()", True),
        ("postgresql", "clock_timestamp()", True),
        ("postgresql", "now()", False),
        ("postgresql", "CURRENT_TIMESTAMP", False),
        ("postgresql", "'x'::text", False),
        ("postgresql", "0", False),
        ("postgresql", "(42)", False),
        ("mysql", "(uuid())", True),
        ("mysql", "CURRENT_TIMESTAMP", False),
        ("mysql", "now()", False),
        ("mysql", "'x'", False),
        ("sqlite", "CURRENT_TIMESTAMP", True),
        ("sqlite", "(1 + 1)", True),
        ("sqlite", "'x'", False),
    ],
)
def test_volatile_defaults(dialect, sql, volatile):
    assert for_server(dialect).volatile_default(sql) is volatile


def test_a_cost_describes_itself():
    cost = for_server("mysql", "8.0").cost("alter_type")
    assert cost is not None
    assert cost.describe() == (
        "takes ALGORITHM=COPY, LOCK=SHARED (blocks writes) and rewrites "
        "the table"
    )
    assert cost.blocking
