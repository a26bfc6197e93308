"""The contract gate's decisions, on stand-ins for the layout, the
scripts and the services (no database: tests/functional/migrations/
test_contract_gate.py runs the gate against real ones)."""

from __future__ import annotations

import dataclasses
import logging
from types import SimpleNamespace

import pytest

from zerodown.migrations import gate
from zerodown.migrations.data import DataMigrationSettings
from zerodown.migrations.gate import (
    GateCheck,
    GateContext,
    GateReport,
    evaluate,
    gate_check,
)
from zerodown.migrations.phases import Phase
from zerodown.services import ServiceRecord


def _script(revision, **module):
    return SimpleNamespace(revision=revision, module=SimpleNamespace(**module))


class _Layout:
    """Revisions by id, each with its phase and what it needs."""

    def __init__(self, **revisions):
        self.revisions = revisions  # id: (phase, [needed ids])

    def ancestors(self, ids):
        seen, todo = set(), list(ids)
        while todo:
            rev = todo.pop()
            if rev not in seen:
                seen.add(rev)
                todo.extend(self.revisions[rev][1])
        return seen

    def revision(self, rev):
        return SimpleNamespace(revision=rev, phase=self.revisions[rev][0])

    def phase_of(self, script):
        return script.phase


def _context(pending=(), layout=None, applied=(), **options):
    return GateContext(
        connection="the connection",
        layout=layout or _Layout(),
        pending=tuple(pending),
        applied=frozenset(applied),
        options=options,
    )


def test_a_report_is_open_only_if_every_check_passed():
    ok, closed = GateCheck("a", True), GateCheck("b", False, ("why",))
    assert GateReport(()).open
    assert GateReport((ok, ok)).open
    assert not GateReport((ok, closed)).open
    assert not GateReport((closed, ok)).open


def test_reasons_are_named_after_their_check_in_order():
    report = GateReport(
        (
            GateCheck("b", False, ("one", "two")),
            GateCheck("a", True),
            GateCheck("c", False, ("three",)),
        )
    )
    assert report.reasons == ["b: one", "b: two", "c: three"]


@pytest.mark.parametrize(
    "value",
    [
        GateCheck("a", True),
        GateReport(()),
        _context(),
    ],
)
def test_gate_values_are_immutable(value):
    field = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


def test_required_versions_are_the_highest_minimum_of_each_service():
    context = _context(
        [
            _script("c1", minimum_service_versions={"compute": 5}),
            _script("c2"),
            _script(
                "c3",
                minimum_service_versions={
                    "compute": "6",
                    "api": 2,
                    "scheduler": 0,
                },
            ),
            _script("c4", minimum_service_versions=[("compute", 4)]),
        ]
    )
    assert context.required_service_versions() == {
        "compute": 6,
        "api": 2,
        "scheduler": 0,
    }


def test_the_checks_are_registered_in_order():
    assert list(gate._CHECKS) == [
        "expand-applied",
        "lint-clean",
        "data-migrated",
        "services-new-enough",
    ]
    assert gate._CHECKS["expand-applied"] is gate._expand_applied


def test_gate_check_registers_and_returns_the_function(monkeypatch):
    monkeypatch.setattr(gate, "_CHECKS", {})

    def check(context):
        return GateCheck("mine", True)

    assert gate_check("mine")(check) is check
    assert {"mine": check} == gate._CHECKS


def test_nothing_pending_runs_no_check(monkeypatch):
    def fail(context):
        raise AssertionError("a check ran")

    monkeypatch.setattr(gate, "_CHECKS", {"x": fail})
    assert evaluate(_context()) == GateReport(())


def test_evaluate_runs_every_check_and_logs_its_reasons(monkeypatch, caplog):
    seen = []

    def first(context):
        seen.append(("first", context))
        return GateCheck("first", False, ("not yet",))

    def second(context):
        seen.append(("second", context))
        return GateCheck("second", True)

    monkeypatch.setattr(gate, "_CHECKS", {"first": first, "second": second})
    context = _context([_script("c1")])
    with caplog.at_level(logging.INFO, logger=gate.__name__):
        report = evaluate(context)
    assert report == GateReport(
        (GateCheck("first", False, ("not yet",)), GateCheck("second", True))
    )
    assert seen == [("first", context), ("second", context)]
    assert [r.getMessage() for r in caplog.records] == [
        "contract gate: first: not yet"
    ]


