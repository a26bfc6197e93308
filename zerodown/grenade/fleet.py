"""The job's services while it runs: started, replaced one at a time,
watched, restarted after a death, stopped.

Each service's process id (its process group's) is in ``run/NAME.pid``,
for a fault hook to kill it.  A thread waits on each process: a service
that ends without the job stopping it *died*; its whole process group
is killed (nothing it started lives on, holding its port), the death is
logged, and a service with ``restart = true`` is started again on the
side it was on, then its ``post_start`` run, as systemd's
``Restart=always`` would.  More than :data:`RESTART_BURST` restarts of
one service within :data:`RESTART_WINDOW` seconds is a crash loop: it
stays down.  A death not restarted, a restart that failed or a crash
loop is a *failure* that fails the phase it happened in
(:meth:`Fleet.check`): a fault run kills services on purpose, and a
service that does not come back is what it must catch.

One lock is held while a service is started, replaced (its
``pre_stop``, stop, start and ``post_start``) or restarted, so the job's
own upgrade and a restart never act on the same service at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zerodown.exceptions import ZerodownError
from zerodown.grenade.errors import GrenadeError
from zerodown.grenade.job import Service
from zerodown.grenade.sides import Side
from zerodown.grenade.supervise import Running

__all__ = ["RESTART_BURST", "RESTART_WINDOW", "Fleet"]

#: Restarts of one service within RESTART_WINDOW seconds, at most.
RESTART_BURST = 5
RESTART_WINDOW = 60.0

Starter = Callable[[Service, Side], Running]
Command = Callable[[str, str, str], None]  # name, template, side name
Emit = Callable[[dict[str, Any]], None]


class Fleet:
    """The running services of one job.

    :param starter: starts a service on a side and waits until it is
        ready (:func:`~zerodown.grenade.supervise.start`).
    :param command: runs a service's ``pre_stop`` / ``post_start``.
    :param emit: writes an event to ``phases.jsonl``.
    :param phase: the current phase's name.
    """

    def __init__(
        self,
        workdir: Path,
        starter: Starter,
        command: Command,
        emit: Emit,
        say: Callable[[str], None],
        phase: Callable[[], str],
    ) -> None:
        self.workdir = workdir
        self.starter, self.command, self.emit = starter, command, emit
        self.say, self.phase = say, phase
        self.running: dict[str, Running] = {}
        self._lock = threading.RLock()
        self._closing = False
        self._failures: list[str] = []
        self._restarts: dict[str, deque[float]] = {}

    def start(self, service: Service, side: Side) -> None:
        """Start ``service`` on ``side`` (it has not run yet)."""
        with self._lock:
            self._launch(service, side)

    def replace(self, service: Service, side: Side) -> None:
        """Stop ``service`` (after its ``pre_stop``) and start it on
        ``side`` (then its ``post_start``)."""
        with self._lock:
            current = self.running[service.name]
            current.stopping = True  # a death from now on is expected
            if service.pre_stop:
                self.command(
                    f"pre_stop-{service.name}", service.pre_stop, side.name
                )
            current.stop()
            self._launch(service, side)
            if service.post_start:
                self.command(
                    f"post_start-{service.name}", service.post_start, side.name
                )

    def check(self) -> None:
        """:raises GrenadeError: a service died and was not restarted,
        or its restart failed, since the last call."""
        with self._lock:
            failures, self._failures = self._failures, []
        if failures:
            raise GrenadeError(problem="; ".join(failures))

    def close(self) -> None:
        """Stop every service, last started first; no restart after."""
        with self._lock:
            self._closing = True
            for running in reversed(list(self.running.values())):
                running.stop()
            self.running.clear()

    def closing(self) -> None:
        """From now on a death is the job's end, not a failure."""
        with self._lock:
            self._closing = True

    # -- inside ---------------------------------------------------------------

    def _launch(self, service: Service, side: Side) -> None:
        running = self.starter(service, side)
        self.running[service.name] = running
        pidfile = self.workdir / "run" / f"{service.name}.pid"
        pidfile.parent.mkdir(exist_ok=True)
        temporary = pidfile.with_suffix(".pid.tmp")
        temporary.write_text(f"{running.proc.pid}\n")
        os.replace(temporary, pidfile)  # a reader never sees it half made
        threading.Thread(
            target=self._watch,
            args=(running,),
            name=f"watch-{service.name}",
            daemon=True,
        ).start()

    def _watch(self, running: Running) -> None:
        code = running.proc.wait()
        phase = self.phase()  # where it died, not where it was logged
        with self._lock:
            if running.stopping or self._closing:
                return
            if self.running.get(running.service.name) is not running:
                return
            # Whatever it started dies with it (it would hold its port).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(running.proc.pid, signal.SIGKILL)
            running.ended = True
            self._died(running, code, phase)

    def _died(self, running: Running, code: int, phase: str) -> None:
        service, side = running.service, running.side
        what = f"service {service.name} ({side.name})"
        self._event(running, "died", phase, code=code)
        self.say(f"{what} died ({code}) in phase {phase}")
        if not service.restart:
            self._failures.append(f"{what} died ({code}); no restart asked")
            return
        if not self._may_restart(service.name):
            self._event(running, "crash-loop", phase)
            self._failures.append(
                f"{what} died {RESTART_BURST + 1} times within "
                f"{RESTART_WINDOW:g}s; left down"
            )
            return
        try:
            self._launch(service, side)
        except (ZerodownError, OSError) as err:
            self._event(running, "restart-failed", phase, reason=str(err))
            self._failures.append(f"{what} did not restart: {err}")
            return
        self._event(running, "restarted", phase)
        self.say(f"{what} restarted")
        if service.post_start:
            try:
                self.command(
                    f"post_start-{service.name}", service.post_start, side.name
                )
            except (ZerodownError, OSError) as err:
                self._event(running, "post_start-failed", phase)
                self._failures.append(
                    f"{what} restarted, but its post_start failed: {err}"
                )

    def _may_restart(self, name: str) -> bool:
        now = time.monotonic()
        recent = self._restarts.setdefault(name, deque())
        while recent and recent[0] < now - RESTART_WINDOW:
            recent.popleft()
        if len(recent) >= RESTART_BURST:
            return False
        recent.append(now)
        return True

    def _event(
        self, running: Running, event: str, phase: str, **more: Any
    ) -> None:
        self.emit(
            {
                "service": running.service.name,
                "side": running.side.name,
                "event": event,
                "phase": phase,
                "at": time.time(),
                **more,
            }
        )
