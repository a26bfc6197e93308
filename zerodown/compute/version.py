"""The compute stack's service versions (Nova's ``SERVICE_VERSION_HISTORY``).

One integer per release that changes what services say to each other.
Each entry lists the RPC API and object versions that release speaks, so
a client capped at the oldest live service's version sends nothing that
service cannot read.  Bump it with every RPC or object change, and gate
new features on the minimum live version.
"""

from __future__ import annotations

from zerodown.services import ServiceHistory, ServiceVersion

__all__ = ["HISTORY", "SERVICE_VERSION"]

HISTORY = ServiceHistory(
    "zerodown.compute",
    ServiceVersion(
        1,
        "release 1: build, pause, unpause, reboot, terminate",
        rpc={"compute": "1.0", "conductor": "1.0", "scheduler": "1.0"},
        objects={
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
        },
    ),
    aliases={"r1": 1},
)

#: The version this code runs at.
SERVICE_VERSION = HISTORY.current
