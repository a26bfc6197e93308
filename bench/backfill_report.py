"""The backfill benchmark's tables: ratios against the single UPDATE and
the writers' baseline, and issue 3's targets, met or missed."""

from __future__ import annotations

from typing import Any

from backfill_load import KINDS, WriterStats

PHASES = (
    ("baseline", "no migration"),
    ("single", "single UPDATE"),
    ("zerodown", "zerodown migrate"),
)


def report(results: list[dict[str, Any]]) -> str:
    parts = []
    for result in results:
        busy = ", ".join(
            f"{label} {result[phase]['host_busy_cores']:.1f}"
            for phase, label in PHASES
        )
        parts += [
            f"\n## {result['backend']}\n",
            "zerodown db migrate "
            f"{result.get('migrate_args') or '(default settings)'}\n",
            f"host cores busy, all processes (of {_cores()}): {busy}\n",
            _throughput(result),
            _writers(result),
            _runner(result["zerodown"]),
            _targets(result),
        ]
    return "\n".join(parts)


def _throughput(result: dict[str, Any]) -> str:
    single, ours = result["single"], result["zerodown"]
    single_rate = single["rows"] / single["seconds"]
    rows = [
        ("single UPDATE", single["rows"], single["seconds"], single_rate),
        ("zerodown (batches)", ours["rows"], ours["seconds"], None),
        (
            "zerodown (process, incl. start-up)",
            ours["rows"],
            ours["process_seconds"],
            None,
        ),
    ]
    lines = [
        "| backfill, writers running | rows | seconds | rows/s | ÷ single |",
        "|---|---|---|---|---|",
    ]
    for label, done, seconds, _ in rows:
        rate = done / seconds if seconds else 0.0
        lines.append(
            f"| {label} | {done:,} | {seconds:.2f} | {rate:,.0f} | "
            f"{rate / single_rate:.2f} |"
        )
    return "\n".join(lines) + "\n"


def _writers(result: dict[str, Any]) -> str:
    lines = [
        "| writers | phase | tx/s | ÷ baseline | p50 ms | p99 ms | "
        "p99 ÷ baseline | max ms | tx >250 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        base: WriterStats = result["baseline"]["writers"][kind]
        for phase, label in PHASES:
            s: WriterStats = result[phase]["writers"][kind]
            lines.append(
                f"| {kind} | {label} | {s.tps:,.0f} | "
                f"{_ratio(s.tps, base.tps)} | {s.p50_ms:.2f} | "
                f"{s.p99_ms:.2f} | {_ratio(s.p99_ms, base.p99_ms)} | "
                f"{s.max_ms:.0f} | {s.over_250ms} | {s.errors} |"
            )
    return "\n".join(lines) + "\n"


def _runner(ours: dict[str, Any]) -> str:
    sizes = ours["batch_sizes"]
    samples = ours["rss_samples_mb"] or [0.0]
    return (
        f"runner: exit {ours['exit_code']}, {ours['batches']} batches "
        f"(size {min(sizes)}..{max(sizes)}), longest batch "
        f"{ours['longest_batch_ms']:.0f} ms; RSS after the first batch "
        f"{ours['rss_first_batch_mb']:.1f} MB, sampled max "
        f"{max(samples):.1f} MB, peak (ru_maxrss) "
        f"{ours['peak_rss_mb']:.1f} MB\n"
    )


def _targets(result: dict[str, Any]) -> str:
    single, ours = result["single"], result["zerodown"]
    speed = (ours["rows"] / ours["seconds"]) / (
        single["rows"] / single["seconds"]
    )
    during = [ours["writers"][kind] for kind in KINDS]
    base = [result["baseline"]["writers"][kind] for kind in KINDS]
    p99 = max(d.p99_ms / b.p99_ms for d, b in zip(during, base, strict=True))
    worst = max(d.max_ms for d in during)
    errors = sum(d.errors for d in during)
    growth = max(ours["rss_samples_mb"] or [0.0]) / max(
        ours["rss_first_batch_mb"], 1e-9
    )
    checks = [
        ("rows/s >= 0.75 x single UPDATE", f"{speed:.2f}x", speed >= 0.75),
        ("writers' p99 <= 2 x baseline", f"{p99:.1f}x", p99 <= 2.0),
        ("no writer txn > 250 ms", f"max {worst:.0f} ms", worst <= 250),
        ("no writer errors", f"{errors}", errors == 0),
        (
            "flat memory (max RSS <= 1.1 x after 1st batch)",
            f"{growth:.2f}x",
            growth <= 1.1,
        ),
    ]
    lines = ["| target | measured | met |", "|---|---|---|"]
    lines += [
        f"| {name} | {value} | {'yes' if ok else 'NO'} |"
        for name, value, ok in checks
    ]
    return "\n".join(lines) + "\n"


def _cores() -> int:
    import os

    return os.cpu_count() or 0


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"
