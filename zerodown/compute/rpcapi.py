"""The compute stack's RPC APIs: the client side of each service.

Each class's docstring is its version history (``zerodown.rpc`` parses and
checks it); every client caps itself automatically at what the oldest
live service of its binary speaks, so a new conductor keeps talking to
old computes.  Computes never touch the database: everything they read
or write goes through :class:`ConductorAPI`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from zerodown.compute.objects import ComputeNode, Instance, PciDevice
from zerodown.rpc import RPCAPI, RequestContext
from zerodown.services import SigningReport

__all__ = ["ComputeAPI", "ConductorAPI", "SchedulerAPI"]

Ctx = RequestContext | None


class ConductorAPI(RPCAPI):
    """Client side of the conductor RPC API.

    API version history:

    * 1.0 - Initial version: build_instances(), reschedule_instance(),
      compute_node_update(), instance_update(), instances_on_host(),
      set_instance_error(), instance_destroy(), service_register(),
      service_heartbeat(), service_stop().
    * 1.1 - service_heartbeat() carries the compute's message signing
      report (release 3).
    """

    TOPIC = "conductor"
    # Casts survive a broker restart (its queues stay transient, as
    # release 1 declared them): see Target.confirmed.
    CONFIRMED = True
    VERSION = "1.1"
    VERSION_ALIASES = {"r1": "1.0", "r2": "1.0"}

    def build_instances(self, ctx: Ctx, instance: Instance) -> None:
        """Schedule, claim and spawn ``instance`` (a cast)."""
        self.client.cast(ctx, "build_instances", instance=instance)

    def reschedule_instance(
        self,
        ctx: Ctx,
        instance: Instance,
        tried_hosts: Sequence[str],
        reason: str,
    ) -> None:
        """A compute could not claim: try another host (a cast)."""
        self.client.cast(
            ctx,
            "reschedule_instance",
            instance=instance,
            tried_hosts=list(tried_hosts),
            reason=reason,
        )

    def compute_node_update(
        self, ctx: Ctx, node: ComputeNode, pci_devices: list[PciDevice]
    ) -> ComputeNode:
        """Store a compute's report; the stored node comes back."""
        result: ComputeNode = self.client.call(
            ctx, "compute_node_update", node=node, pci_devices=pci_devices
        )
        return result

    def instance_update(
        self,
        ctx: Ctx,
        instance: Instance,
        expected_task_state: Any = "<any>",
    ) -> Instance:
        """Save the instance's changed fields; with
        ``expected_task_state`` only if its task state still is that."""
        result: Instance = self.client.call(
            ctx,
            "instance_update",
            instance=instance,
            expected_task_state=expected_task_state,
        )
        return result

    def instances_on_host(self, ctx: Ctx, host: str) -> list[Instance]:
        """The instances that hold resources on ``host``."""
        result: list[Instance] = self.client.call(
            ctx, "instances_on_host", host=host
        )
        return result

    def set_instance_error(
        self, ctx: Ctx, instance: Instance, reason: str
    ) -> Instance:
        """Put the instance in ERROR with ``reason`` as its fault."""
        result: Instance = self.client.call(
            ctx, "set_instance_error", instance=instance, reason=reason
        )
        return result

    def instance_destroy(self, ctx: Ctx, instance: Instance) -> None:
        """The compute has destroyed the guest: delete the record."""
        self.client.call(ctx, "instance_destroy", instance=instance)

    # Computes have no database: they join the deployment through the
    # conductor (ConductorServiceRegistry), as Nova's do.

    def service_register(
        self,
        ctx: Ctx,
        host: str,
        binary: str,
        version: int,
        supports_from: int,
        check: bool,
    ) -> None:
        self.client.call(
            ctx,
            "service_register",
            host=host,
            binary=binary,
            version=version,
            supports_from=supports_from,
            check=check,
        )

    def service_heartbeat(
        self,
        ctx: Ctx,
        host: str,
        binary: str,
        signing: SigningReport | None = None,
    ) -> bool:
        """Record the compute as up; from 1.1 with what it says of
        message signing (dropped for an older conductor)."""
        if signing is not None and self.client.can_send_version("1.1"):
            result: bool = self.client.prepare(version="1.1").call(
                ctx,
                "service_heartbeat",
                host=host,
                binary=binary,
                signing=dataclasses.asdict(signing),
            )
            return result
        result = self.client.call(
            ctx, "service_heartbeat", host=host, binary=binary
        )
        return result

    def service_stop(
        self, ctx: Ctx, host: str, binary: str, timeout: float = 60.0
    ) -> None:
        """Record the stop; a service that is going away passes a short
        ``timeout`` (without the record it shows down after
        ``down_after`` anyway)."""
        self.client.prepare(timeout=timeout).call(
            ctx, "service_stop", host=host, binary=binary
        )


