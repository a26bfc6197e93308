"""The upgrade report: failed requests, latency per phase against the
base phase, phase durations; as JSON, Markdown and a PNG timeline.

Targets (from the job): no failed request, and no phase whose p99 is
above ``p99_ratio_target`` times the base phase's.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zerodown.grenade.load import Record
from zerodown.grenade.phases import Span

__all__ = ["PhaseStats", "Summary", "percentile", "summarize", "write_all"]


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``nan`` for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclasses.dataclass(frozen=True)
class PhaseStats:
    phase: str
    seconds: float
    requests: int
    failed: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    p99_vs_base: float | None


@dataclasses.dataclass(frozen=True)
class Summary:
    requests: int
    failed: int
    phases: tuple[PhaseStats, ...]
    failures: tuple[Record, ...]
    p99_ratio_target: float

    @property
    def worst_ratio(self) -> float | None:
        ratios = [p.p99_vs_base for p in self.phases if p.p99_vs_base]
        return max(ratios) if ratios else None

    @property
    def targets_met(self) -> bool:
        worst = self.worst_ratio
        return self.failed == 0 and (
            worst is None or worst <= self.p99_ratio_target
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "failed": self.failed,
            "p99_ratio_target": self.p99_ratio_target,
            "worst_p99_vs_base": self.worst_ratio,
            "targets_met": self.targets_met,
            "phases": [_finite(dataclasses.asdict(p)) for p in self.phases],
            "failures": [r.to_json() for r in self.failures],
        }


def summarize(
    records: Sequence[Record],
    spans: Sequence[Span],
    *,
    base: str | Sequence[str] | None = None,
    p99_ratio_target: float = 2.0,
) -> Summary:
    """Per phase, in the order the phases ran; the p99 of ``base`` (a
    phase, or several taken together; default: the first phase) is what
    every phase's p99 is compared with."""
    by_phase: dict[str, list[Record]] = {}
    for record in records:
        by_phase.setdefault(record.phase, []).append(record)
    names = [s.name for s in spans]
    names += [p for p in by_phase if p not in names]
    if base is None:
        base = names[:1]
    base_names = {base} if isinstance(base, str) else set(base)
    seconds = {s.name: s.seconds for s in spans}
    base_p99 = percentile(
        [r.latency_ms for r in records if r.phase in base_names], 99
    )
    stats = []
    for name in names:
        group = by_phase.get(name, [])
        latencies = [r.latency_ms for r in group]
        p99 = percentile(latencies, 99)
        ratio = (
            p99 / base_p99
            if group and not math.isnan(base_p99) and base_p99 > 0
            else None
        )
        stats.append(
            PhaseStats(
                phase=name,
                seconds=round(seconds.get(name, 0.0), 3),
                requests=len(group),
                failed=sum(not r.ok for r in group),
                p50_ms=percentile(latencies, 50),
                p99_ms=p99,
                max_ms=max(latencies) if latencies else math.nan,
                p99_vs_base=ratio,
            )
        )
    failures = tuple(r for r in records if not r.ok)
    return Summary(
        len(records), len(failures), tuple(stats), failures, p99_ratio_target
    )


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def markdown(summary: Summary) -> str:
    verdict = "met" if summary.targets_met else "MISSED"
    lines = [
        "# Upgrade report",
        "",
        f"{summary.requests} requests, **{summary.failed} failed** "
        f"(target 0); worst p99 against the base phase: "
        f"{_ratio(summary.worst_ratio)} (target "
        f"{summary.p99_ratio_target:g}x). Targets {verdict}.",
        "",
        "| phase | seconds | requests | failed | p50 ms | p99 ms | max ms "
        "| p99 vs base |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in summary.phases:
        lines.append(
            f"| {p.phase} | {p.seconds:.1f} | {p.requests} | {p.failed} | "
            f"{_ms(p.p50_ms)} | {_ms(p.p99_ms)} | {_ms(p.max_ms)} | "
            f"{_ratio(p.p99_vs_base)} |"
        )
    if summary.failures:
        lines += ["", "## Failed requests", ""]
        lines += [
            f"- {r.at:.3f} {r.phase} {r.operation}: {r.error}"
            for r in summary.failures
        ]
    return "\n".join(lines) + "\n"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def timeline_png(
    records: Sequence[Record], spans: Sequence[Span], path: Path
) -> Path:
    """Latency of every request over time, failures in red, phases as
    shaded, labelled spans."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    origin = min(
        [s.start for s in spans] + [r.at for r in records], default=0.0
    )
    fig, ax = plt.subplots(figsize=(12, 5))
    for index, span in enumerate(spans):
        end = (span.end or span.start) - origin
        ax.axvspan(
            span.start - origin,
            end,
            color=("#dde7f3" if index % 2 else "#eef3e2"),
            alpha=0.8,
            lw=0,
        )
        ax.text(
            span.start - origin,
            1.0,
            span.name,
            rotation=90,
            va="top",
            ha="left",
            fontsize=7,
            transform=ax.get_xaxis_transform(),
        )
    good = [r for r in records if r.ok]
    bad = [r for r in records if not r.ok]
    ax.scatter(
        [r.at - origin for r in good],
        [r.latency_ms for r in good],
        s=4,
        color="#1f4e79",
        label=f"ok ({len(good)})",
    )
    if bad:
        ax.scatter(
            [r.at - origin for r in bad],
            [r.latency_ms for r in bad],
            s=16,
            color="red",
            label=f"failed ({len(bad)})",
        )
    ax.set_xlabel("seconds since the job started")
    ax.set_ylabel("latency (ms)")
    if records and max(r.latency_ms for r in records) > 0:
        ax.set_yscale("log")
    ax.legend(loc="best")
    ax.set_title("Requests during the upgrade, by phase")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_all(
    records: Sequence[Record],
    spans: Sequence[Span],
    directory: Path,
    **options: Any,
) -> Summary:
    """``report.json``, ``report.md`` and ``timeline.png`` in
    ``directory``."""
    summary = summarize(records, spans, **options)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(
        json.dumps(summary.to_json(), indent=2, allow_nan=False)
    )
    (directory / "report.md").write_text(markdown(summary))
    timeline_png(records, spans, directory / "timeline.png")
    return summary


def _finite(values: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: a statistic of no requests is ``null``."""
    return {
        k: None if isinstance(v, float) and math.isnan(v) else v
        for k, v in values.items()
    }
