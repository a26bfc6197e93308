"""``version_cap="auto"``: cap at what the oldest running service speaks.

:class:`AutoCap` reads the oldest running service of a binary from the
services table, looks its version up in the service history, and caps the
API at that version's RPC version - and sends objects in that version's
object versions.  "Running" is every service that has neither stopped
(it records its stop on SIGTERM) nor been forced down: one whose
heartbeats stopped still counts, because it may well be alive and
consuming (a broker restart holds every heartbeat up for a while).  A
cap that rose while old services were only *down* would send them
messages they reject; Nova's minimum version counts them for the same
reason.  A service that is gone for good is forced down by the operator.

Unlike Nova's auto pin, which is computed once per process and lifted
only by a SIGHUP, it re-resolves by itself:

* every ``interval`` seconds;
* at once when a service announces a start or a stop on the
  ``zerodown.service-versions`` fanout (:func:`announce`).

So the cap rises as soon as the last old service stops, without a
restart.  When the database cannot be read, the last cap stays.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections.abc import Mapping

from sqlalchemy.exc import SQLAlchemyError

from zerodown.exceptions import ZerodownError
from zerodown.objects.errors import MalformedPayload
from zerodown.rpc.codec import WireCodec
from zerodown.rpc.transport.base import (
    Address,
    Delivery,
    Message,
    Subscriber,
    Subscription,
    Transport,
)
from zerodown.services import ServiceDirectory

__all__ = ["NOTICES", "AutoCap", "CapDecision", "announce", "decide"]

LOG = logging.getLogger(__name__)

#: The fanout on which services announce starts and stops.
NOTICES = Address("zerodown.service-versions", fanout=True)
_CODEC = WireCodec(max_size=4096)


@dataclasses.dataclass(frozen=True)
class CapDecision:
    """A resolved cap and why."""

    api: str
    binary: str
    cap: str | None
    objects: Mapping[str, str] | None
    min_version: int | None
    hosts: tuple[str, ...]
    reason: str


def decide(directory: ServiceDirectory, api: str, binary: str) -> CapDecision:
    """The cap of ``api`` given the running ``binary`` services now."""
    history = directory.history
    running = directory.running(binary)
    if not running:
        return CapDecision(
            api, binary, None, None, None, (), f"no running {binary} service"
        )
    oldest = min(s.version for s in running)
    hosts = tuple(sorted(s.host for s in running if s.version == oldest))
    where = f"oldest running {binary} is at service version {oldest}"
    if oldest >= history.current:
        return CapDecision(
            api,
            binary,
            None,
            None,
            oldest,
            hosts,
            f"{where}, this release's ({history.current}) or newer",
        )
    if oldest < history.first:
        LOG.error("%s, older than %s's history", where, history.project)
        oldest = history.first
    cap = history.rpc_version(oldest, api)
    objects = history.object_versions(oldest)
    return CapDecision(
        api,
        binary,
        cap,
        objects,
        oldest,
        hosts,
        f"{where}, which speaks {api} {cap or '(none)'}",
    )


_MIN_GAP = 0.25


class AutoCap:
    """A :class:`~zerodown.rpc.caps.CapSource` that follows running
    services.

    :param transport: when given, notices on :data:`NOTICES` trigger a
        re-resolve at once.
    :param interval: seconds between re-resolves otherwise.
    """

    def __init__(
        self,
        directory: ServiceDirectory,
        api: str,
        binary: str | None = None,
        *,
        transport: Transport | None = None,
        interval: float = 10.0,
    ) -> None:
        self.directory, self.api = directory, api
        self.binary = binary or api
        self.interval = interval
        self.decision = decide(directory, api, self.binary)
        LOG.info(
            "%s cap: %s (%s)", api, self.decision.cap, self.decision.reason
        )
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"autocap-{api}", daemon=True
        )
        self._thread.start()
        self._notices: Subscriber | None = None
        if transport is not None:
            self._notices = transport.subscribe(
                [Subscription(NOTICES)],
                self._on_notice,
                name=f"autocap-notices-{api}",
            )

    def current(self) -> str | None:
        return self.decision.cap

    def object_versions(self) -> Mapping[str, str] | None:
        return self.decision.objects

    def refresh(self) -> CapDecision:
        """Resolve again now; return the new decision."""
        decision = decide(self.directory, self.api, self.binary)
        before, self.decision = self.decision, decision
        if (before.cap, before.min_version) != (
            decision.cap,
            decision.min_version,
        ):
            LOG.info(
                "%s cap %s -> %s (%s)",
                self.api,
                before.cap,
                decision.cap,
                decision.reason,
            )
        return decision

    def wake(self) -> None:
        """Re-resolve soon (on the cap's own thread)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._notices is not None:
            self._notices.stop(timeout=1.0)
        if self._thread is not threading.current_thread():
            self._thread.join(5.0)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.refresh()
            except (ZerodownError, SQLAlchemyError) as err:
                LOG.warning(
                    "%s cap stays %s: %s", self.api, self.decision.cap, err
                )
            # Notices are not signed: a flood of them costs at most a
            # few reads of the services table a second.
            self._stopping.wait(_MIN_GAP)

    def _on_notice(self, delivery: Delivery) -> None:
        delivery.ack()
        try:
            notice = _CODEC.decode(delivery.message.body)
        except MalformedPayload:
            return
        if type(notice) is dict and notice.get("binary") == self.binary:
            self.wake()


def announce(
    transport: Transport,
    binary: str,
    host: str,
    version: int,
    event: str,
) -> None:
    """Tell every :class:`AutoCap` that ``binary`` on ``host`` started or
    stopped (best effort: a lost notice is caught up by the interval)."""
    body = {"binary": binary, "host": host, "version": version, "event": event}
    message = Message(_CODEC.encode(body), uuid.uuid4().hex)
    try:
        transport.publish(NOTICES, message, timeout=5.0)
    except ZerodownError as err:
        LOG.warning("could not announce %s %s: %s", binary, event, err)
