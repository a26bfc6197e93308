"""The schedulers claim in the database before they answer, on SQLite,
PostgreSQL and MariaDB: concurrent requests to two schedulers (each
with its own engine, as two processes have) never take the same room,
pinned guests never share a CPU, a report drops the claims it counts,
and a claim given back frees its room."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from compute_samples import deployed_db, flavor, instance
from sqlalchemy import exc as sa_exc

from zerodown.compute.db.api import ComputeDB
from zerodown.compute.db.claims import HostClaim
from zerodown.compute.db.engine import make_engine
from zerodown.compute.errors import NoValidHost
from zerodown.compute.objects import ComputeNode
from zerodown.compute.scheduler.manager import SchedulerManager
from zerodown.compute.version import HISTORY
from zerodown.compute.virt.host_topology import generated_cells, numa_topology
from zerodown.rpc import RequestContext
from zerodown.services import ServiceDirectory

PINNED = {
    "hw:cpu_policy": "dedicated",
    "hw:numa_nodes": "2",
    "hw:mem_page_size": "2048",
}


@pytest.fixture
def db(zerodown_db, tmp_path):
    database = deployed_db(tmp_path, zerodown_db.url)
    yield database
    database.engine.dispose()


def _node(host: str, **usage: int) -> ComputeNode:
    return ComputeNode(
        uuid=str(uuid.uuid5(uuid.NAMESPACE_DNS, host)),
        host=host,
        hypervisor_hostname=host,
        hypervisor_type="fake",
        vcpus=16,
        memory_mb=8192,
        local_gb=100,
        vcpus_used=usage.get("vcpus_used", 0),
        memory_mb_used=usage.get("memory_mb_used", 0),
        local_gb_used=0,
        cpu_info="{}",
        numa_topology=numa_topology(
            generated_cells(memory_mb_per_cell=4096), "2-3,10-11,6-7,14-15"
        ),
        pci_device_pools=[],
        cpu_allocation_ratio=16.0,
        ram_allocation_ratio=1.0,
        disk_allocation_ratio=1.0,
    )


def _fleet(db: ComputeDB, hosts: list[str]) -> None:
    directory = ServiceDirectory(db.engine, HISTORY)
    for host in hosts:
        directory.register(host, "compute")
        db.upsert_compute_node(_node(host))


def _scheduler(url: str, subset: int = 1) -> SchedulerManager:
    """A scheduler with an engine of its own, as a process has."""
    engine = make_engine(url)
    return SchedulerManager(
        ComputeDB(engine),
        ServiceDirectory(engine, HISTORY),
        {},
        host_subset_size=subset,
    )


def _burst(schedulers, instances):
    """Every instance scheduled at once, round-robin over
    ``schedulers``; each result is a host or the NoValidHost text."""
    start = threading.Barrier(len(instances))

    def one(i):
        start.wait()
        try:
            chosen = schedulers[i % len(schedulers)].select_destinations(
                RequestContext(), instances[i], []
            )
            return chosen[0]["host"]
        except NoValidHost as err:
            return str(err)

    with ThreadPoolExecutor(len(instances)) as pool:
        return list(pool.map(one, range(len(instances))))


def _claimed(db: ComputeDB) -> dict[str, list]:
    views = db.node_views(sorted(db.node_stamps()))
    return {v.node.host: list(v.claims) for v in views}


def test_two_schedulers_never_take_the_same_room(db, zerodown_db):
    _fleet(db, ["h1", "h2"])
    fl = db.create_flavor(flavor("m2", 1, 2048))
    wanted = [db.create_instance(instance(fl, f"vm{i}")) for i in range(12)]
    schedulers = [_scheduler(zerodown_db.url, 2) for _ in range(2)]
    try:
        results = _burst(schedulers, wanted)
    finally:
        for s in schedulers:
            s.db.engine.dispose()
    placed = [r for r in results if r in ("h1", "h2")]
    refused = [r for r in results if r not in ("h1", "h2")]
    # 8 GiB a host, 2 GiB each: exactly 8 fit, the others are told so.
    assert sorted(placed) == ["h1"] * 4 + ["h2"] * 4
    assert len(refused) == 4
    assert all("no valid host" in r and "RamFilter" in r for r in refused)
    claimed = _claimed(db)
    for host in ("h1", "h2"):
        assert sum(c.memory_mb for c in claimed[host]) == 8192
    assert {c.instance_uuid for h in claimed.values() for c in h} == {
        i.uuid
        for i, r in zip(wanted, results, strict=True)
        if r in ("h1", "h2")
    }


def test_pinned_guests_never_share_a_cpu(db, zerodown_db):
    _fleet(db, ["h1"])
    fl = db.create_flavor(flavor("pinned", 4, 1024, **PINNED))
    wanted = [db.create_instance(instance(fl, f"vm{i}")) for i in range(4)]
    schedulers = [_scheduler(zerodown_db.url) for _ in range(2)]
    try:
        results = _burst(schedulers, wanted)
    finally:
        for s in schedulers:
            s.db.engine.dispose()
    # 8 dedicated CPUs, 4 on each cell: two guests of 2 + 2.
    assert results.count("h1") == 2
    assert all(
        "NUMATopologyFilter" in r or "CoreFilter" in r
        for r in results
        if r != "h1"
    )
    pinned: list[int] = []
    for held in _claimed(db)["h1"]:
        for cell in held.numa_topology.cells:
            pinned += list(cell.cpu_pinning.values())
    assert len(pinned) == 8 and len(set(pinned)) == 8


def test_a_report_drops_what_it_counts_and_a_refusal_gives_back(
    db, zerodown_db
):
    _fleet(db, ["h1"])
    fl = db.create_flavor(flavor("m2", 1, 2048))
    first, second = (db.create_instance(instance(fl)) for _ in range(2))
    scheduler = _scheduler(zerodown_db.url)
    try:
        for inst in (first, second):
            scheduler.select_destinations(RequestContext(), inst, [])
        assert len(_claimed(db)["h1"]) == 2
        before = db.node_stamps()
        # The compute claims the first and reports it: the report counts
        # it, so the scheduler's claim on it goes.
        first.host, first.node, first.task_state = "h1", "h1", "spawning"
        db.save_instance(first)
        db.upsert_compute_node(_node("h1", vcpus_used=1, memory_mb_used=2048))
        (left,) = _claimed(db)["h1"]
        assert left.instance_uuid == second.uuid
        (stamp,) = db.node_stamps().values()
        assert stamp.generation > next(iter(before.values())).generation
        # The scheduler's view: the report's 2 GiB and the claim's 2 GiB.
        (state,) = scheduler.host_states()
        assert state.ram_used_mb == 4096
        # The compute refuses the second: its claim is given back.
        assert db.release_claim(second.uuid)
        assert not db.release_claim(second.uuid)
        (state,) = scheduler.host_states()
        assert state.ram_used_mb == 2048 and _claimed(db)["h1"] == []
    finally:
        scheduler.db.engine.dispose()


def test_a_claim_on_a_stale_generation_is_refused(db, zerodown_db):
    _fleet(db, ["h1"])
    fl = db.create_flavor(flavor("m6", 1, 6144))
    first, second = (db.create_instance(instance(fl)) for _ in range(2))
    a, b = _scheduler(zerodown_db.url), _scheduler(zerodown_db.url)
    try:
        (seen,) = a.host_states()  # a's view: 8 GiB free
        b.select_destinations(RequestContext(), first, [])
        # What a would write from its stale view matches no row.
        stale = HostClaim(second.uuid, seen.node_id, 1, 6144, 1)
        assert not db.claim_on_node(seen.generation, stale)
        assert [c.instance_uuid for c in _claimed(db)["h1"]] == [first.uuid]
        # a reads h1 again before choosing, and finds 2 GiB free.
        with pytest.raises(NoValidHost, match="RamFilter"):
            a.select_destinations(RequestContext(), second, [])
    finally:
        a.db.engine.dispose()
        b.db.engine.dispose()


def test_a_retry_never_goes_back_to_a_host_that_refused(db, zerodown_db):
    """The conductor asks again with the hosts tried: the best host that
    refused is skipped even with room, and the instance's claim moves
    (one claim an instance, the refusing host's room given back)."""
    _fleet(db, ["h1", "h2"])
    fl = db.create_flavor(flavor("m2", 1, 2048))
    busy = db.create_instance(instance(fl, "busy"))
    wanted = db.create_instance(instance(fl, "wanted"))
    scheduler = _scheduler(zerodown_db.url)
    try:
        # h2 holds 2 GiB: h1 is the best host, and stays so.
        (first,) = scheduler.select_destinations(RequestContext(), busy, [])
        assert first["host"] == "h1"
        (best,) = scheduler.select_destinations(RequestContext(), wanted, [])
        assert best["host"] == "h2"
        # h2 refused it (its claim not given back first, as a conductor
        # would): the retry goes to h1 although h2 is still emptier.
        (again,) = scheduler.select_destinations(
            RequestContext(), wanted, ["h2"]
        )
        assert again["host"] == "h1"
        assert "h2" not in again["alternates"]
        claimed = _claimed(db)
        assert [c.instance_uuid for c in claimed["h2"]] == []
        assert sorted(c.instance_uuid for c in claimed["h1"]) == sorted(
            [busy.uuid, wanted.uuid]
        )
        # Every host tried: no valid host, and it says so.
        with pytest.raises(NoValidHost, match="tried already"):
            scheduler.select_destinations(
                RequestContext(), wanted, ["h1", "h2"]
            )
    finally:
        scheduler.db.engine.dispose()


def test_a_claim_made_again_on_its_node_is_counted_once(db, zerodown_db):
    """An instance scheduled again onto the node it holds a claim on
    (its claim replaced, not added): the scheduler's own view reads the
    node again instead of counting the instance twice."""
    _fleet(db, ["h1"])
    fl = db.create_flavor(flavor("m2", 1, 2048))
    wanted = db.create_instance(instance(fl, "wanted"))
    scheduler = _scheduler(zerodown_db.url)
    try:
        for _ in range(2):
            (chosen,) = scheduler.select_destinations(
                RequestContext(), wanted, []
            )
            assert chosen["host"] == "h1"
        assert [c.memory_mb for c in _claimed(db)["h1"]] == [2048]
        (state,) = scheduler.host_states()
        assert state.ram_used_mb == 2048
    finally:
        scheduler.db.engine.dispose()


def test_a_claim_that_fails_leaves_nothing_counted(db, zerodown_db):
    """The database fails the claim (an error, not a lost race): the
    request fails, and the room the selection had consumed in the
    scheduler's view is not kept as taken."""
    _fleet(db, ["h1"])
    fl = db.create_flavor(flavor("m2", 1, 2048))
    wanted = db.create_instance(instance(fl, "wanted"))
    scheduler = _scheduler(zerodown_db.url)
    real = scheduler.db.claim_on_node

    def broken(seen, held):
        raise sa_exc.OperationalError("UPDATE", {}, Exception("gone"))

    try:
        scheduler.host_states()  # the view is kept from here on
        scheduler.db.claim_on_node = broken
        with pytest.raises(sa_exc.OperationalError):
            scheduler.select_destinations(RequestContext(), wanted, [])
        scheduler.db.claim_on_node = real
        (state,) = scheduler.host_states()
        assert state.ram_used_mb == 0 and _claimed(db)["h1"] == []
    finally:
        scheduler.db.engine.dispose()
