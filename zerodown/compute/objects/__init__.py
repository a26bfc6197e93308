"""The compute stack's resource objects, on ``zerodown.objects``.

Their histories are modelled on Nova's (see each module) so that every
backport pattern runs here: dropped fields, semantic conversions, refused
enum values, child objects through the manifest, and legacy readers.
"""

from __future__ import annotations

from zerodown.compute.objects.compute_node import ComputeNode
from zerodown.compute.objects.cpuspec import format_cpu_spec, parse_cpu_spec
from zerodown.compute.objects.flavor import Flavor
from zerodown.compute.objects.image_meta import ImageMetaProps
from zerodown.compute.objects.instance import Instance
from zerodown.compute.objects.instance_numa import (
    InstanceNUMACell,
    InstanceNUMATopology,
    VirtCPUTopology,
)
from zerodown.compute.objects.numa import (
    NetworkMetadata,
    NUMACell,
    NUMAPagesTopology,
    NUMATopology,
    NUMATopologyLimits,
)
from zerodown.compute.objects.pci import PciDevice, PciDevicePool
from zerodown.compute.objects.registry import MANIFEST, REGISTRY
from zerodown.compute.objects.service import Service

__all__ = [
    "MANIFEST",
    "REGISTRY",
    "ComputeNode",
    "Flavor",
    "ImageMetaProps",
    "Instance",
    "InstanceNUMACell",
    "InstanceNUMATopology",
    "NUMACell",
    "NUMAPagesTopology",
    "NUMATopology",
    "NUMATopologyLimits",
    "NetworkMetadata",
    "PciDevice",
    "PciDevicePool",
    "Service",
    "VirtCPUTopology",
    "format_cpu_spec",
    "parse_cpu_spec",
]
