"""The conductor: the computes' only way to the database, and the build
flow (schedule, then ask the chosen compute to claim and spawn, and try
another host when its claim loses a race).  The scheduler claimed the
host in the database before it answered; a compute that refuses it
gets the claim given back, and so does a build that fails.

Every method here is an RPC endpoint of :class:`ConductorAPI`; the
conductor also serves the object indirection API, so a compute of an
older release gets objects backported here.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from typing import Any

from zerodown.compute import states
from zerodown.compute.errors import (
    InstanceInvalidState,
    InstanceNotFound,
    NoValidHost,
)
from zerodown.compute.objects import ComputeNode, Instance, PciDevice
from zerodown.compute.rpcapi import ComputeAPI, ConductorAPI, SchedulerAPI
from zerodown.exceptions import ZerodownError
from zerodown.rpc import RequestContext, Target
from zerodown.rpc.errors import InvalidArguments, MessagingTimeout
from zerodown.services import ServiceDirectory, SigningReport, utcnow

__all__ = ["ANY_TASK_STATE", "ConductorManager"]

LOG = logging.getLogger(__name__)

#: ``expected_task_state`` meaning "do not check".
ANY_TASK_STATE = "<any>"
#: Seconds a selection may take before it is asked for again, and tries.
SELECT_TIMEOUT = 15.0
SELECT_TRIES = 3


class ConductorManager:
    """Endpoints of the conductor (``ConductorAPI`` 1.1)."""

    target = Target(version="1.1")
    RPC_API = ConductorAPI

    def __init__(
        self,
        db: Any,
        directory: ServiceDirectory,
        scheduler: SchedulerAPI,
        compute: ComputeAPI,
        *,
        max_attempts: int = 3,
    ) -> None:
        self.db, self.directory = db, directory
        self.scheduler, self.compute = scheduler, compute
        self.max_attempts = max(1, max_attempts)

    # -- the build flow -----------------------------------------------------

    def build_instances(self, ctx: RequestContext, instance: Instance) -> None:
        self._schedule(ctx, instance, [], None)

    def _select(
        self, ctx: RequestContext, instance: Instance, tried: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The scheduler's selection.  A selection takes milliseconds; one
        whose reply was lost (a broker restart between the scheduler's
        answer and its delivery) is asked for again after
        ``SELECT_TIMEOUT`` seconds rather than failing the build after
        the RPC timeout.  The scheduler's claim is per instance, so the
        second selection replaces the first's."""
        for attempt in range(1, SELECT_TRIES + 1):
            try:
                return self.scheduler.select_destinations(
                    ctx, instance, tried, timeout=SELECT_TIMEOUT
                )
            except MessagingTimeout:
                if attempt == SELECT_TRIES:
                    raise
                LOG.warning(
                    "no selection for %s in %gs (try %d of %d): asking again",
                    instance.uuid,
                    SELECT_TIMEOUT,
                    attempt,
                    SELECT_TRIES,
                )
        raise AssertionError("unreachable")

    def reschedule_instance(
        self,
        ctx: RequestContext,
        instance: Instance,
        tried_hosts: list[str],
        reason: str,
    ) -> None:
        LOG.info(
            "rescheduling %s after %s: %s",
            instance.uuid,
            tried_hosts[-1:] or "?",
            reason,
        )
        # The compute refused the scheduler's claim: give it back.
        self.db.release_claim(instance.uuid)
        again = self._back_to_scheduling(instance)
        if again is not None:
            self._schedule(ctx, again, tried_hosts, reason)

    def _back_to_scheduling(self, instance: Instance) -> Instance | None:
        """A build its compute handed back after its own claim (it
        restarted in the middle) is spawning on that host: it goes back
        to scheduling, with no host, so that the next compute's claim can
        take it.  ``None`` when it moved on meanwhile (deleted)."""
        if instance.task_state != states.SPAWNING:
            return instance
        instance.task_state = states.SCHEDULING
        instance.host = instance.node = None
        try:
            saved: Instance = self.db.save_instance(
                instance, expected_task_state=states.SPAWNING
            )
        except (InstanceInvalidState, InstanceNotFound):
            LOG.info("%s moved on before its reschedule", instance.uuid)
            return None
        return saved

    def _schedule(
        self,
        ctx: RequestContext,
        instance: Instance,
        tried: Sequence[str],
        last_failure: str | None,
    ) -> None:
        if len(tried) >= self.max_attempts:
            self._error(
                ctx,
                instance,
                f"exceeded {self.max_attempts} build attempts "
                f"(hosts {', '.join(tried)}); last: {last_failure}",
            )
            return
        try:
            selections = self._select(ctx, instance, tried)
        except NoValidHost as err:
            reason = str(getattr(err, "reason", err))
            if last_failure:
                reason += f" (after {', '.join(tried)}: {last_failure})"
            self._error(ctx, instance, str(NoValidHost(reason=reason)))
            return
        except ZerodownError as err:
            self._error(ctx, instance, f"scheduling failed: {err}")
            return
        host = selections[0]["host"]
        LOG.info("building %s on %s", instance.uuid, host)
        try:
            self.compute.build_and_run_instance(
                ctx, host, instance, [*tried, host]
            )
        except ZerodownError as err:
            # The cast never left: an instance the host's release cannot
            # be given (UnrepresentableValue), or no broker in time.
            self._error(
                ctx, instance, f"cannot send the build to {host}: {err}"
            )

    def _error(
        self, ctx: RequestContext, instance: Instance, reason: str
    ) -> None:
        LOG.warning("instance %s failed to build: %s", instance.uuid, reason)
        try:
            self.set_instance_error(ctx, instance, reason)
        except InstanceInvalidState:
            LOG.info("instance %s went away while building", instance.uuid)

    # -- data for the computes ---------------------------------------------

    def compute_node_update(
        self,
        ctx: RequestContext,
        node: ComputeNode,
        pci_devices: list[PciDevice],
    ) -> ComputeNode:
        stored = self.db.upsert_compute_node(node)
        for device in pci_devices:
            device.compute_node_id = stored.id
        self.db.sync_pci_devices(stored.id, pci_devices)
        return stored  # type: ignore[no-any-return]

    def instance_update(
        self,
        ctx: RequestContext,
        instance: Instance,
        expected_task_state: Any = ANY_TASK_STATE,
    ) -> Instance:
        if expected_task_state == ANY_TASK_STATE:
            saved = self.db.save_instance(instance)
        else:
            saved = self.db.save_instance(
                instance, expected_task_state=_states(expected_task_state)
            )
        return saved  # type: ignore[no-any-return]

    def instances_on_host(
        self, ctx: RequestContext, host: str
    ) -> list[Instance]:
        return self.db.list_instances(host=host)  # type: ignore[no-any-return]

    def set_instance_error(
        self, ctx: RequestContext, instance: Instance, reason: str
    ) -> Instance:
        current = self.db.get_instance(instance.uuid)
        current.vm_state = states.ERROR
        current.task_state = None
        # The claim is released: an instance that failed to build holds
        # nothing on any host (Nova's abort_instance_claim).
        if current.launched_at is None:
            current.host = None
            current.node = None
        # The fault first: whoever sees ERROR finds its reason.
        self.db.add_fault(instance.uuid, 500, reason)
        saved = self.db.save_instance(current)
        self.db.release_claim(instance.uuid)
        return saved  # type: ignore[no-any-return]

    def instance_destroy(
        self, ctx: RequestContext, instance: Instance
    ) -> None:
        self.db.destroy_instance(instance.uuid)

    # -- services without a database ---------------------------------------

    def service_register(
        self,
        ctx: RequestContext,
        host: str,
        binary: str,
        version: int,
        supports_from: int,
        check: bool,
    ) -> None:
        self.directory.register(
            host, binary, version, check=check, supports_from=supports_from
        )

    def service_heartbeat(
        self,
        ctx: RequestContext,
        host: str,
        binary: str,
        signing: Any = None,
    ) -> bool:
        """1.1: ``signing`` is the compute's :class:`SigningReport` as a
        map (checked: a peer's data)."""
        return self.directory.heartbeat(host, binary, _signing(signing))

    def service_stop(
        self, ctx: RequestContext, host: str, binary: str
    ) -> None:
        self.directory.stop(host, binary)

    # -- periodic -----------------------------------------------------------

    def expire_stuck_builds(self, build_timeout: float) -> list[str]:
        """Put in ERROR the builds whose compute went down mid-build.

        A compute killed while spawning never answers; once its service
        is down and the build is older than ``build_timeout`` seconds,
        the instance is failed with the reason and holds nothing (the
        compute, if it comes back, recomputes its usage without it).
        """
        live = {s.host for s in self.directory.live("compute")}
        cutoff = utcnow() - datetime.timedelta(seconds=build_timeout)
        failed = []
        for instance in self.db.list_instances(vm_states=[states.BUILDING]):
            host = instance.host
            if host is None or host in live:
                continue
            changed = instance.updated_at or instance.created_at
            if changed is not None and _naive(changed) > cutoff:
                continue
            reason = (
                f"compute {host} stopped responding while building "
                f"(down for more than {self.directory.down_after:.0f}s)"
            )
            self._error(RequestContext(), instance, reason)
            failed.append(instance.uuid)
        return failed


def _signing(value: Any) -> SigningReport | None:
    if value is None:
        return None
    if (
        type(value) is not dict
        or type(value.get("mode")) is not str
        or not all(
            type(value.get(n)) is int and 0 <= value[n] < 2**63
            for n in ("unsigned", "refused")
        )
    ):
        raise InvalidArguments(
            method="service_heartbeat",
            version="1.1",
            reason="signing is not a report of mode, unsigned, refused",
        )
    return SigningReport(
        mode=value["mode"][:16],
        unsigned=value["unsigned"],
        refused=value["refused"],
    )


def _states(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _naive(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
