"""How many rows the next batch asks for: pt-online-schema-change's
chunk-time rule.

The batch size follows a target time per batch: the sizer keeps a weighted
average of the rows per second that recent batches achieved (older
batches count less, by ``weight`` per batch) and asks for ``rate x
target`` rows next.  A batch holds its row locks for its whole length, so
the target time bounds how long a writer can wait on a row being
migrated.  The size never more than doubles from one batch to the next,
stays within ``[minimum, maximum]``, and halves when the database reports
itself busy.  A fixed size turns adaptation off, as ``--chunk-size``
does for pt-osc.

Pure logic, no clock and no database, so it is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BatchSizer"]


@dataclass
class BatchSizer:
    """The adaptive (or fixed) batch size of one migration's run.

    :param target: seconds one batch should take.
    :param initial: the first batch's size.
    :param fixed: keep ``initial`` whatever the timings.
    """

    target: float = 0.1
    initial: int = 1000
    minimum: int = 10
    maximum: int = 50_000
    fixed: bool = False
    weight: float = 0.75
    growth: float = 2.0
    _size: int = field(init=False)
    _rows: float = field(default=0.0, init=False)
    _seconds: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        if self.minimum < 1 or self.maximum < self.minimum:
            raise ValueError(
                f"batch sizes need 1 <= minimum <= maximum, got "
                f"{self.minimum}..{self.maximum}"
            )
        if self.target <= 0:
            raise ValueError(f"target batch time must be > 0: {self.target}")
        self._size = self.initial if self.fixed else self._clamp(self.initial)

    @property
    def size(self) -> int:
        """Rows to ask for in the next batch."""
        return self._size

    @property
    def rate(self) -> float | None:
        """The weighted rows per second so far (None before any batch)."""
        if self._seconds <= 0:
            return None
        return self._rows / self._seconds

    def observe(self, rows: int, seconds: float) -> int:
        """Account for a batch of ``rows`` that took ``seconds``.

        Returns the next size.  A batch that moved no row says nothing
        about the rate and leaves the size as it is.
        """
        if self.fixed or rows <= 0 or seconds <= 0:
            return self._size
        self._rows = self._rows * self.weight + rows
        self._seconds = self._seconds * self.weight + seconds
        wanted = (self._rows / self._seconds) * self.target
        capped = min(wanted, self._size * self.growth)
        self._size = self._clamp(round(capped))
        return self._size

    def busy(self) -> int:
        """The database is contended: halve the size (and the rate)."""
        if self.fixed:
            return self._size
        self._rows /= 2
        self._size = self._clamp(self._size // 2)
        return self._size

    def _clamp(self, size: int) -> int:
        return max(self.minimum, min(self.maximum, size))