class SchedulerAPI(RPCAPI):
    """Client side of the scheduler RPC API.

    API version history:

    * 1.0 - Initial version: select_destinations().
    """

    TOPIC = "scheduler"
    # Casts survive a broker restart (its queues stay transient, as
    # release 1 declared them): see Target.confirmed.
    CONFIRMED = True
    VERSION = "1.0"
    VERSION_ALIASES = {"r1": "1.0"}

    def select_destinations(
        self,
        ctx: Ctx,
        instance: Instance,
        ignore_hosts: Sequence[str],
        timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        """Hosts for ``instance``, best first: each ``{"host",
        "nodename", "alternates"}``; ``timeout`` seconds at most (the
        client's otherwise).

        :raises NoValidHost: with the reason.
        :raises MessagingTimeout: no answer in time.
        """
        result: list[dict[str, Any]] = self.client.prepare(
            timeout=timeout
        ).call(
            ctx,
            "select_destinations",
            instance=instance,
            ignore_hosts=list(ignore_hosts),
        )
        return result


class ComputeAPI(RPCAPI):
    """Client side of the compute RPC API; every message goes to the
    instance's host.

    API version history:

    * 1.0 - Initial version: build_and_run_instance(), pause_instance(),
      unpause_instance(), reboot_instance(), terminate_instance().
    * 1.1 - terminate_instance() takes clean_shutdown (release 2).
    """

    TOPIC = "compute"
    # Casts survive a broker restart (its queues stay transient, as
    # release 1 declared them): see Target.confirmed.
    CONFIRMED = True
    VERSION = "1.1"
    VERSION_ALIASES = {"r1": "1.0", "r2": "1.1"}

    def build_and_run_instance(
        self,
        ctx: Ctx,
        host: str,
        instance: Instance,
        tried_hosts: Sequence[str],
    ) -> None:
        cctxt = self.client.prepare(server=host)
        cctxt.cast(
            ctx,
            "build_and_run_instance",
            instance=instance,
            tried_hosts=list(tried_hosts),
        )

    def pause_instance(self, ctx: Ctx, instance: Instance) -> None:
        self._cast(ctx, instance, "pause_instance")

    def unpause_instance(self, ctx: Ctx, instance: Instance) -> None:
        self._cast(ctx, instance, "unpause_instance")

    def reboot_instance(
        self, ctx: Ctx, instance: Instance, reboot_type: str
    ) -> None:
        self._cast(ctx, instance, "reboot_instance", reboot_type=reboot_type)

    def terminate_instance(
        self, ctx: Ctx, instance: Instance, clean_shutdown: bool = True
    ) -> None:
        """Stop the guest (asking it to shut down first if
        ``clean_shutdown``) and delete the instance.

        A release-1 compute only knows the hard stop: the argument is
        dropped for it, which is what it did anyway.
        """
        if self.client.can_send_version("1.1"):
            self._cast(
                ctx,
                instance,
                "terminate_instance",
                version="1.1",
                clean_shutdown=clean_shutdown,
            )
        else:
            self._cast(ctx, instance, "terminate_instance")

    def _cast(
        self,
        ctx: Ctx,
        instance: Instance,
        method: str,
        version: str | None = None,
        **kwargs: Any,
    ) -> None:
        cctxt = self.client.prepare(server=instance.host, version=version)
        cctxt.cast(ctx, method, instance=instance, **kwargs)
