"""The scheduler service's endpoint (``SchedulerAPI`` 1.0).

It reads the computes' reports as ``ComputeNode`` objects, the claims
of the schedulers and the services' liveness, decides with the pure
code of this package (so its decision logic runs the same in tests and
in benchmarks), and claims what it chose in the database before it
answers (:mod:`zerodown.compute.db.claims`): however many requests and
schedulers run at once, none can take room another one took.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping
from typing import Any

from zerodown.compute.errors import NoValidHost
from zerodown.compute.objects import Instance
from zerodown.compute.pci_alias import PciAlias
from zerodown.compute.rpcapi import SchedulerAPI
from zerodown.compute.scheduler.host_table import HostTable
from zerodown.compute.scheduler.host_views import HostViews
from zerodown.compute.scheduler.request import RequestSpec
from zerodown.compute.scheduler.selector import select_hosts
from zerodown.rpc import RequestContext, Target
from zerodown.services import ServiceDirectory

__all__ = ["SchedulerManager"]

LOG = logging.getLogger(__name__)

#: Claims lost in a row to other schedulers before a request gives up:
#: each loss means another scheduler placed something on that node
#: meanwhile, so this bounds a storm, not a normal burst.
CLAIM_TRIES = 20


class SchedulerManager:
    target = Target(version="1.0")
    RPC_API = SchedulerAPI

    def __init__(
        self,
        db: Any,
        directory: ServiceDirectory,
        aliases: Mapping[str, PciAlias],
        *,
        host_subset_size: int = 1,
        rng: random.Random | None = None,
    ) -> None:
        self.db, self.directory, self.aliases = db, directory, aliases
        self.host_subset_size = max(1, host_subset_size)
        self.views = HostViews(db, directory)
        self._rng = rng or random.Random()
        # One request at a time per process: each sees the choices of
        # the ones before it (other processes are held off by the
        # database's compare-and-swap).
        self._lock = threading.Lock()

    def host_states(self) -> HostTable:
        with self._lock:
            return self.views.refresh()

    def select_destinations(
        self,
        ctx: RequestContext,
        instance: Instance,
        ignore_hosts: list[str],
    ) -> list[dict[str, Any]]:
        """The host for ``instance``, claimed in the database before the
        answer, and alternates (not claimed).

        :raises NoValidHost: nothing fits, or every claim was lost.
        """
        spec = RequestSpec.from_instance(
            instance, self.aliases, ignore_hosts=tuple(ignore_hosts)
        )
        with self._lock:
            for _ in range(CLAIM_TRIES):
                hosts = self.views.refresh()
                selections = select_hosts(
                    spec,
                    hosts,
                    subset_size=self.host_subset_size,
                    rng=self._rng,
                )
                chosen = selections[0]
                state = hosts[hosts.index_of(chosen.host, chosen.nodename)]
                if self.views.claim(state, spec, chosen.numa_topology):
                    break
                LOG.info(
                    "%s: claim on %s lost to another scheduler, again",
                    instance.uuid,
                    chosen.host,
                )
            else:
                raise NoValidHost(
                    reason=f"{CLAIM_TRIES} claims in a row were lost to "
                    "other schedulers"
                )
        LOG.info(
            "%s: claimed on %s (alternates %s)",
            instance.uuid,
            chosen.host,
            ", ".join(chosen.alternates),
        )
        return [
            {
                "host": s.host,
                "nodename": s.nodename,
                "alternates": list(s.alternates),
            }
            for s in selections
        ]
