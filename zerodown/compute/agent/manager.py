"""The compute service's endpoints (``ComputeAPI`` 1.0) and its start-up.

Every state change is saved through the conductor with the task state it
expects, so an operation that lost a race (the instance was deleted
while it ran) stops instead of overwriting the newer state.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
from collections.abc import Iterator

from zerodown.compute import states
from zerodown.compute.agent.resource_tracker import ResourceTracker
from zerodown.compute.errors import (
    ClaimFailed,
    InstanceInvalidState,
    InstanceNotFound,
    VirtError,
)
from zerodown.compute.objects import Instance
from zerodown.compute.rpcapi import ComputeAPI, ConductorAPI
from zerodown.compute.virt import power_state
from zerodown.compute.virt.driver import (
    LifecycleEvent,
    Transition,
    VirtDriver,
)
from zerodown.exceptions import ZerodownError
from zerodown.rpc import RequestContext, Target
from zerodown.services import utcnow

__all__ = ["ComputeManager"]

LOG = logging.getLogger(__name__)

#: Task states of actions a start-up carries out if they are still set
#: (a delete is finished before any guest is restored for it).
_FINISHED_AT_START = frozenset(
    (states.PAUSING, states.UNPAUSING, states.REBOOTING, states.REBOOTING_HARD)
)
#: What :meth:`ComputeManager.finish_stale` looks for.
_STALE = _FINISHED_AT_START | {states.DELETING}
#: Actions carried out without their cast, remembered to drop the cast
#: if it comes after all (the oldest forgotten first beyond this many).
_FINISHED_KEPT = 10_000
#: A pause or unpause whose guest is already where it was going (the
#: host died between the driver and the save): its power state and the
#: vm_state it ends in.
_REACHED = {
    states.PAUSING: (power_state.PAUSED, states.PAUSED),
    states.UNPAUSING: (power_state.RUNNING, states.ACTIVE),
}


class ComputeManager:
    target = Target(version="1.1")
    RPC_API = ComputeAPI

    def __init__(
        self,
        host: str,
        driver: VirtDriver,
        conductor: ConductorAPI,
        tracker: ResourceTracker,
        shutdown_timeout: float = 60.0,
        task_timeout: float = 300.0,
    ) -> None:
        self.host, self.driver = host, driver
        self.conductor, self.tracker = conductor, tracker
        self.shutdown_timeout = shutdown_timeout
        self.task_timeout = task_timeout
        self._nodename: str | None = None
        # Builds this host died in and handed back at start (init_host).
        self._given_up: set[str] = set()
        # Actions carried out without their cast (_finish): uuid -> (task
        # state, updated_at) of the instance as the API saved it before
        # its cast; and the casts being handled, uuid -> how many.  One
        # lock, so that an action is never both finished and handled.
        self._lock = threading.Lock()
        self._finished: dict[str, tuple[str, object]] = {}
        self._acting: dict[str, int] = {}

    @property
    def nodename(self) -> str:
        if self._nodename is None:
            res = self.driver.get_available_resource()
            self._nodename = res.hypervisor_hostname
        return self._nodename

    # -- start-up -----------------------------------------------------------

    def init_host(self) -> None:
        """Bring the host in line with the database before serving.

        A build this host was running when it stopped goes back to the
        scheduler, this host tried (its claim goes with it; with no other
        host, or past ``max_attempts``, it fails with the reason);
        instances that should run but have no guest
        (the driver lost them with the process) are started again, as
        Nova does with ``resume_guests_state_on_host_boot``; an action
        left in its task state (pausing, unpausing, rebooting, deleting)
        is carried out (:meth:`_finish`).
        """
        ctx = RequestContext()
        self.driver.init_host(self.host)
        self.driver.register_event_listener(self._on_event)
        known = set(self.driver.list_instance_uuids())
        for instance in self.conductor.instances_on_host(ctx, self.host):
            if instance.vm_state == states.BUILDING:
                self._destroy_quietly(instance)
                self._build_elsewhere(
                    ctx,
                    instance,
                    f"compute {self.host} restarted during the build",
                )
                continue
            if instance.task_state == states.DELETING:
                self._finish(ctx, instance)
                continue
            if instance.uuid not in known and instance.vm_state in (
                states.ACTIVE,
                states.PAUSED,
            ):
                self._restore(ctx, instance)
            if instance.task_state in _FINISHED_AT_START:
                self._finish(ctx, instance)
        self.tracker.update_available_resource(ctx)

    def _finish(
        self,
        ctx: RequestContext,
        instance: Instance,
        why: str = "left unfinished when this host stopped",
    ) -> None:
        """Carry out an action the API accepted for this host and nobody
        finished: this host died doing it, or its message died with the
        queue (a transient queue does not outlive a broker restart), and
        the instance would stay in its task state for good (Nova's
        ``_init_instance`` finishes a delete, hard, and retries a
        reboot).  The cast may still come (queued while this host was
        down, published again after a broker restart, redelivered after
        a crash): :meth:`_left_over` drops that copy, recognised by the
        instance's ``updated_at``, which the API's save before its cast
        set.  A guest the driver cannot act on is logged and left in its
        task state: one bad guest does not stop the host."""
        task = instance.task_state
        with self._lock:
            self._finished[instance.uuid] = (task, instance.updated_at)
            if len(self._finished) > _FINISHED_KEPT:
                del self._finished[next(iter(self._finished))]
        LOG.info("finishing the %s of %s, %s", task, instance.uuid, why)
        reached = _REACHED.get(task)
        try:
            if reached and self.driver.get_power_state(instance) == reached[0]:
                instance.vm_state, instance.task_state = reached[1], None
                instance.power_state = reached[0]
                self._save(ctx, instance, task)
            elif task == states.DELETING:
                self._terminate(ctx, instance, clean_shutdown=False)
            elif reached:  # pausing, unpausing
                action = "pause" if task == states.PAUSING else "unpause"
                self._act(ctx, instance, task, reached[1], action)
            else:
                hard = task == states.REBOOTING_HARD
                self._act(ctx, instance, task, states.ACTIVE, "reboot", hard)
        except (InstanceInvalidState, InstanceNotFound) as err:
            LOG.info("not finishing %s: %s", instance.uuid, err)
        except VirtError as err:
            LOG.error(
                "cannot finish the %s of %s: %s", task, instance.uuid, err
            )

    def finish_stale(self) -> list[str]:
        """Carry out the actions on this host that have stayed in their
        task state for more than ``task_timeout`` seconds with no cast
        being handled (a periodic task; 0 turns it off): their cast died
        in a transient queue when RabbitMQ restarted after taking it, and
        a compute that stays up would otherwise leave them there for
        good (start-up finishes the same ones, :meth:`init_host`).  The
        uuids of those carried out."""
        if self.task_timeout <= 0:
            return []
        ctx = RequestContext()
        now = datetime.datetime.now(datetime.timezone.utc)
        cutoff = now - datetime.timedelta(seconds=self.task_timeout)
        stale = [
            (i.uuid, i.task_state, i.updated_at)
            for i in self.conductor.instances_on_host(ctx, self.host)
            if i.task_state in _STALE
            and i.updated_at is not None
            and i.updated_at <= cutoff
        ]
        done = []
        why = f"in its task state for more than {self.task_timeout:g}s"
        for uuid, task, changed in stale:
            with self._claimed(uuid) as mine:
                # Read again, holding the instance: its cast may have come
                # and gone since the list (it was only slow), and the
                # action must not run twice.
                instance = self._current(ctx, uuid) if mine else None
                if instance is None or (
                    instance.task_state,
                    instance.updated_at,
                ) != (task, changed):
                    continue
                self._finish(ctx, instance, why)
                done.append(uuid)
        return done

    def _current(self, ctx: RequestContext, uuid: str) -> Instance | None:
        for instance in self.conductor.instances_on_host(ctx, self.host):
            if instance.uuid == uuid:
                return instance
        return None

    def _left_over(self, instance: Instance) -> bool:
        """Whether this cast is the copy of an action :meth:`_finish`
        carried out without it (same task, same save); a later request
        of the same action was saved again, and runs.  Called holding
        the lock."""
        done = self._finished.get(instance.uuid)
        if done is None or done != (instance.task_state, instance.updated_at):
            return False
        del self._finished[instance.uuid]
        LOG.info(
            "dropping the %s of %s: carried out already, without its cast",
            instance.task_state,
            instance.uuid,
        )
        return True

    @contextlib.contextmanager
    def _handling(self, instance: Instance) -> Iterator[bool]:
        """While a cast for ``instance`` is handled: whether to run it
        (not a copy of an action already finished), and, if so, no
        :meth:`finish_stale` of the instance meanwhile."""
        uuid = instance.uuid
        with self._lock:
            run = not self._left_over(instance)
            if run:
                self._acting[uuid] = self._acting.get(uuid, 0) + 1
        try:
            yield run
        finally:
            if run:
                self._release(uuid)

    @contextlib.contextmanager
    def _claimed(self, uuid: str) -> Iterator[bool]:
        """Whether :meth:`finish_stale` holds ``uuid``: not while a cast
        for it is handled; a cast that comes meanwhile and is the lost
        one's copy is dropped (:meth:`_left_over`)."""
        with self._lock:
            mine = uuid not in self._acting
            if mine:
                self._acting[uuid] = 1
        try:
            yield mine
        finally:
            if mine:
                self._release(uuid)

    def _release(self, uuid: str) -> None:
        with self._lock:
            left = self._acting.pop(uuid) - 1
            if left:
                self._acting[uuid] = left

    def _build_elsewhere(
        self, ctx: RequestContext, instance: Instance, reason: str
    ) -> None:
        """Reschedule a build this host died in, as a lost claim is: the
        guest would have booted here had the host lived.  The conductor
        puts it back to scheduling in the same step (a crash between two
        steps would orphan it).  The build message the crash left
        unacknowledged comes again once this host serves: it is dropped
        (``_given_up``), or the instance could land here, the host the
        reschedule left out, while another host's claim is kept for it.
        One whose task moved on meanwhile (deleting) is failed instead."""
        if instance.task_state not in (states.SCHEDULING, states.SPAWNING):
            self._fail(ctx, instance, reason)
            return
        self._given_up.add(instance.uuid)
        LOG.info("rescheduling %s: %s", instance.uuid, reason)
        self.conductor.reschedule_instance(ctx, instance, [self.host], reason)

    def _restore(self, ctx: RequestContext, instance: Instance) -> None:
        try:
            self.driver.spawn(instance)
            if instance.vm_state == states.PAUSED:
                self.driver.pause(instance)
        except ZerodownError as err:
            LOG.error("cannot restore %s: %s", instance.uuid, err)
            self._fail(ctx, instance, f"cannot restore the guest: {err}")
            return
        LOG.info("restored guest of %s", instance.uuid)

    # -- building -----------------------------------------------------------

    def build_and_run_instance(
        self,
        ctx: RequestContext,
        instance: Instance,
        tried_hosts: list[str],
    ) -> None:
        if instance.uuid in self._given_up:
            LOG.info(
                "dropping a build of %s that this host handed back when it "
                "restarted",
                instance.uuid,
            )
            return
        try:
            instance = self.tracker.instance_claim(
                ctx, instance, self.nodename
            )
        except ClaimFailed as err:
            LOG.info("claim of %s failed: %s", instance.uuid, err)
            self.conductor.reschedule_instance(
                ctx, instance, tried_hosts, str(err)
            )
            return
        except (InstanceInvalidState, InstanceNotFound):
            LOG.info("instance %s went away before its claim", instance.uuid)
            return
        try:
            self.driver.spawn(instance)
        except ZerodownError as err:
            LOG.error("spawn of %s failed: %s", instance.uuid, err)
            self._destroy_quietly(instance)
            self._fail(ctx, instance, f"spawn failed on {self.host}: {err}")
            return
        instance.vm_state = states.ACTIVE
        instance.power_state = self.driver.get_power_state(instance)
        instance.task_state = None
        instance.launched_at = utcnow()
        self._save(ctx, instance, states.SPAWNING)

    # -- actions ------------------------------------------------------------

    def pause_instance(self, ctx: RequestContext, instance: Instance) -> None:
        with self._handling(instance) as run:
            if run:
                self._act(
                    ctx, instance, states.PAUSING, states.PAUSED, "pause"
                )

    def unpause_instance(
        self, ctx: RequestContext, instance: Instance
    ) -> None:
        with self._handling(instance) as run:
            if run:
                self._act(
                    ctx, instance, states.UNPAUSING, states.ACTIVE, "unpause"
                )

    def reboot_instance(
        self, ctx: RequestContext, instance: Instance, reboot_type: str
    ) -> None:
        hard = reboot_type.upper() == "HARD"
        expected = states.REBOOTING_HARD if hard else states.REBOOTING
        with self._handling(instance) as run:
            if run:
                self._act(
                    ctx, instance, expected, states.ACTIVE, "reboot", hard
                )

    def terminate_instance(
        self,
        ctx: RequestContext,
        instance: Instance,
        clean_shutdown: bool = False,
    ) -> None:
        with self._handling(instance) as run:
            if run:
                self._terminate(ctx, instance, clean_shutdown)

    def _terminate(
        self, ctx: RequestContext, instance: Instance, clean_shutdown: bool
    ) -> None:
        # 1.1: with clean_shutdown the guest gets shutdown_timeout seconds
        # to stop by itself before it is destroyed.
        timeout = self.shutdown_timeout if clean_shutdown else 0.0
        self._destroy_quietly(instance, timeout)
        self.conductor.instance_destroy(ctx, instance)
        self.tracker.update_available_resource(ctx)

    def _act(
        self,
        ctx: RequestContext,
        instance: Instance,
        expected: str,
        vm_state: str,
        action: str,
        *args: bool,
    ) -> None:
        try:
            getattr(self.driver, action)(instance, *args)
        except ZerodownError as err:
            LOG.error("%s of %s failed: %s", action, instance.uuid, err)
            instance.task_state = None
            self._save(ctx, instance, expected)
            return
        instance.vm_state = vm_state
        instance.power_state = self.driver.get_power_state(instance)
        instance.task_state = None
        self._save(ctx, instance, expected)

    # -- helpers -----------------------------------------------------------

    def _save(
        self, ctx: RequestContext, instance: Instance, expected: str | None
    ) -> None:
        try:
            self.conductor.instance_update(
                ctx, instance, expected_task_state=expected
            )
        except (InstanceInvalidState, InstanceNotFound) as err:
            # Deleted meanwhile: its terminate is on its way.
            LOG.info("not saving %s: %s", instance.uuid, err)

    def _fail(
        self, ctx: RequestContext, instance: Instance, reason: str
    ) -> None:
        try:
            self.conductor.set_instance_error(ctx, instance, reason)
        except (InstanceInvalidState, InstanceNotFound):
            LOG.info("instance %s is gone", instance.uuid)
        self.tracker.update_available_resource(ctx)

    def _destroy_quietly(
        self, instance: Instance, shutdown_timeout: float = 0.0
    ) -> None:
        try:
            self.driver.destroy(instance, shutdown_timeout)
        except ZerodownError as err:
            LOG.warning("destroy of %s: %s", instance.uuid, err)

    def _on_event(self, event: LifecycleEvent) -> None:
        """Keep the recorded power state true when a guest changes
        outside an operation of ours (Nova's handle_lifecycle_event)."""
        LOG.info("lifecycle event: %s %s", event.uuid, event.transition)
        if event.transition is not Transition.STOPPED:
            return
        ctx = RequestContext()
        try:
            instances = self.conductor.instances_on_host(ctx, self.host)
        except ZerodownError as err:
            LOG.warning("cannot sync the power state: %s", err)
            return
        for instance in instances:
            if instance.uuid != event.uuid or instance.task_state:
                continue  # ours to finish, or not on this host
            instance.power_state = self.driver.get_power_state(instance)
            self._save(ctx, instance, None)

    # -- periodic ----------------------------------------------------------

    def run_periodic(self, stop: threading.Event, interval: float) -> None:
        """Report resources every ``interval`` seconds until ``stop``."""
        while not stop.wait(interval):
            try:
                self.tracker.update_available_resource(RequestContext())
            except ZerodownError as err:
                LOG.warning("resource report failed: %s", err)
