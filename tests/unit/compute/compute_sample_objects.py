"""The one builder of sample compute objects the tests and benchmarks share.

Test helpers (``placement_samples``, ``compute_samples``,
``compute_examples``), tests and the benchmarks (``bench/``, which put
this folder on ``sys.path``) build their flavors and new instances here,
with only what differs spelled out at the call.
"""

from __future__ import annotations

import uuid
from typing import Any

from zerodown.compute.hardware import numa_get_constraints
from zerodown.compute.objects import (
    Flavor,
    ImageMetaProps,
    Instance,
    PciDevice,
)

__all__ = ["flavor", "instance", "pci_device"]


def flavor(
    vcpus: int = 2,
    ram: int = 1024,
    *,
    name: str = "f",
    id: int = 1,
    flavorid: str | None = None,
    root_gb: int = 1,
    description: str | None = None,
    **specs: str,
) -> Flavor:
    """A public, enabled flavor; ``specs`` are its extra specs
    (``flavor(**{"hw:cpu_policy": "dedicated"})``)."""
    return Flavor(
        id=id,
        flavorid=name if flavorid is None else flavorid,
        name=name,
        memory_mb=ram,
        vcpus=vcpus,
        root_gb=root_gb,
        ephemeral_gb=0,
        swap=0,
        disabled=False,
        is_public=True,
        description=description,
        extra_specs=dict(specs),
        rxtx_factor=1.0,
        vcpu_weight=None,
    )


def instance(
    fl: Flavor, image: ImageMetaProps | None = None, **fields: Any
) -> Instance:
    """A new instance of ``fl`` (fresh uuid, being scheduled, no host),
    its NUMA constraints from the flavor and ``image``; ``fields`` set
    the rest."""
    image = ImageMetaProps() if image is None else image
    values: dict[str, Any] = dict(
        uuid=str(uuid.uuid4()),
        vcpus=fl.vcpus,
        memory_mb=fl.memory_mb,
        root_gb=fl.root_gb,
        ephemeral_gb=fl.ephemeral_gb,
        flavor=fl,
        image_props=image,
        numa_topology=numa_get_constraints(fl, image),
        pci_devices=[],
        vm_state="building",
        task_state="scheduling",
        host=None,
        node=None,
    )
    return Instance(**(values | fields))


def pci_device(i: int = 0, **fields: Any) -> PciDevice:
    """Intel VF ``i`` of the PF at 0000:81:00.0, on NUMA node ``i``,
    allocated; ``fields`` set its ids and the rest."""
    values: dict[str, Any] = dict(
        id=i,
        compute_node_id=7,
        address=f"0000:81:00.{i + 1}",
        vendor_id="8086",
        product_id="154c",
        dev_type="type-VF",
        status="allocated",
        label="label_8086_154c",
        numa_node=i,
        parent_addr="0000:81:00.0",
    )
    return PciDevice(**(values | fields))
