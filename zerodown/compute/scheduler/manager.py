"""The scheduler service's endpoint (``SchedulerAPI`` 1.0).

It reads the computes' reports as ``ComputeNode`` objects and the
services' liveness, and decides with the pure code of this package; it
sees the database only through versioned objects (what Nova wanted for
Gantt), so its decision logic runs the same in tests and in benchmarks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from zerodown.compute.objects import Instance
from zerodown.compute.pci_alias import PciAlias
from zerodown.compute.rpcapi import SchedulerAPI
from zerodown.compute.scheduler.host_state import HostState
from zerodown.compute.scheduler.request import RequestSpec
from zerodown.compute.scheduler.selector import select_hosts
from zerodown.rpc import RequestContext, Target
from zerodown.services import ServiceDirectory, utcnow

__all__ = ["SchedulerManager"]

LOG = logging.getLogger(__name__)


class SchedulerManager:
    target = Target(version="1.0")
    RPC_API = SchedulerAPI

    def __init__(
        self,
        db: Any,
        directory: ServiceDirectory,
        aliases: Mapping[str, PciAlias],
    ) -> None:
        self.db, self.directory, self.aliases = db, directory, aliases

    def host_states(self) -> list[HostState]:
        now = utcnow()
        services = {s.host: s for s in self.directory.services("compute")}
        found = []
        for node in self.db.list_compute_nodes():
            service = services.get(node.host)
            is_up = service is not None and service.is_up(
                now, self.directory.down_after
            )
            found.append(HostState.from_compute_node(node, is_up=is_up))
        return found

    def select_destinations(
        self,
        ctx: RequestContext,
        instance: Instance,
        ignore_hosts: list[str],
    ) -> list[dict[str, Any]]:
        spec = RequestSpec.from_instance(
            instance, self.aliases, ignore_hosts=tuple(ignore_hosts)
        )
        selections = select_hosts(spec, self.host_states())
        LOG.info(
            "%s: chose %s",
            instance.uuid,
            ", ".join(s.host for s in selections),
        )
        return [
            {
                "host": s.host,
                "nodename": s.nodename,
                "alternates": list(s.alternates),
            }
            for s in selections
        ]
