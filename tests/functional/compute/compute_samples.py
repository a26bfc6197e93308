"""Sample compute-stack objects and a deployed database for the tests."""

from __future__ import annotations

import uuid
from pathlib import Path

from compute_sample_objects import flavor as sample_flavor

from zerodown.compute.db.api import ComputeDB
from zerodown.compute.db.engine import make_engine
from zerodown.compute.deploy import deploy_schema
from zerodown.compute.hardware import numa_get_constraints
from zerodown.compute.objects import (
    Flavor,
    ImageMetaProps,
    Instance,
)


def deployed_db(workdir: Path, url: str) -> ComputeDB:
    """The compute schema on ``url``, through expand/migrate/contract."""
    deploy_schema(workdir, url)
    return ComputeDB(make_engine(url))


def flavor(
    name: str = "small", vcpus: int = 2, ram: int = 1024, **specs: str
) -> Flavor:
    return sample_flavor(name, vcpus, ram, id=0, **specs)


def instance(fl: Flavor, name: str = "vm", **props: str) -> Instance:
    image = ImageMetaProps(**props)
    return Instance(
        uuid=str(uuid.uuid4()),
        display_name=name,
        project_id="p",
        user_id="u",
        host=None,
        node=None,
        vm_state="building",
        task_state="scheduling",
        power_state=0,
        vcpus=fl.vcpus,
        memory_mb=fl.memory_mb,
        root_gb=fl.root_gb,
        ephemeral_gb=fl.ephemeral_gb,
        flavor=fl,
        image_props=image,
        numa_topology=numa_get_constraints(fl, image),
        pci_devices=[],
    )