def _expand_layout():
    return _Layout(
        e1=(Phase.EXPAND, []),
        e2=(Phase.EXPAND, ["e1"]),
        c1=(Phase.CONTRACT, ["e1"]),
        c2=(Phase.CONTRACT, ["c1", "e2"]),
        c3=(Phase.CONTRACT, ["e2"]),
    )


def test_every_expand_a_contract_needs_must_be_applied():
    check = gate._expand_applied(
        _context(
            [_script("c2"), _script("c3")],
            _expand_layout(),
            applied={"e1"},
        )
    )
    assert check == GateCheck(
        "expand-applied",
        False,
        (
            "expand revision e2 (needed by c2) is not applied; run "
            "'zerodown db expand' first",
            "expand revision e2 (needed by c3) is not applied; run "
            "'zerodown db expand' first",
        ),
    )


def test_unapplied_contracts_do_not_close_the_expand_check():
    layout = _expand_layout()
    applied = gate._expand_applied(
        _context([_script("c2")], layout, applied={"e1", "e2"})
    )
    assert applied == GateCheck("expand-applied", True, ())
    twice = gate._expand_applied(
        _context([_script("c2"), _script("c2")], layout, applied={"e2"})
    )
    assert twice.reasons == (
        "expand revision e1 (needed by c2) is not applied; run "
        "'zerodown db expand' first",
    )


def test_lint_errors_of_the_pending_revisions_close_the_gate(monkeypatch):
    calls = []

    def pending_errors(layout, revisions, connection):
        calls.append((layout, revisions, connection))
        return [
            SimpleNamespace(
                revision="c1", line=7, rule="drop-in-expand", message="no"
            )
        ]

    monkeypatch.setattr(gate.lint, "pending_errors", pending_errors)
    context = _context([_script("c1"), _script("c2")])
    assert gate._lint_clean(context) == GateCheck(
        "lint-clean", False, ("c1 line 7: [drop-in-expand] no",)
    )
    assert calls == [(context.layout, ["c1", "c2"], "the connection")]
    monkeypatch.setattr(gate.lint, "pending_errors", lambda *a: [])
    assert gate._lint_clean(context) == GateCheck("lint-clean", True, ())


def test_only_the_data_migrations_the_contract_needs_are_waited_for(
    monkeypatch,
):
    found = [
        SimpleNamespace(revision=None, name="setting"),
        SimpleNamespace(revision="e1", name="ours"),
        SimpleNamespace(revision="e9", name="a later release's"),
    ]
    probed = []

    def project_migrations(connection, layout, settings, resolver):
        probed.append((connection, layout, settings, resolver))
        return found

    def remaining(connection, migrations):
        probed.append((connection, migrations))
        return [f"{m.name} has rows left" for m in migrations]

    monkeypatch.setattr(gate.data, "project_migrations", project_migrations)
    monkeypatch.setattr(gate.data, "remaining", remaining)
    layout = _Layout(e1=(Phase.EXPAND, []), c1=(Phase.CONTRACT, ["e1"]))
    context = _context([_script("c1")], layout)
    assert gate._data_migrated(context) == GateCheck(
        "data-migrated",
        False,
        ("setting has rows left", "ours has rows left"),
    )
    assert probed == [
        ("the connection", layout, DataMigrationSettings(), None),
        ("the connection", found[:2]),
    ]

    settings = DataMigrationSettings(data_migrations=("x.y",))
    probed.clear()
    monkeypatch.setattr(gate.data, "remaining", lambda c, m: [])
    context = _context(
        [_script("c1")], layout, data_settings=settings, resolver="r"
    )
    assert gate._data_migrated(context) == GateCheck("data-migrated", True, ())
    assert probed == [("the connection", layout, settings, "r")]


def _record(binary="compute", version=5, **kw):
    values = {
        "host": "h1",
        "binary": binary,
        "version": version,
        "supports_from": 1,
        "last_seen_up": None,
        "forced_down": False,
        "stopped_at": None,
        **kw,
    }
    return ServiceRecord(**values)


def test_running_services_older_than_required_close_the_gate():
    records = [
        _record(version=5),
        _record(version=6, host="h2"),
        _record(version=7, host="h3"),
        _record(binary="api", version=1),
    ]
    assert gate._too_old(records, {"compute": 6, "api": 1}) == (
        "compute on h1 runs service version 5; the contract needs 6 or "
        "newer: upgrade or stop it (a service that is gone for good: "
        "force it down)",
    )


def test_stopped_or_forced_down_services_do_not_count():
    records = [
        _record(version=1, forced_down=True),
        _record(version=1, stopped_at="yesterday"),
    ]
    assert gate._too_old(records, {"compute": 6}) == ()
