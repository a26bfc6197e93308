"""Wait in a test for something another thread or process does.

A rolling upgrade is asynchronous by nature: a cast is handled on a
server's worker, a heartbeat lands in the database some time later, a
process comes up when it is ready.  A test that sleeps a fixed time and
then looks is slow on a fast machine and wrong on a slow one;
:func:`eventually` looks until what it waits for holds, and fails with
a message that says what never came::

    from zerodown.testing.waiting import eventually

    client.cast(ctx, "note", value=1)
    eventually(lambda: endpoint.notes == [1], message="the cast never ran")

To check that something did *not* happen, wait for a positive signal
that would have come after it (a marker sent behind the message that
must be dropped, the refusal counted for it), then look.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["eventually"]

T = TypeVar("T")


def eventually(
    predicate: Callable[[], T],
    *,
    timeout: float = 10.0,
    interval: float = 0.01,
    message: str | Callable[[], str] = "the condition never held",
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``predicate`` until it returns a true value, and return that.

    :param timeout: seconds to keep trying; the predicate always runs at
        least once, and once more at the deadline.
    :param interval: seconds between two tries.
    :param message: what failed, or a function that says it (called only
        on failure, so it may read the state the test waited on).
    :param ignoring: exceptions that mean "not yet" (a server that does
        not answer while it starts); the last one is the failure's cause.
    :raises AssertionError: ``predicate`` never held within ``timeout``.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        last = time.monotonic() >= deadline
        try:
            value = predicate()
        except ignoring as err:
            last_error = err
        else:
            if value:
                return value
        if last:
            break
        time.sleep(max(0.0, min(interval, deadline - time.monotonic())))
    text = message() if callable(message) else message
    raise AssertionError(f"{text} (waited {timeout:g}s)") from last_error
