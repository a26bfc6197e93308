"""The wire codec's worst messages for ``bench/objects.py``: what decoding
each costs in memory (x the size limit) and time (ms per MiB read).

The shapes are :data:`zerodown.objects.wireshapes.SHAPES`, the same the
memory test decodes: each the costliest message of its kind that fits the
limits, filling the size limit (and then mostly refused) or as large as
the limits accept.  Memory is the peak ``tracemalloc`` sees during one
decode, above what was allocated before; time is the best of three
decodes without ``tracemalloc``.
"""

from __future__ import annotations

from dataclasses import dataclass

from zerodown.objects import Limits
from zerodown.objects.wireshapes import (
    REFUSAL_MS_PER_MIB,
    SHAPES,
    decode_peak,
    decode_seconds,
)

MiB = 1024 * 1024
TARGET = 8.0


@dataclass(frozen=True)
class Row:
    name: str
    size: int
    peak: int
    seconds: float
    refused: str | None


def measure(limits: Limits) -> list[Row]:
    """Decode every shape under ``limits``."""
    rows = []
    for name, build in SHAPES.items():
        data = build(limits)
        measured = decode_peak(data, limits)
        seconds = decode_seconds(data, limits)
        rows.append(
            Row(name, len(data), measured.peak, seconds, measured.refused)
        )
    return rows


def report(limits: Limits) -> list[tuple[str, str]]:
    """Print the table; return the target lines with their verdicts."""
    rows = measure(limits)
    print(
        "\nWire codec, the worst messages: Limits(max_size="
        f"{limits.max_size:,}, max_depth={limits.max_depth}), "
        f"{limits.element_limit:,} elements"
    )
    print(
        f"  {'shape':<36} {'MiB':>6} {'peak x limit':>12} {'ms':>9} "
        f"{'ms/MiB':>8}  result"
    )
    for row in rows:
        mib = row.size / MiB
        ms = row.seconds * 1e3
        result = f"refused: {row.refused}" if row.refused else "accepted"
        print(
            f"  {row.name:<36} {mib:6.2f} {row.peak / limits.max_size:12.2f}"
            f" {ms:9.1f} {ms / mib:8.1f}  {result[:60]}"
        )
    worst = max(rows, key=lambda r: r.peak)
    ratio = worst.peak / limits.max_size
    refused = [r for r in rows if r.refused]
    slowest = max(refused, key=lambda r: r.seconds / r.size)
    per_mib = slowest.seconds * 1e3 / (slowest.size / MiB)
    return [
        (
            f"decode peaks within {TARGET:g}x the size limit: worst "
            f"{ratio:.2f}x ({worst.name})",
            "PASS" if ratio <= TARGET else "MISS",
        ),
        (
            f"refusals within {REFUSAL_MS_PER_MIB:g} ms per MiB of message: "
            f"worst {per_mib:.1f} ({slowest.name})",
            "PASS" if per_mib <= REFUSAL_MS_PER_MIB else "MISS",
        ),
    ]
