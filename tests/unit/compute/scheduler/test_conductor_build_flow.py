"""The conductor's build flow: schedule, cast to the chosen compute,
reschedule after a lost claim, and give up with every reason."""

from __future__ import annotations

from placement_samples import flavor, instance

from zerodown.compute.conductor.manager import ConductorManager
from zerodown.compute.errors import NoValidHost
from zerodown.rpc import RequestContext
from zerodown.rpc.errors import MessagingTimeout


class Scheduler:
    def __init__(self, hosts):
        self.hosts, self.asked, self.lost = hosts, [], 0

    def select_destinations(self, ctx, inst, ignore_hosts, timeout=None):
        self.asked.append(list(ignore_hosts))
        if self.lost:  # a reply a broker restart lost
            self.lost -= 1
            raise MessagingTimeout(
                method="select_destinations",
                destination="scheduler",
                timeout=timeout,
            )
        free = [h for h in self.hosts if h not in ignore_hosts]
        if not free:
            raise NoValidHost(reason="filter RamFilter returned 0 hosts")
        return [{"host": free[0], "nodename": free[0], "alternates": []}]


class Compute:
    def __init__(self):
        self.casts = []

    def build_and_run_instance(self, ctx, host, inst, tried):
        self.casts.append((host, tried))


class DB:
    def __init__(self, inst):
        self.inst, self.faults, self.released = inst, [], []
        self.saved = []

    def release_claim(self, uuid):
        self.released.append(uuid)
        return True

    def get_instance(self, uuid):
        return self.inst

    def save_instance(self, inst, **kwargs):
        if "expected_task_state" in kwargs:
            self.saved.append((kwargs["expected_task_state"],))
        return inst

    def add_fault(self, uuid, code, message):
        self.faults.append(message)


def _manager(hosts, attempts=3):
    inst = instance(flavor())
    db, compute = DB(inst), Compute()
    scheduler = Scheduler(hosts)
    manager = ConductorManager(
        db, None, scheduler, compute, max_attempts=attempts
    )
    return manager, inst, db, compute, scheduler


def test_a_lost_claim_is_tried_on_the_next_host():
    manager, inst, db, compute, scheduler = _manager(["a", "b"])
    ctx = RequestContext()
    manager.build_instances(ctx, inst)
    assert compute.casts == [("a", ["a"])]
    manager.reschedule_instance(ctx, inst, ["a"], "claim on a failed")
    assert scheduler.asked == [[], ["a"]]
    assert compute.casts[-1] == ("b", ["a", "b"])
    assert db.faults == []
    # The claim that a refused was given back before b was chosen.
    assert db.released == [inst.uuid]


def test_no_host_left_fails_with_the_last_reason():
    manager, inst, db, _, _ = _manager(["a"])
    manager.reschedule_instance(
        RequestContext(), inst, ["a"], "claim on a failed: no CPUs"
    )
    (fault,) = db.faults
    assert "no valid host was found" in fault
    assert "claim on a failed: no CPUs" in fault
    assert inst.vm_state == "error" and inst.host is None


def test_attempts_are_bounded():
    manager, inst, db, compute, _ = _manager(["a", "b", "c"], attempts=2)
    manager.reschedule_instance(RequestContext(), inst, ["a", "b"], "lost")
    assert compute.casts == []
    (fault,) = db.faults
    assert "exceeded 2 build attempts" in fault


def test_a_build_that_cannot_be_sent_fails_the_instance():
    # Release 2: a realtime instance for a compute still on r1 (the API's
    # gate raced with a compute going back to r1) cannot be backported.
    from zerodown.objects.errors import UnrepresentableValue

    manager, inst, db, compute, _ = _manager(["old-1"])

    def refuse(ctx, host, instance, tried):
        raise UnrepresentableValue(
            object="InstanceNUMACell",
            version="1.6",
            field="cpuset_realtime",
            value=[1],
            reason="this compute cannot give vCPUs a realtime scheduler",
        )

    compute.build_and_run_instance = refuse
    manager.build_instances(RequestContext(), inst)
    (fault,) = db.faults
    assert "cannot send the build to old-1" in fault
    assert "realtime" in fault
    assert inst.vm_state == "error"


def test_a_selection_whose_reply_was_lost_is_asked_for_again():
    manager, inst, db, compute, scheduler = _manager(["a"])
    scheduler.lost = 2
    manager.build_instances(RequestContext(), inst)
    assert scheduler.asked == [[], [], []]
    assert compute.casts == [("a", ["a"])] and db.faults == []


def test_a_scheduler_that_never_answers_fails_the_build():
    manager, inst, db, compute, scheduler = _manager(["a"])
    scheduler.lost = 3
    manager.build_instances(RequestContext(), inst)
    assert compute.casts == []
    (fault,) = db.faults
    assert "scheduling failed" in fault


def test_a_build_its_compute_handed_back_goes_back_to_scheduling():
    """The compute restarted in the middle of the build (spawning, on
    its host): the conductor clears the host and the task goes back to
    scheduling before the next host is asked, in the same step."""
    manager, inst, db, compute, _ = _manager(["a", "b"])
    inst.task_state, inst.host, inst.node = "spawning", "a", "a"
    manager.reschedule_instance(
        RequestContext(), inst, ["a"], "compute a restarted during the build"
    )
    assert (inst.task_state, inst.host, inst.node) == (
        "scheduling",
        None,
        None,
    )
    assert db.saved == [("spawning",)]
    assert compute.casts == [("b", ["a", "b"])]
