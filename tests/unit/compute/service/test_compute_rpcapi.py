"""Release 2's ComputeAPI 1.1 against a release-1 compute: the client
capped at r1 drops ``clean_shutdown`` and backports the instance to what
r1 reads; a realtime instance cannot be backported and is refused at the
sender, never delivered without its realtime vCPUs."""

from __future__ import annotations

import threading

import pytest
from placement_samples import flavor, instance

import zerodown.objects  # noqa: F401  (o.vo without its eventlet warning)
from zerodown.compute.objects import REGISTRY, Instance
from zerodown.compute.rpcapi import ComputeAPI
from zerodown.compute.version import HISTORY
from zerodown.objects.errors import UnrepresentableValue
from zerodown.objects.serializer import ObjectSerializer
from zerodown.rpc import MemoryTransport, RPCServer, StaticCap, Target

R1, R2 = HISTORY.entries[0], HISTORY.entries[1]


class Compute:
    """Records what a compute's terminate_instance received."""

    def __init__(self, version: str) -> None:
        self.target = Target(version=version)
        self.RPC_API = ComputeAPI
        self.seen: list[tuple[Instance, dict[str, object]]] = []
        self.done = threading.Event()

    def terminate_instance(self, ctx, instance, **kwargs):
        self.seen.append((instance, kwargs))
        self.done.set()


@pytest.fixture
def transport():
    memory = MemoryTransport()
    yield memory
    memory.close()


def _instance(**specs: str) -> Instance:
    inst = instance(flavor(2, 512, **specs))
    inst.description = "kept by the API, not sent to r1"
    inst.host = "compute-1"
    return inst


def _terminate(transport, entry, instance):
    compute = Compute(entry.rpc["compute"])
    server = RPCServer(
        transport,
        Target(topic="compute", server="compute-1"),
        [compute],
        serializer=ObjectSerializer(REGISTRY),
    )
    client = ComputeAPI(
        transport,
        version_cap=StaticCap(
            entry.rpc["compute"], objects=entry.objects, reason="test"
        ),
        serializer=ObjectSerializer(REGISTRY),
    )
    with server:
        client.terminate_instance(None, instance)
        assert compute.done.wait(5)
    client.close()
    return compute.seen[0]


def test_an_r1_compute_gets_no_clean_shutdown_and_an_instance_2_4(
    transport,
):
    instance = _instance(**{"hw:cpu_policy": "dedicated"})
    received, kwargs = _terminate(transport, R1, instance)
    assert kwargs == {}
    assert received.VERSION == "2.5"  # read back by this registry...
    # ...sent as 2.4, which had no description: read as None.
    assert received.description is None
    (cell,) = received.numa_topology.cells
    assert cell.pcpuset == {0, 1}


def test_an_r2_compute_gets_clean_shutdown(transport):
    received, kwargs = _terminate(transport, R2, _instance())
    assert kwargs == {"clean_shutdown": True}
    assert received.description == "kept by the API, not sent to r1"


def test_a_realtime_instance_is_refused_for_an_r1_compute(transport):
    instance = _instance(
        **{
            "hw:cpu_policy": "dedicated",
            "hw:cpu_realtime": "yes",
            "hw:cpu_realtime_mask": "^0",
        }
    )
    with pytest.raises(UnrepresentableValue, match="cpuset_realtime"):
        _terminate(transport, R1, instance)
