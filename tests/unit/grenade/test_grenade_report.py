"""The load generator and the upgrade report."""

from __future__ import annotations

import itertools
import json

import pytest

from zerodown.grenade.load import (
    LoadGenerator,
    Operation,
    Record,
    read_records,
)
from zerodown.grenade.phases import PhaseClock, Span
from zerodown.grenade.report import percentile, summarize, write_all
from zerodown.testing.waiting import eventually


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([5.0], 99, 5.0),
        ([1, 2, 3, 4], 50, 2),
        ([1, 2, 3, 4], 99, 4),
        (list(range(1, 101)), 99, 99),
    ],
)
def test_nearest_rank_percentiles(values, p, expected):
    assert percentile(values, p) == expected


def _records():
    base = [Record(float(i), "base", "list", True, 10.0) for i in range(100)]
    mixed = [Record(100.0 + i, "mixed", "show", True, 15.0) for i in range(99)]
    mixed.append(Record(199.0, "mixed", "create", False, 40.0, "HTTP 503"))
    return base + mixed


def test_the_summary_compares_each_phase_with_the_base():
    spans = [
        Span("base", 0.0, 100.0),
        Span("mixed", 100.0, 200.0),
        Span("contract", 200.0, 201.0),
    ]
    summary = summarize(_records(), spans)
    base, mixed, contract = summary.phases
    assert (base.requests, base.p99_ms, base.p99_vs_base) == (100, 10.0, 1.0)
    assert (mixed.failed, mixed.p99_ms, mixed.max_ms) == (1, 15.0, 40.0)
    assert mixed.p99_vs_base == 1.5
    assert contract.requests == 0 and contract.p99_vs_base is None
    assert summary.failed == 1 and not summary.targets_met
    assert summary.failures[0].error == "HTTP 503"


def test_reports_are_written_as_json_markdown_and_png(tmp_path):
    spans = [
        Span("base", 0.0, 100.0),
        Span("mixed", 100.0, 200.0),
        Span("idle", 200.0, 201.0),
    ]
    summary = write_all(_records(), spans, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["failed"] == 1 and data["targets_met"] is False
    assert [p["phase"] for p in data["phases"]] == ["base", "mixed", "idle"]
    assert data["phases"][2]["p99_ms"] is None  # no request: null, not NaN
    text = (tmp_path / "report.md").read_text()
    assert "**1 failed**" in text and "HTTP 503" in text and "MISSED" in text
    png = (tmp_path / "timeline.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert summary.worst_ratio == 1.5


def test_the_generator_records_every_call_and_every_failure(tmp_path):
    clock = PhaseClock()
    counter = itertools.count()

    def flaky():
        if next(counter) % 5 == 4:
            raise ConnectionError("refused")

    out = tmp_path / "load.jsonl"
    load = LoadGenerator(
        [Operation("list", 3, lambda: None), Operation("create", 1, flaky)],
        clock,
        out,
        workers=2,
        pause=0.001,
    )
    clock.start("base")
    load.start()

    def seen(phase):
        records = [r for r in list(load.records) if r.phase == phase]
        return (
            len(records) > 10
            and {r.operation for r in records} == {"list", "create"}
            and not all(r.ok for r in records)
        )

    try:
        # Each phase runs until it has calls of both kinds and a failure.
        eventually(lambda: seen("base"), message="the base phase ran short")
        clock.start("mixed")
        eventually(lambda: seen("mixed"), message="the mixed phase ran short")
    finally:
        records = load.stop()
    clock.stop()
    assert len(records) > 20
    assert {r.phase for r in records} <= {"base", "mixed"}
    assert {r.operation for r in records} == {"list", "create"}
    failed = [r for r in records if not r.ok]
    assert failed and all(
        r.error == "ConnectionError: refused" for r in failed
    )
    assert read_records(out) == records  # the file holds the same
    summary = summarize(records, clock.spans)
    assert summary.failed == len(failed)


def test_a_mix_needs_positive_weights(tmp_path):
    with pytest.raises(ValueError):
        LoadGenerator(
            [Operation("x", 0, lambda: None)], PhaseClock(), tmp_path / "x"
        )


def test_the_base_may_be_several_phases():
    records = [
        Record(1.0, "base", "x", True, 10.0),
        Record(2.0, "smoke", "x", True, 30.0),
        Record(3.0, "mixed", "x", True, 15.0),
    ]
    summary = summarize(records, [], base=["base", "smoke"])
    mixed = next(p for p in summary.phases if p.phase == "mixed")
    assert mixed.p99_vs_base == 0.5
