"""A thread that keeps a service's heartbeat fresh."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from zerodown.exceptions import ZerodownError
from zerodown.services.registry import ServiceRegistry, SigningReport

__all__ = ["Heartbeat"]

LOG = logging.getLogger(__name__)


class Heartbeat:
    """Heartbeat ``binary`` on ``host`` every ``interval`` seconds.

    A failed heartbeat (database away) is logged and retried at the next
    beat; the service counts as down only after ``down_after`` seconds
    without one.  A row that disappeared is registered again.
    """

    def __init__(
        self,
        directory: ServiceRegistry,
        host: str,
        binary: str,
        interval: float = 10.0,
        signing: Callable[[], SigningReport | None] | None = None,
    ) -> None:
        self.directory, self.host, self.binary = directory, host, binary
        self.interval = interval
        self.signing = signing or (lambda: None)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{binary}", daemon=True
        )

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop beating (the service then goes down after ``down_after``,
        unless it is recorded as stopped)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def beat(self) -> None:
        """One heartbeat, now."""
        report = self.signing()
        # A registry written before signing reports takes two arguments.
        beat = self.directory.heartbeat
        alive = (
            beat(self.host, self.binary)
            if report is None
            else beat(self.host, self.binary, report)
        )
        if not alive:
            LOG.warning(
                "%s on %s had no service row; registering again",
                self.binary,
                self.host,
            )
            self.directory.register(self.host, self.binary, check=False)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except (ZerodownError, SQLAlchemyError) as err:
                LOG.warning("heartbeat of %s failed: %s", self.binary, err)
