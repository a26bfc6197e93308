"""A compute stops in seconds whatever is down (issue 18): here its
broker, on a real RabbitMQ behind a proxy the test controls.  (The
conductor gone is in ``test_compute_stack.py``.)

Two ways to lose the broker: it is gone (the connection is reset and a
new one is refused, as when RabbitMQ stops), or it is silent (the
connection stays open and nothing comes back, as behind a broken
network).  Either way a SIGTERM ends the compute cleanly (exit 0, not a
SIGKILL) well within the launcher's bound.
"""

from __future__ import annotations

import os
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from tcp_proxy import TCPProxy

from zerodown.compute.deployment import ComputeHost, Deployment
from zerodown.testing.waiting import eventually

AMQP = "amqp://guest:guest@127.0.0.1:5672//"

#: What "in seconds" means here: the conductor's and the periodic
#: task's waits (3 s and 2 s) and the server's drain, with room for a
#: loaded machine; the launcher kills at 20 s.
BOUND = 15.0


def _through(url: str, proxy: TCPProxy) -> str:
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    netloc = (
        f"{auth}@127.0.0.1:{proxy.port}" if auth else f"127.0.0.1:{proxy.port}"
    )
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def stack(tmp_path):
    amqp = os.environ.get("ZERODOWN_TEST_AMQP_URL", AMQP)
    upstream = urlsplit(amqp)
    proxy = TCPProxy((upstream.hostname or "127.0.0.1", upstream.port or 5672))
    deployment = Deployment(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/compute.db",
        transport_url=amqp,
        computes=(ComputeHost("compute-1"),),
        topic_prefix=f"zdt-{uuid.uuid4().hex[:8]}-",
        schedulers=1,
        heartbeat_interval=0.5,
        report_interval=0.5,
        overrides={"compute-1": {"transport_url": _through(amqp, proxy)}},
    )
    try:
        with deployment.running():
            yield deployment, proxy
    finally:
        proxy.close()


@pytest.mark.parametrize("lost", ["gone", "silent"])
def test_a_compute_stops_in_seconds_while_its_broker_is_lost(stack, lost):
    deployment, proxy = stack
    api = deployment.api
    # Up and reporting through the proxy before its broker is lost.
    eventually(
        lambda: (
            [h["hypervisor_hostname"] for h in api.list_hypervisors()]
            == ["compute-1"]
        ),
        message="compute-1 never reported",
    )
    if lost == "gone":
        proxy.close()
    else:
        proxy.hold()
    compute = deployment.processes["compute-1"]
    began = time.monotonic()
    code = compute.stop(timeout=BOUND)
    took = time.monotonic() - began
    assert code == 0, (code, round(took, 1), compute.tail(40))
    assert took < BOUND
