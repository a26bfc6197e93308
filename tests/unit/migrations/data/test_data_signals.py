"""Load limits (``NAME=VALUE``) and the throttle's settings: parsed and
checked before anything runs, with one clear error each."""

from __future__ import annotations

import pytest

from zerodown.exceptions import ConfigError
from zerodown.migrations.data import DataMigrationSettings
from zerodown.migrations.data.signals import (
    Limit,
    check_backend,
    check_names_in,
    over,
    parse_limits,
)


def test_limits_parse():
    assert parse_limits("x", ["active=20", " lock_waits = 0.5"]) == (
        Limit("active", 20.0),
        Limit("lock_waits", 0.5),
    )
    assert str(Limit("Threads_running", 25.0)) == "Threads_running=25"


@pytest.mark.parametrize(
    "spec",
    [
        "active",
        "=3",
        "active=",
        "active=-1",
        "active=nan",
        "a b=1",
        "x;y=1",
        "active=1e",
        "1x=2",
        "a" * 65 + "=1",
    ],
)
def test_bad_limits_are_refused_with_the_setting_named(spec):
    with pytest.raises(ConfigError, match="migrate_max_load"):
        parse_limits("migrate_max_load", [spec])


def test_over_lists_each_limit_passed():
    limits = parse_limits("x", ["active=10", "lock_waits=0", "Threads_x=5"])
    values = {"active": 12.0, "lock_waits": 0.0}
    assert over(values, limits) == ["active=12>10"]
    assert over({"active": 10.0}, limits) == []


def test_limits_the_backend_cannot_measure_are_refused():
    check_backend("mysql", parse_limits("x", ["Threads_connected=9"]))
    check_backend("sqlite", ())
    with pytest.raises(ConfigError, match="SQLite"):
        check_backend("sqlite", parse_limits("x", ["active=1"]))
    with pytest.raises(ConfigError, match="Threads_running"):
        check_backend("postgresql", parse_limits("x", ["Threads_running=1"]))
    with pytest.raises(ConfigError, match="no status variable Nope"):
        check_names_in({"active": 1.0}, {"Nope"})


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"migrate_max_impact": 1.0}, "migrate_max_impact must be > 1"),
        ({"migrate_max_replica_lag": 1.0}, "together with migrate_replicas"),
        ({"migrate_replicas": ("postgresql://r/db",)}, "together with"),
        (
            {
                "migrate_replicas": ("mysql://r/",),
                "migrate_max_replica_lag": 0,
            },
            "migrate_max_replica_lag must be > 0",
        ),
        ({"migrate_probe_interval": 0}, "migrate_probe_interval"),
        ({"migrate_max_load": ("active",)}, "migrate_max_load"),
        ({"migrate_critical_load": ("x=y",)}, "migrate_critical_load"),
    ],
)
def test_bad_throttle_settings_are_refused(settings, problem):
    with pytest.raises(ConfigError, match=problem):
        DataMigrationSettings(**settings)


def test_throttled_says_whether_anything_watches():
    assert not DataMigrationSettings().throttled
    assert DataMigrationSettings(migrate_max_impact=2).throttled
    assert DataMigrationSettings(migrate_max_load=("active=5",)).throttled
