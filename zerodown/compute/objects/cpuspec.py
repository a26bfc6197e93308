"""CPU specs as operators and Glance write them: ``"0-3,^2,8"``."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["MAX_GUEST_CPUS", "format_cpu_spec", "parse_cpu_spec"]

_MAX_CPU = 1 << 16
#: A guest's vCPUs are numbered below this (a flavor's largest count).
MAX_GUEST_CPUS = 4096


def parse_cpu_spec(spec: str, limit: int = _MAX_CPU) -> set[int]:
    """The CPU ids of ``spec``: ranges ``a-b``, single ids, and ``^n``
    exclusions, comma separated.

    :raises ValueError: for a malformed spec or an id of ``limit`` or more
        (a host's: 65536).
    """
    included: set[int] = set()
    excluded: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        target = included
        if part.startswith("^"):
            target, part = excluded, part[1:]
        start, dash, end = part.partition("-")
        first = _cpu(start, limit)
        last = _cpu(end, limit) if dash else first
        if last < first:
            raise ValueError(f"range {part!r} runs backwards")
        target.update(range(first, last + 1))
    return included - excluded


def _cpu(text: str, limit: int) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{text[:20]!r} is not a CPU id")
    if int(text) >= limit:
        raise ValueError(f"{text[:20]!r} is not a CPU id below {limit}")
    return int(text)


def format_cpu_spec(cpus: Iterable[int]) -> str:
    """The shortest spec of ``cpus`` with ranges: ``{0, 1, 2, 5}`` gives
    ``"0-2,5"``."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        first, last = ordered[i], ordered[j]
        parts.append(str(first) if first == last else f"{first}-{last}")
        i = j + 1
    return ",".join(parts)
