"""``ComputeManager.finish_stale``: actions left in their task state past
``task_timeout`` with no cast handled are carried out once, never beside
a cast being handled, and a late copy of their cast is dropped.  The
manager with the fake driver and stand-ins for the conductor and the
resource tracker (the functional test runs the real services)."""

from __future__ import annotations

import datetime
from typing import Any

from compute_sample_objects import flavor, instance

from zerodown.compute.agent.manager import ComputeManager
from zerodown.compute.objects import Instance
from zerodown.compute.virt import power_state
from zerodown.compute.virt.fake import FakeDriver

# Far from any timeout whenever the test runs (a module is imported long
# before its tests run under xdist).
OLD = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
YOUNG = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
    days=1
)


class Conductor:
    """The conductor as the manager uses it: the host's instances, and
    the saves and deletes it was sent."""

    def __init__(self) -> None:
        self.instances: dict[str, Instance] = {}
        self.saved: list[tuple[str, str | None, str | None]] = []
        self.destroyed: list[str] = []

    def instances_on_host(self, ctx: Any, host: str) -> list[Instance]:
        return [i.obj_clone() for i in self.instances.values()]

    def instance_update(
        self, ctx: Any, inst: Instance, expected_task_state: str | None
    ) -> None:
        self.saved.append((inst.uuid, expected_task_state, inst.task_state))
        self.instances[inst.uuid] = inst.obj_clone()

    def instance_destroy(self, ctx: Any, inst: Instance) -> None:
        self.destroyed.append(inst.uuid)
        del self.instances[inst.uuid]


class Tracker:
    def update_available_resource(self, ctx: Any) -> None:
        pass


def _manager(timeout: float = 60.0) -> tuple[ComputeManager, Conductor]:
    conductor = Conductor()
    manager = ComputeManager(
        "compute-1",
        FakeDriver({}),
        conductor,  # type: ignore[arg-type]
        Tracker(),  # type: ignore[arg-type]
        task_timeout=timeout,
    )
    return manager, conductor


def _server(
    manager: ComputeManager,
    conductor: Conductor,
    task_state: str | None,
    updated_at: datetime.datetime,
) -> Instance:
    """A running guest whose instance waits in ``task_state``."""
    server = instance(
        flavor(1, 256, name="small"),
        vm_state="active",
        task_state=None,
        host="compute-1",
        node="fake",
        updated_at=updated_at,
    )
    manager.driver.spawn(server)
    server.task_state = task_state
    conductor.instances[server.uuid] = server.obj_clone()
    return server


def test_only_actions_past_the_timeout_are_finished():
    manager, conductor = _manager()
    stale = _server(manager, conductor, "pausing", OLD)
    deleting = _server(manager, conductor, "deleting", OLD)
    young = _server(manager, conductor, "pausing", YOUNG)
    building = _server(manager, conductor, "spawning", OLD)
    idle = _server(manager, conductor, None, OLD)

    assert sorted(manager.finish_stale()) == sorted(
        [stale.uuid, deleting.uuid]
    )
    assert conductor.saved == [(stale.uuid, "pausing", None)]
    assert conductor.destroyed == [deleting.uuid]
    assert manager.driver.get_power_state(stale) == power_state.PAUSED
    for left in (young, building, idle):
        assert manager.driver.get_power_state(left) == power_state.RUNNING
    assert manager.finish_stale() == []  # nothing is finished twice


def test_a_timeout_of_zero_finishes_nothing():
    manager, conductor = _manager(timeout=0)
    _server(manager, conductor, "pausing", OLD)
    assert manager.finish_stale() == []
    assert conductor.saved == []


def test_an_action_whose_cast_is_being_handled_is_left_to_it():
    manager, conductor = _manager()
    server = _server(manager, conductor, "pausing", OLD)
    with manager._handling(server) as run:
        assert run
        assert manager.finish_stale() == []
    assert conductor.saved == []
    manager.pause_instance(None, server)  # type: ignore[arg-type]
    assert conductor.saved == [(server.uuid, "pausing", None)]


def test_a_late_copy_of_the_cast_is_dropped_and_a_new_request_runs():
    manager, conductor = _manager()
    server = _server(manager, conductor, "pausing", OLD)
    assert manager.finish_stale() == [server.uuid]
    manager.pause_instance(None, server)  # the lost cast, after all
    assert conductor.saved == [(server.uuid, "pausing", None)]

    manager.unpause_instance(None, _again(server, "unpausing"))
    manager.pause_instance(None, _again(server, "pausing"))
    assert [s[1] for s in conductor.saved] == [
        "pausing",
        "unpausing",
        "pausing",
    ]
    assert manager.driver.get_power_state(server) == power_state.PAUSED


def _again(server: Instance, task_state: str) -> Instance:
    """The instance as the API saves it for a new request."""
    again = server.obj_clone()
    again.task_state = task_state
    again.updated_at = datetime.datetime.now(datetime.timezone.utc)
    return again


def test_an_action_done_since_the_list_is_not_done_again():
    """The cast was only slow: it ran between the periodic task's list
    and its turn for the instance, which it reads again first."""
    manager, conductor = _manager()
    server = _server(manager, conductor, "pausing", OLD)
    listed = conductor.instances_on_host

    def list_then_cast(ctx: Any, host: str) -> list[Instance]:
        found = listed(ctx, host)
        conductor.instances_on_host = listed  # type: ignore[method-assign]
        manager.pause_instance(None, server)  # type: ignore[arg-type]
        return found

    conductor.instances_on_host = list_then_cast  # type: ignore[method-assign]
    assert manager.finish_stale() == []
    assert conductor.saved == [(server.uuid, "pausing", None)]
