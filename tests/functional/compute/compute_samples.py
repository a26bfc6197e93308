"""Sample compute-stack objects and a deployed database for the tests."""

from __future__ import annotations

from pathlib import Path

from compute_sample_objects import flavor as sample_flavor
from compute_sample_objects import instance as sample_instance

from zerodown.compute.db.api import ComputeDB
from zerodown.compute.db.engine import make_engine
from zerodown.compute.deploy import deploy_schema
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
    return sample_flavor(vcpus, ram, name=name, id=0, **specs)


def instance(fl: Flavor, name: str = "vm", **props: str) -> Instance:
    return sample_instance(
        fl,
        ImageMetaProps(**props),
        display_name=name,
        project_id="p",
        user_id="u",
        power_state=0,
    )
