"""The backfill benchmark's tables and curve: each point's rows/s ÷ the
single UPDATE's and the writers' figures ÷ baseline; issue 14's targets,
met or missed."""

from __future__ import annotations

import itertools
import os
from typing import Any

from backfill_load import KINDS


def report(
    results: list[dict[str, Any]], lag: list[dict[str, Any]], args: Any
) -> str:
    parts = []
    for result in results:
        parts += [
            f"\n## {result['backend']}\n",
            _context(result),
            _curve(result),
            _frontier(result),
            _targets(result),
        ]
    for point in lag:
        parts.append(_lag(point))
    return "\n".join(parts)


def speed(result: dict[str, Any], point: dict[str, Any]) -> float:
    """The point's rows/s ÷ the single UPDATE's."""
    single = result["single"]
    rate = point["rows"] / point["seconds"] if point["seconds"] else 0.0
    return rate / (single["rows"] / single["seconds"])


def base(point: dict[str, Any]) -> dict[str, Any]:
    """The writers alone in the seconds just before the point: its own
    baseline, taken side by side with it."""
    return point["writers_alone"]


def p99_ratio(result: dict[str, Any], point: dict[str, Any]) -> float:
    """The writers' worst p99 ÷ their own baseline."""
    alone = base(point)
    return max(
        _ratio(point["writers"][k].p99_ms, alone[k].p99_ms) for k in KINDS
    )


def tps_ratio(result: dict[str, Any], point: dict[str, Any]) -> float:
    """The writers' lowest tx/s ÷ their own baseline."""
    alone = base(point)
    return min(_ratio(point["writers"][k].tps, alone[k].tps) for k in KINDS)


def _context(result: dict[str, Any]) -> str:
    single = result["single"]
    alone = result["baseline"]["writers"]
    writers = ", ".join(
        f"{k} {alone[k].tps:,.0f} tx/s p99 {alone[k].p99_ms:.2f} ms"
        for k in KINDS
    )
    busy = result["baseline"]["host_busy_cores"]
    return (
        f"baseline (writers alone): {writers}; host cores busy "
        f"{busy:.1f} of {os.cpu_count()}\n\n"
        f"single UPDATE: {single['rows']:,} rows in {single['seconds']:.2f} s "
        f"({single['rows'] / single['seconds']:,.0f} rows/s), writers' p99 "
        f"{p99_ratio(result, single):.1f}x, worst "
        f"{_worst(single):.0f} ms\n"
    )


