"""The naive way, for comparison: keyset batches of a fixed size with a
fixed pause, one connection, no adaptation and no bookkeeping.

``UPDATE instances SET extra = <expr> WHERE id > :lo AND id <= :lo + B``,
each batch committed on its own, the bounds read once before the clock
starts (the plain loop of the reference measurements).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa


def naive(
    backend: Any, batch: int, pause: float, max_duration: float = 1e9
) -> Any:
    """A phase's ``work``: run the loop; (start, end, info)."""

    def work() -> tuple[float, float, dict]:
        engine = sa.create_engine(backend.url, future=True)
        longest = 0.0
        done = 0
        with engine.connect() as conn:
            low, high = conn.exec_driver_sql(
                "SELECT MIN(id), MAX(id) FROM instances"
            ).one()
            conn.commit()
            statement = sa.text(
                f"UPDATE instances SET extra = {backend.update_expr} "
                "WHERE id > :lo AND id <= :hi"
            )
            start = time.monotonic()
            lo = low - 1
            while lo < high and time.monotonic() - start < max_duration:
                began = time.monotonic()
                done += conn.execute(
                    statement, {"lo": lo, "hi": lo + batch}
                ).rowcount
                conn.commit()
                longest = max(longest, time.monotonic() - began)
                lo += batch
                if pause and lo < high:
                    time.sleep(pause)
            end = time.monotonic()
        engine.dispose()
        return (
            start,
            end,
            {
                "rows": done,
                "seconds": end - start,
                "longest_batch_ms": longest * 1000,
                "exit_code": 0 if lo >= high else 1,
            },
        )

    return work
