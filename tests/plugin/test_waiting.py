"""``eventually``: what a test waits with instead of sleeping."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from zerodown.testing.waiting import eventually


def test_returns_the_first_true_value_without_waiting_longer():
    tries = itertools.count(1)
    started = time.monotonic()
    assert eventually(lambda: next(tries) >= 3 and "ready", interval=0) == (
        "ready"
    )
    assert next(tries) == 4  # three calls, no more
    assert time.monotonic() - started < 1


def test_sees_what_another_thread_does():
    done = []
    threading.Timer(0.05, done.append, [1]).start()
    assert eventually(lambda: done, timeout=5) == [1]


def test_fails_with_the_message_after_the_timeout_and_one_last_try():
    calls = []

    def never():
        calls.append(time.monotonic())
        return 0

    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"^nothing came \(waited 0.2s\)"):
        eventually(never, timeout=0.2, interval=0.05, message="nothing came")
    assert calls[-1] - started >= 0.2  # a try at the deadline itself
    assert 2 <= len(calls) <= 5  # one every 0.05 s at most


def test_the_message_may_be_computed_when_it_fails():
    state = {"seen": 0}
    with pytest.raises(AssertionError, match="saw 0"):
        eventually(
            lambda: state["seen"],
            timeout=0,
            message=lambda: f"saw {state['seen']}",
        )


def test_ignored_errors_mean_not_yet_and_the_last_is_the_cause():
    attempts = iter([ConnectionError("down"), ConnectionError("still"), 7])

    def connect():
        item = next(attempts)
        if isinstance(item, Exception):
            raise item
        return item

    assert eventually(connect, interval=0, ignoring=(ConnectionError,)) == 7

    def refuse():
        raise ConnectionError("refused")

    with pytest.raises(AssertionError) as caught:
        eventually(refuse, timeout=0.05, ignoring=(ConnectionError,))
    assert str(caught.value.__cause__) == "refused"


def test_other_errors_are_not_swallowed():
    def broken():
        raise KeyError("bug")

    with pytest.raises(KeyError):
        eventually(broken, ignoring=(ConnectionError,))