def _curve(result: dict[str, Any]) -> str:
    lines = [
        "| point | rows/s | ÷ single | writers tx/s ÷ base | p99 ÷ base "
        "(update / insert) | base p99 ms | max ms | >250 ms | errors | "
        "longest batch ms | runner |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for point in result["points"]:
        w, alone = point["writers"], base(point)
        p99s = " / ".join(
            f"{_ratio(w[k].p99_ms, alone[k].p99_ms):.2f}" for k in KINDS
        )
        rate = point["rows"] / point["seconds"] if point["seconds"] else 0.0
        lines.append(
            f"| {point['label']}{_short(point)} | {rate:,.0f} | "
            f"{speed(result, point):.2f} | {tps_ratio(result, point):.2f} | "
            f"{p99s} | {max(alone[k].p99_ms for k in KINDS):.1f} | "
            f"{_worst(point):.0f} | "
            f"{sum(w[k].over_250ms for k in KINDS)} | "
            f"{sum(w[k].errors for k in KINDS)} | "
            f"{point['longest_batch_ms']:.0f} | {_runner(point)} |"
        )
    return "\n".join(lines) + "\n"


def _runner(point: dict[str, Any]) -> str:
    if point["kind"] != "zerodown":
        return ""
    paces = [e for e in point["throttle"] if e["event"] == "pace"]
    base = next(
        (e for e in point["throttle"] if e["event"] == "baseline"), None
    )
    samples = point["rss_samples_mb"] or [0.0]
    growth = max(samples) / max(point["rss_first_batch_mb"], 1e-9)
    last = paces[-1] if paces else None
    pace = (
        f"last pace: batch {last['batch_time'] * 1000:.0f} ms, pause "
        f"{last['pause'] * 1000:.0f} ms"
        if last
        else "no pace decision"
    )
    probe = f"probe p99 {base['probe_p99_ms']:.1f} ms; " if base else ""
    return (
        f"exit {point['exit_code']}; {probe}{len(paces)} decisions, {pace}; "
        f"RSS max {growth:.2f}x first batch"
    )


def _frontier(result: dict[str, Any]) -> str:
    """zerodown's points against the naive curve at the same writer p99
    (linear interpolation between the naive points)."""
    naive = sorted(
        (p99_ratio(result, p), speed(result, p))
        for p in result["points"]
        if p["kind"] == "naive"
    )
    lines = [
        "| zerodown point | writers p99 ÷ base | rows/s ÷ single | naive at "
        "that p99 | above naive |",
        "|---|---|---|---|---|",
    ]
    for point in result["points"]:
        if point["kind"] != "zerodown":
            continue
        x, y = p99_ratio(result, point), speed(result, point)
        other = _interpolate(naive, x)
        above = "-" if other is None else ("yes" if y > other else "NO")
        shown = "outside the naive range" if other is None else f"{other:.2f}"
        lines.append(
            f"| {point['label']} | {x:.2f} | {y:.2f} | {shown} | {above} |"
        )
    return "\n".join(lines) + "\n"


def _interpolate(curve: list[tuple[float, float]], x: float) -> float | None:
    if not curve:
        return None
    if x <= curve[0][0]:
        return None if x < curve[0][0] else curve[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(curve):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 > x0 else y1
    return curve[-1][1]  # beyond the fastest naive point's p99


def _targets(result: dict[str, Any]) -> str:
    two = next(
        (
            p
            for p in result["points"]
            if p["kind"] == "zerodown" and p["value"] == 2
        ),
        None,
    )
    checks = []
    if two is not None:
        p99, tps, rate = (
            p99_ratio(result, two),
            tps_ratio(result, two),
            speed(result, two),
        )
        checks += [
            ("--max-impact 2: writers' p99 <= 2x", f"{p99:.2f}x", p99 <= 2),
            (
                "--max-impact 2: writers' tx/s >= 0.8x",
                f"{tps:.2f}x",
                tps >= 0.8,
            ),
            (
                "--max-impact 2: backfill >= 0.5x single UPDATE",
                f"{rate:.2f}x",
                rate >= 0.5,
            ),
        ]
    points = result["points"]
    worst = max(_worst(p) for p in points)
    errors = sum(p["writers"][k].errors for p in points for k in KINDS)
    growth = max(
        (
            max(p["rss_samples_mb"] or [0.0])
            / max(p["rss_first_batch_mb"], 1e-9)
            for p in points
            if p["kind"] == "zerodown"
        ),
        default=0.0,
    )
    checks += [
        (
            "no writer txn > 250 ms (every point)",
            f"max {worst:.0f} ms",
            worst <= 250,
        ),
        ("no writer errors (every point)", f"{errors}", errors == 0),
        (
            "flat memory (max RSS <= 1.1x after 1st batch)",
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


def _lag(point: dict[str, Any]) -> str:
    limit = point["max_replica_lag"] + point["longest_batch_ms"] / 1000
    at_pause = ", ".join(f"{x:.2f}" for x in point["lag_at_pauses"]) or "-"
    ok = point["extra_lag"] <= limit
    return (
        f"\n## {point['backend']}: replica lag\n\n"
        f"{point['rows']:,} rows in {point['seconds']:.1f} s (exit "
        f"{point['exit_code']}{_cut(point)}); replay stopped "
        f"{point['replay_stops']} times for {point['replay_stop']:g} s every "
        f"{point['replay_period']:g} s; --max-replica-lag "
        f"{point['max_replica_lag']:g}\n\n"
        "| peak lag s | extra lag s (peak - stop) | limit s (max lag + "
        "longest batch) | runner pauses | lag at each pause s | met |\n"
        "|---|---|---|---|---|---|\n"
        f"| {point['peak_lag']:.2f} | {point['extra_lag']:.2f} | "
        f"{limit:.2f} | {point['pauses']} | {at_pause} | "
        f"{'yes' if ok else 'NO'} |\n"
    )


def _short(point: dict[str, Any]) -> str:
    if point["exit_code"] != 1:
        return ""
    return f" (cut short: {point['rows']:,} rows)"


def _cut(point: dict[str, Any]) -> str:
    if point["exit_code"] == 1:
        return ", cut short by --lag-max-duration: rows remain"
    return ""


def plot(results: list[dict[str, Any]], path: str, rows: int) -> None:
    """The curve: rows/s ÷ single against writers' p99 ÷ baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(results), figsize=(6 * len(results), 4.5), squeeze=False
    )
    for ax, result in zip(axes[0], results, strict=True):
        for kind, style in (("zerodown", "o-"), ("naive", "s--")):
            points = sorted(
                (p99_ratio(result, p), speed(result, p), p)
                for p in result["points"]
                if p["kind"] == kind
            )
            ax.plot(
                [x for x, _, _ in points],
                [y for _, y, _ in points],
                style,
                label="zerodown --max-impact"
                if kind == "zerodown"
                else "naive B=1000 + pause",
            )
            for x, y, p in points:
                tag = f"{p['value']:g}" + (
                    "x" if kind == "zerodown" else " ms"
                )
                ax.annotate(
                    tag, (x, y), textcoords="offset points", xytext=(4, 4)
                )
        ax.axvline(2.0, color="grey", linewidth=0.8, linestyle=":")
        ax.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
        ax.set_title(f"{result['backend']}, {rows:,} rows, 2 writers")
        ax.set_xlabel("writers' p99 ÷ baseline (worst writer)")
        ax.set_ylabel("backfill rows/s ÷ single UPDATE")
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _worst(point: dict[str, Any]) -> float:
    return max(point["writers"][k].max_ms for k in KINDS)


def _ratio(value: float, base: float) -> float:
    return value / base if base else 0.0
