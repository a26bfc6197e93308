"""A compute killed in the middle of a build: its claim is released,
nothing leaks, and the build ends with the reason.

Two ways: the compute stays down (the conductor fails the build once the
service is down and the build is older than ``build_timeout``), or it
comes back first (its start-up sends the build back to the scheduler,
this host tried: on this one-compute stack there is no other host, and
the build fails naming the restart; with another host it boots there,
as in the release 2 -> 3 upgrade job's fault runs).
"""

from __future__ import annotations

import uuid

import pytest

from zerodown.compute.deployment import ComputeHost, Deployment
from zerodown.testing.waiting import eventually

PINNED = {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "2"}
SLOW = ComputeHost(
    "compute-1",
    "fake",
    {"cpu_dedicated_set": "2-3,10-11,6-7,14-15", "spawn_delay": 30.0},
    ram_allocation_ratio=1.0,
)
FAST = ComputeHost(
    "compute-1",
    "fake",
    {"cpu_dedicated_set": "2-3,10-11,6-7,14-15"},
    ram_allocation_ratio=1.0,
)


@pytest.fixture(params=[2.0])
def stack(request, tmp_path):
    deployment = Deployment(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/compute.db",
        transport_url=f"embedded://{tmp_path}/broker.db",
        computes=(SLOW,),
        topic_prefix=f"zdt-{uuid.uuid4().hex[:8]}-",
        down_after=3.0,
        heartbeat_interval=0.5,
        report_interval=0.5,
        build_timeout=request.param,
    )
    with deployment.running():
        deployment.api.create_flavor("pinned", 4, 1024, 1, PINNED, "pinned")
        yield deployment


def _kill_while_spawning(stack):
    api = stack.api
    server = api.create_server("victim", "pinned")
    spawning = api.wait_for_server(
        server["id"], lambda s: s["task_state"] == "spawning", timeout=30
    )
    assert spawning["host"] == "compute-1", spawning
    # The compute saves the instance as spawning, then reports the node
    # with the claim: the report may land a moment later.
    eventually(
        lambda: len(_pinned(api)) == 4, message="the claim was not made"
    )
    stack.processes["compute-1"].kill()
    return server["id"]


def _pinned(api):
    (host,) = api.list_hypervisors()
    return {c for cell in host["numa_cells"] for c in cell["pinned"]}


def _restart_and_boot(stack):
    stack.start_compute(FAST)
    api = stack.api
    eventually(
        lambda: _pinned(api) == set(),
        timeout=20,
        interval=0.2,
        message="the dead build's claim leaked",
    )
    again = api.create_server("again", "pinned")
    active = api.wait_for_status(again["id"], "ACTIVE")
    assert active["status"] == "ACTIVE", active
    assert len(_pinned(api)) == 4


def test_a_compute_that_stays_down_fails_its_build(stack):
    uuid_ = _kill_while_spawning(stack)
    failed = stack.api.wait_for_status(uuid_, "ERROR", timeout=30)
    assert failed["status"] == "ERROR", failed
    assert "stopped responding" in failed["fault"]["message"]
    assert failed["host"] is None
    _restart_and_boot(stack)


# The conductor would wait a minute: the compute's own start-up acts.
@pytest.mark.parametrize("stack", [60.0], indirect=True)
def test_a_compute_that_comes_back_fails_its_build(stack):
    uuid_ = _kill_while_spawning(stack)
    stack.start_compute(FAST)
    failed = stack.api.wait_for_status(uuid_, "ERROR", timeout=30)
    assert failed["status"] == "ERROR", failed
    message = failed["fault"]["message"]
    assert "no valid host" in message.lower(), message
    assert "restarted during the build" in message
    stack.processes["compute-1"].stop()
    _restart_and_boot(stack)
