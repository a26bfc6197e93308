"""Start and stop a service the way rolling upgrades need it.

:class:`ServiceLifecycle` registers the service in the services table
(refusing to start if the deployment no longer supports its version, or
it no longer supports a live peer), announces the start so automatic caps
re-resolve at once, keeps its heartbeat fresh, and starts its RPC
servers; stopping does the reverse, so the caps of the others rise as
soon as the last old service is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from zerodown.rpc.autocap import announce
from zerodown.rpc.server import RPCServer
from zerodown.rpc.signing import Signing
from zerodown.rpc.transport.base import Transport
from zerodown.services import Heartbeat, ServiceRegistry, SigningReport

__all__ = ["ServiceLifecycle"]

LOG = logging.getLogger(__name__)


class ServiceLifecycle:
    """One service process: ``binary`` on ``host``.

    :param version: the service version (default: the history's current).
    :param signing: the process's signing policy, reported with every
        heartbeat (default: that of its servers' protocols).
    """

    def __init__(
        self,
        directory: ServiceRegistry,
        transport: Transport,
        host: str,
        binary: str,
        *,
        servers: Sequence[RPCServer] = (),
        version: int | None = None,
        heartbeat_interval: float = 10.0,
        check: bool = True,
        signing: Signing | None = None,
    ) -> None:
        self.directory, self.transport = directory, transport
        self.host, self.binary = host, binary
        self.servers = list(servers)
        self.version = (
            directory.history.current if version is None else version
        )
        self.check = check
        self.signing = signing
        self.heartbeat = Heartbeat(
            directory, host, binary, heartbeat_interval, self.signing_report
        )

    def start(self) -> ServiceLifecycle:
        """Register, announce, heartbeat, serve.

        :raises ServiceTooOld: if this version may not join.
        """
        self.directory.register(
            self.host, self.binary, self.version, check=self.check
        )
        announce(self.transport, self.binary, self.host, self.version, "start")
        self.heartbeat.start()
        for server in self.servers:
            server.start()
        LOG.info("%s on %s started", self.binary, self.host)
        return self

    def stop(self) -> None:
        """Stop serving, record the stop, announce it."""
        for server in self.servers:
            server.stop()
        self.heartbeat.stop()
        self.directory.stop(self.host, self.binary)
        announce(self.transport, self.binary, self.host, self.version, "stop")

    def signing_report(self) -> SigningReport | None:
        """What this process says of message signing (``None`` when it
        has neither a policy nor servers)."""
        found = [self.signing] if self.signing else []
        found += [server.protocol.signing for server in self.servers]
        signings = list({id(s): s for s in found}.values())
        if not signings:
            return None
        return SigningReport(
            mode="/".join(sorted({s.mode.value for s in signings})),
            unsigned=sum(s.stats.unsigned_accepted for s in signings),
            refused=sum(s.stats.refused_total for s in signings),
        )

    def __enter__(self) -> ServiceLifecycle:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
