"""The embedded broker across processes: acknowledgements survive a
crash, fanout reaches other processes, and it needs no server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from zerodown.rpc import get_transport
from zerodown.rpc.transport import Address, Message, Subscription
from zerodown.testing.waiting import eventually

GREEDY = textwrap.dedent(
    """
    import sys
    from zerodown.rpc import get_transport
    from zerodown.rpc.transport import Address, Subscription

    transport = get_transport(sys.argv[1])
    # Take messages and never acknowledge them, then hang until killed
    # (or until the test goes away and its end of stdin closes).
    transport.subscribe(
        [Subscription(Address("jobs", durable=True))],
        lambda delivery: print("TOOK", delivery.message.message_id,
                               flush=True),
        prefetch=3,
    )
    sys.stdin.read()
    """
)


def test_messages_a_crashed_consumer_held_are_delivered_again(tmp_path):
    url = f"embedded://{tmp_path / 'broker.db'}"
    transport = get_transport(url)
    try:
        for i in range(5):
            transport.publish(
                Address("jobs", durable=True),
                Message(f"job-{i}".encode(), f"m{i}"),
                confirm=True,
            )
        greedy = subprocess.Popen(
            [sys.executable, "-c", GREEDY, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        taken = [greedy.stdout.readline().split()[1] for _ in range(3)]
        greedy.kill()  # a crash: no acknowledgement, no clean close
        greedy.wait()
        got: dict[str, bool] = {}
        subscriber = transport.subscribe(
            [Subscription(Address("jobs", durable=True))],
            lambda d: (
                got.__setitem__(d.message.message_id, d.redelivered),
                d.ack(),
            ),
        )
        try:
            eventually(
                lambda: len(got) == 5,
                timeout=15,
                message=lambda: f"only {sorted(got)} came again",
            )
        finally:
            subscriber.stop()
    finally:
        transport.close()
    assert sorted(got) == [f"m{i}" for i in range(5)]
    assert sorted(m for m, again in got.items() if again) == sorted(taken)


def test_fanout_and_wakeups_across_processes(tmp_path):
    url = f"embedded://{tmp_path / 'broker.db'}"
    listener = textwrap.dedent(
        """
        import sys
        from zerodown.rpc import get_transport
        from zerodown.rpc.transport import Address, Subscription

        transport = get_transport(sys.argv[1])
        sub = transport.subscribe(
            [Subscription(Address("news", fanout=True))],
            lambda d: (print("GOT", d.message.body.decode(), flush=True),
                       d.ack()),
        )
        sub.wait_ready(10)
        print("READY", flush=True)
        sys.stdin.read()  # until killed, or the test's end closes
        """
    )
    listeners = [
        subprocess.Popen(
            [sys.executable, "-c", listener, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    transport = get_transport(url)
    try:
        for process in listeners:
            assert process.stdout.readline().strip() == "READY"
        started = time.monotonic()
        transport.publish(Address("news", fanout=True), Message(b"hi", "n1"))
        lines = [process.stdout.readline().strip() for process in listeners]
        elapsed = time.monotonic() - started
    finally:
        transport.close()
        for process in listeners:
            process.kill()
            process.wait()
    assert lines == ["GOT hi", "GOT hi"]
    # Woken by a datagram, not by the 0.25s safety poll.
    assert elapsed < 0.2, elapsed
