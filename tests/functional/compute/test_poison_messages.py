"""No message can stop a service: poison against a running conductor.

A conductor process (signing required, a 64 KiB message limit) serves on
RabbitMQ and on the embedded broker.  The test sends it ``POISON_COUNT``
messages of every kind in ``poison.py`` (1,000 by default: 15,000 in
all), a few real undispatchable casts among them, and a valid call after
every hundred.  Then:

* every valid call was answered, the slowest well within a second;
* the conductor is the same process, still serving;
* every poison message was refused and counted: ``zerodown status``'s
  source, the services table, shows exactly that many;
* the dead letters hold the real undispatchable casts, every one, and
  nothing else; the refused sample is bounded and kept apart.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Iterator

import poison
import pytest

from zerodown.compute.deploy import deploy_schema
from zerodown.compute.deployment import Deployment
from zerodown.compute.rpcapi import ConductorAPI
from zerodown.compute.version import HISTORY
from zerodown.rpc import Protocol, RequestContext, Signing, get_transport
from zerodown.rpc.deadletter import DEAD_LETTERS, REFUSED, list_dead_letters
from zerodown.rpc.transport.broker import KombuTransport
from zerodown.services import ServiceDirectory
from zerodown.testing.waiting import eventually

COUNT = int(os.environ.get("ZERODOWN_POISON_COUNT", "1000"))
LIMIT = 64 * 1024
REAL_DEAD_LETTERS = 24
AMQP = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture(params=["embedded", "rabbitmq"])
def conductor(request, tmp_path) -> Iterator[Deployment]:
    url = (
        os.environ.get("ZERODOWN_TEST_AMQP_URL", AMQP)
        if request.param == "rabbitmq"
        else f"embedded://{tmp_path / 'broker.db'}"
    )
    deployment = Deployment(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'compute.db'}",
        transport_url=url,
        computes=(),
        topic_prefix=f"zdt-{uuid.uuid4().hex[:8]}-",
        signing_keys=(poison.KEY,),
        settings={"rpc_max_message_size": LIMIT},
        heartbeat_interval=0.5,
    )
    deploy_schema(tmp_path / "etc", deployment.database_url)
    try:
        deployment.start_control_plane()
        yield deployment
    finally:
        deployment.stop()


def test_poison_never_stops_a_service(conductor):
    prefix = conductor.topic_prefix
    queues = [f"{prefix}conductor", f"{prefix}conductor.conductor"]
    transport = get_transport(conductor.transport_url)
    assert isinstance(transport, KombuTransport)
    api = ConductorAPI(
        transport,
        protocol=Protocol(Signing([poison.KEY])),
        topic=f"{prefix}conductor",
        timeout=30,
    )
    process = conductor.processes["conductor"].proc
    assert process is not None
    pid = process.pid
    try:
        baseline = [_timed_call(api) for _ in range(20)]
        during, real, sent = _poison(transport, api, queues)
        refused = _wait_for_refused(conductor, sent)
        letters = _letters(transport, prefix, DEAD_LETTERS)
        sample = _letters(transport, prefix, REFUSED)
    finally:
        api.close()
        transport.close()
    print(
        f"\npoison: {sent} messages of {len(poison.kinds(LIMIT, True))} kinds on "
        f"{conductor.transport_url.split(':')[0]}; valid calls p50/max "
        f"{statistics.median(baseline) * 1000:.1f}/"
        f"{max(baseline) * 1000:.1f} ms before, "
        f"{statistics.median(during) * 1000:.1f}/"
        f"{max(during) * 1000:.1f} ms during"
    )
    assert refused == sent
    assert process.poll() is None and process.pid == pid
    # A consumer the poison wedged would leave a call waiting out its 30 s
    # timeout; a call queued behind poison on a shared, busy machine may
    # take a second or two (1.03 s seen in CI).
    assert max(during) < 5.0, f"a valid call took {max(during):.2f}s"
    assert {d.message_id for d in letters} == real
    assert {d.reason for d in letters} == {
        "NoSuchMethod",
        "UnsupportedVersion",
    }
    assert 0 < len(sample) <= 1000
    assert not {d.message_id for d in sample} & real


def _timed_call(api: ConductorAPI) -> float:
    started = time.monotonic()
    assert api.instances_on_host(RequestContext(), "nowhere") == []
    return time.monotonic() - started


def _poison(
    transport: KombuTransport, api: ConductorAPI, queues: list[str]
) -> tuple[list[float], set[str], int]:
    """Send every kind, interleaved; the valid calls' times, the ids of
    the real dead letters, and how many poison messages went out."""
    during: list[float] = []
    real: set[str] = set()
    sent = 0
    conn = transport.connect()
    try:
        producer = conn.Producer()
        amqp = transport.display_url.startswith("amqp")
        makers = list(poison.kinds(LIMIT, amqp).values())
        for n in range(COUNT):
            for make in makers:
                queue = queues[(n + sent) % 2]
                poison.publish(producer, queue, make(n, queue))
                sent += 1
                if sent % 100 == 0:
                    during.append(_timed_call(api))
            if n < REAL_DEAD_LETTERS:
                raw = poison.undispatchable(n, queues[n % 2])
                poison.publish(producer, queues[n % 2], raw)
                real.add(raw.message_id)
    finally:
        conn.release()
    during.append(_timed_call(api))
    return during, real, sent


def _wait_for_refused(conductor: Deployment, expected: int) -> int:
    """What the conductor's heartbeats report, once they report all."""
    from zerodown.compute.db.engine import make_engine

    engine = make_engine(conductor.database_url)
    directory = ServiceDirectory(engine, HISTORY)

    def refused() -> int:
        record = directory.get("conductor", "conductor")
        return record.signing.refused if record.signing else 0

    try:
        eventually(
            lambda: refused() >= expected,
            timeout=120,
            interval=0.2,
            message=lambda: f"{refused()} of {expected} reported refused",
        )
        record = directory.get("conductor", "conductor")
        assert record.signing and record.signing.mode == "required"
        return record.signing.refused
    finally:
        engine.dispose()


def _letters(transport, prefix, address):
    return [
        d
        for d in list_dead_letters(transport, 20_000, address=address)
        if d.topic == f"{prefix}conductor"
    ]
