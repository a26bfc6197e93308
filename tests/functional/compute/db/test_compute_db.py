"""The compute stack's data access on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from compute_samples import deployed_db, flavor, instance

from zerodown.compute.db.models import INSTANCE_EXTRA
from zerodown.compute.errors import (
    FlavorExists,
    FlavorNotFound,
    InstanceInvalidState,
    InstanceNotFound,
    StoredDataInvalid,
)
from zerodown.compute.objects import InstanceNUMATopology

DEDICATED = {
    "hw:cpu_policy": "dedicated",
    "hw:numa_nodes": "2",
    "hw:mem_page_size": "2048",
}


@pytest.fixture
def db(zerodown_db, tmp_path):
    database = deployed_db(tmp_path, zerodown_db.url)
    yield database
    database.engine.dispose()


def test_flavors_round_trip_with_extra_specs(db):
    created = db.create_flavor(flavor("pinned", 4, 2048, **DEDICATED))
    assert created.extra_specs == DEDICATED
    db.update_extra_specs("pinned", {"hw:cpu_thread_policy": "isolate"})
    assert db.get_flavor("pinned").extra_specs["hw:cpu_thread_policy"] == (
        "isolate"
    )
    db.delete_extra_spec("pinned", "hw:cpu_thread_policy")
    assert db.get_flavor("pinned").extra_specs == DEDICATED
    with pytest.raises(FlavorExists):
        db.create_flavor(flavor("pinned"))
    assert [f.flavorid for f in db.list_flavors()] == ["pinned"]
    db.delete_flavor("pinned")
    with pytest.raises(FlavorNotFound):
        db.get_flavor("pinned")


def test_an_instance_keeps_its_nested_objects(db):
    fl = db.create_flavor(flavor("pinned", 4, 2048, **DEDICATED))
    new = instance(fl, "vm-1", hw_cpu_thread_policy="prefer")
    stored = db.create_instance(new)
    assert stored.id > 0
    assert stored.flavor.extra_specs == DEDICATED
    assert isinstance(stored.numa_topology, InstanceNUMATopology)
    assert len(stored.numa_topology.cells) == 2
    assert stored.image_props.hw_cpu_thread_policy == "prefer"
    assert db.list_instances(vm_states=["building"])[0].uuid == new.uuid


def test_save_compares_and_swaps_the_task_state(db):
    fl = db.create_flavor(flavor())
    stored = db.create_instance(instance(fl))
    stored.task_state = "spawning"
    stored.host = "compute-1"
    saved = db.save_instance(stored, expected_task_state="scheduling")
    assert (saved.host, saved.task_state) == ("compute-1", "spawning")
    saved.task_state = None
    with pytest.raises(InstanceInvalidState, match="scheduling"):
        db.save_instance(saved, expected_task_state="scheduling")
    db.save_instance(saved, expected_task_state=("spawning", None))
    assert db.list_instances(host="compute-1")[0].task_state is None


def test_a_deleted_instance_is_gone_and_frees_its_devices(db):
    fl = db.create_flavor(flavor())
    stored = db.create_instance(instance(fl))
    db.destroy_instance(stored.uuid)
    with pytest.raises(InstanceNotFound):
        db.get_instance(stored.uuid)
    assert db.get_instance(stored.uuid, include_deleted=True).deleted
    with pytest.raises(InstanceNotFound):
        db.save_instance(stored)


def test_faults_keep_the_latest_reason(db):
    fl = db.create_flavor(flavor())
    stored = db.create_instance(instance(fl))
    db.add_fault(stored.uuid, 500, "first")
    db.add_fault(stored.uuid, 500, "no valid host was found: full")
    assert db.get_fault(stored.uuid)["message"].endswith("full")


def test_an_unreadable_blob_names_its_row(db):
    fl = db.create_flavor(flavor())
    stored = db.create_instance(instance(fl))
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(INSTANCE_EXTRA)
            .where(INSTANCE_EXTRA.c.instance_uuid == stored.uuid)
            .values(numa_topology='{"truncated":')
        )
    with pytest.raises(StoredDataInvalid, match=stored.uuid):
        db.get_instance(stored.uuid)
