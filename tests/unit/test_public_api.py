"""The public API is ``__all__``, pinned here: a change is a decision."""

from __future__ import annotations

import importlib

import pytest

PINNED = {
    "zerodown.migrations": [
        "Phase",
        "PhaseException",
        "Waiver",
        "allow",
        "command",
        "run_migrations",
        "waive",
    ],
    "zerodown.migrations.command": [
        "BranchStatus",
        "DataMigrationSettings",
        "HistoryEntry",
        "MigrationSettings",
        "Status",
        "ThrottleFlags",
        "check",
        "contract",
        "contract_gate",
        "data_remaining",
        "downgrade",
        "expand",
        "history",
        "init",
        "layout",
        "lint",
        "lint_errors",
        "migrate",
        "model_diff",
        "revision",
        "status",
    ],
    "zerodown.migrations.data": [
        "Baseline",
        "BatchDone",
        "BatchSizer",
        "BusyRetry",
        "CriticalLoad",
        "DataContext",
        "DataMigration",
        "DataMigrationSettings",
        "Discovered",
        "Estimating",
        "Event",
        "FunctionMigration",
        "KeysetBackfill",
        "MigrationFinished",
        "MigrationStarted",
        "MigrationState",
        "Outcome",
        "Paced",
        "Paused",
        "Remaining",
        "Resolver",
        "Resumed",
        "RunResult",
        "Status",
        "Stop",
        "data_migration",
        "discover",
        "finish_online",
        "forget_online",
        "online_spec",
        "pending",
        "project_migrations",
        "register_online",
        "remaining",
        "run",
    ],
    "zerodown.migrations.env": [
        "CONNECTION_ATTRIBUTE",
        "SETTINGS_ATTRIBUTE",
        "URL_ATTRIBUTE",
        "run_migrations",
    ],
    "zerodown.migrations.lint": [
        "DialectProfile",
        "Finding",
        "LintOptions",
        "Rule",
        "Severity",
        "Waiver",
        "all_rules",
        "blocking",
        "lint",
        "pending_errors",
        "server_of",
        "waive",
    ],
    "zerodown.config": ["Config", "load_config"],
    "zerodown.testing.checks": [
        "test_zerodown_contract_depends_on_expand",
        "test_zerodown_expand_downgrade_leaves_no_trace",
        "test_zerodown_lint_clean",
        "test_zerodown_models_match_schema",
        "test_zerodown_one_head_per_branch",
        "test_zerodown_phases_hold",
        "test_zerodown_upgrade_walk",
    ],
    "zerodown.testing.waiting": ["eventually"],
}


@pytest.mark.parametrize("module", sorted(PINNED))
def test_all_is_pinned(module):
    loaded = importlib.import_module(module)
    assert sorted(loaded.__all__) == sorted(PINNED[module])
    for name in loaded.__all__:
        assert hasattr(loaded, name), f"{module}.{name} is listed but missing"


@pytest.mark.parametrize("package", ["migrations", "objects"])
def test_the_facades_old_name_still_resolves_with_a_warning(package):
    old = importlib.import_module(f"zerodown.{package}.api")
    new = importlib.import_module(f"zerodown.{package}.command")
    name = new.__all__[0]
    with pytest.warns(DeprecationWarning, match=f"zerodown.{package}.command"):
        assert getattr(old, name) is getattr(new, name)
    with pytest.raises(AttributeError, match="no attribute '_private'"):
        old._private  # noqa: B018
