"""A compute joins the deployment through the conductor.

Computes have no database credentials (Nova's rule), so their service row
is written by the conductor: :class:`ConductorServiceRegistry` has the
shape of :class:`zerodown.services.ServiceRegistry` and forwards each call.
The compute's own history says which versions it still supports.
"""

from __future__ import annotations

import logging

from zerodown.compute.rpcapi import ConductorAPI
from zerodown.exceptions import ZerodownError
from zerodown.rpc import RequestContext
from zerodown.services import ServiceHistory, SigningReport

__all__ = ["STOP_TIMEOUT", "ConductorServiceRegistry"]

LOG = logging.getLogger(__name__)

#: Seconds a stopping compute waits for the conductor to record it: a
#: stop must not wait for the RPC timeout when the conductor is gone.
STOP_TIMEOUT = 3.0


class ConductorServiceRegistry:
    def __init__(self, conductor: ConductorAPI, history: ServiceHistory):
        self.conductor = conductor
        self._history = history

    @property
    def history(self) -> ServiceHistory:
        return self._history

    def register(
        self,
        host: str,
        binary: str,
        version: int | None = None,
        *,
        check: bool = True,
        supports_from: int | None = None,
    ) -> None:
        self.conductor.service_register(
            RequestContext(),
            host,
            binary,
            self._history.current if version is None else version,
            (
                self._history.oldest_supported
                if supports_from is None
                else supports_from
            ),
            check,
        )

    def heartbeat(
        self, host: str, binary: str, signing: SigningReport | None = None
    ) -> bool:
        return self.conductor.service_heartbeat(
            RequestContext(), host, binary, signing
        )

    def stop(self, host: str, binary: str) -> None:
        try:
            self.conductor.service_stop(
                RequestContext(), host, binary, timeout=STOP_TIMEOUT
            )
        except ZerodownError as err:
            LOG.warning(
                "the conductor did not record the stop of %s on %s (%s): "
                "it shows down once its heartbeats are missed",
                binary,
                host,
                err,
            )
