"""A service of the job, started on one side and stopped cleanly.

It is ready when a line of its output starts with the job's ``ready``
text, or, when ``ready`` is an http:// URL, when that URL answers 200.
Its output goes to ``logs/<name>-<side>.log`` (appended across
restarts), whose tail is shown when anything fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from zerodown.grenade.errors import GrenadeError
from zerodown.grenade.job import Service
from zerodown.grenade.sides import Side, render

__all__ = ["Running", "start"]


class Running:
    def __init__(
        self,
        service: Service,
        side: Side,
        proc: subprocess.Popen[bytes],
        log: Path,
    ) -> None:
        self.service, self.side, self.proc, self.log = (
            service,
            side,
            proc,
            log,
        )
        #: Set once the job stops it: an exit after that is no death.
        self.stopping = False
        #: Set once its death was seen and its group killed: nothing is
        #: left to stop (and its pid may belong to another process now).
        self.ended = False

    def drain(self) -> None:
        """Keep copying its output to the log (a full pipe would block
        the service)."""
        stream = self.proc.stdout
        assert stream is not None
        os.set_blocking(stream.fileno(), True)

        def copy() -> None:
            with self.log.open("ab") as out:
                for line in stream:
                    out.write(line)
                    out.flush()

        threading.Thread(
            target=copy, name=f"log-{self.service.name}", daemon=True
        ).start()

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 20.0) -> int | None:
        """SIGTERM to the service's process group (its command runs in a
        shell), and wait until the whole group is gone; SIGKILL after
        ``grace`` seconds."""
        self.stopping = True
        if self.ended:
            return self.proc.returncode
        self._signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self._group_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._group_alive():
            self._signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        return self.proc.returncode

    def _group_alive(self) -> bool:
        self.proc.poll()  # reap the shell if it has exited
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signum)


def variable_env(variables: Mapping[str, str]) -> dict[str, str]:
    """A job's variables as ``GRENADE_VAR_<NAME>`` for its commands."""
    return {f"GRENADE_VAR_{k.upper()}": v for k, v in variables.items()}


def start(
    service: Service,
    side: Side,
    workdir: Path,
    jobdir: Path | None = None,
    variables: Mapping[str, str] | None = None,
) -> Running:
    """Start ``service`` on ``side`` and wait until it is ready.

    :raises GrenadeError: naming the service, with its log's tail, if it
        exits or is not ready in time.
    """
    log = workdir / "logs" / f"{service.name}-{side.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = render(service.command, side, workdir, jobdir, variables)
    with log.open("ab") as out:
        out.write(f"\n--- start on {side.name}: {command}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            command,
            shell=True,
            cwd=side.worktree,
            env=side.env(workdir, variable_env(variables or {})),
            stdout=subprocess.PIPE,
            stderr=out,
            start_new_session=True,
        )
    running = Running(service, side, proc, log)
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    deadline = time.monotonic() + service.timeout
    seen = b""
    while time.monotonic() < deadline:
        chunk = proc.stdout.read() or b""
        if chunk:
            seen += chunk
            with log.open("ab") as out:
                out.write(chunk)
        if _ready(service.ready, seen):
            running.drain()
            return running
        if proc.poll() is not None:
            raise GrenadeError(
                problem=f"service {service.name} ({side.name}) exited with "
                f"{proc.returncode} before it was ready; last lines of "
                f"{log}:\n{running.tail()}"
            )
        time.sleep(0.1)
    running.stop(5)
    raise GrenadeError(
        problem=f"service {service.name} ({side.name}) was not ready within "
        f"{service.timeout:.0f}s; last lines of {log}:\n{running.tail()}"
    )


def _ready(ready: str, seen: bytes) -> bool:
    if ready.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(ready, timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False
    return any(
        line.startswith(ready)
        for line in seen.decode(errors="replace").splitlines()
    )
