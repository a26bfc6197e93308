"""The compute stack's service versions (Nova's ``SERVICE_VERSION_HISTORY``).

One integer per release that changes what services say to each other.
Each entry lists the RPC API and object versions that release speaks, so
a client capped at the oldest running service's version sends nothing that
service cannot read.  Bump it with every RPC or object change, and gate
new features on the minimum live version.
"""

from __future__ import annotations

from zerodown.services import ServiceHistory, ServiceVersion

__all__ = ["HISTORY", "REALTIME_MIN_VERSION", "SERVICE_VERSION"]

_R1_OBJECTS = {
    "ComputeNode": "1.7",
    "Flavor": "1.2",
    "ImageMetaProps": "1.6",
    "Instance": "2.4",
    "InstanceNUMACell": "1.6",
    "InstanceNUMATopology": "1.3",
    "NUMACell": "1.5",
    "NUMAPagesTopology": "1.1",
    "NUMATopology": "1.2",
    "NUMATopologyLimits": "1.1",
    "NetworkMetadata": "1.0",
    "PciDevice": "1.7",
    "PciDevicePool": "1.1",
    "Service": "1.3",
    "VirtCPUTopology": "1.0",
}

HISTORY = ServiceHistory(
    "zerodown.compute",
    ServiceVersion(
        1,
        "release 1: build, pause, unpause, reboot, terminate",
        rpc={"compute": "1.0", "conductor": "1.0", "scheduler": "1.0"},
        objects=_R1_OBJECTS,
    ),
    ServiceVersion(
        2,
        "release 2: realtime vCPUs, clean shutdown on delete, "
        "server descriptions",
        rpc={"compute": "1.1", "conductor": "1.0", "scheduler": "1.0"},
        objects={
            **_R1_OBJECTS,
            "Instance": "2.5",
            "InstanceNUMACell": "1.7",
        },
    ),
    ServiceVersion(
        3,
        "release 3: conductor 1.1, whose heartbeats carry each "
        "compute's message signing report; tokens, signed messages, "
        "instances.id widened to 64 bits",
        rpc={"conductor": "1.1"},
    ),
    aliases={"r1": 1, "r2": 2, "r3": 3},
)

#: A release-1 compute accepts a realtime guest and runs its vCPUs as
#: ordinary ones; the API refuses realtime until every compute is at 2.
REALTIME_MIN_VERSION = 2

#: The version this code runs at.
SERVICE_VERSION = HISTORY.current
