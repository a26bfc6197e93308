"""Start the compute stack's services as processes, and stop them.

A :class:`ServiceProcess` runs ``zerodown compute run BINARY --config
FILE`` with its output in a log file, waits for its ``READY`` line, and
stops it with SIGTERM (SIGKILL only after a grace period).  A service
that exits or never comes up raises
:class:`~zerodown.compute.errors.ServiceFailed` with the tail
of its log, so the reason is in front of whoever started it.  The demo
and the multi-process tests start deployments with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from zerodown.compute.errors import ServiceFailed
from zerodown.files import private_file

__all__ = ["ServiceProcess", "write_config"]


_FILE_SETTINGS = frozenset(
    {"ZERODOWN_DATABASE_URL", "ZERODOWN_TRANSPORT_URL", "ZERODOWN_HOST"}
)


class ServiceProcess:
    """One service process of the compute stack."""

    #: How the service is started; a test may run another interpreter.
    COMMAND: ClassVar[tuple[str, ...]] = (sys.executable, "-m", "zerodown")

    def __init__(
        self,
        name: str,
        binary: str,
        config: Path,
        log: Path,
        *,
        env: Mapping[str, str] | None = None,
        command: tuple[str, ...] | None = None,
    ) -> None:
        self.name, self.binary = name, binary
        self.config, self.log = config, log
        # The service's file is the whole truth: settings a shell may
        # carry for other tools would silently override it.
        inherited = {
            k: v for k, v in os.environ.items() if k not in _FILE_SETTINGS
        }
        self.env = {**inherited, **(env or {})}
        self.command = command or self.COMMAND
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_line = ""

    @property
    def url(self) -> str:
        """The address the API printed in its READY line."""
        return self.ready_line.split()[-1]

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        """Start and wait until it serves.

        :raises ServiceFailed: if it exits or is not ready in time.
        """
        self.log.parent.mkdir(parents=True, exist_ok=True)
        stream = self.log.open("ab")
        argv = [
            *self.command,
            "compute",
            "run",
            self.binary,
            "--config",
            str(self.config),
        ]
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=stream,
            env=self.env,
            start_new_session=True,
        )
        stream.close()
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        deadline = time.monotonic() + timeout
        buffer = b""
        while time.monotonic() < deadline:
            chunk = self.proc.stdout.read() or b""
            buffer += chunk
            for line in buffer.decode(errors="replace").splitlines():
                if line.startswith("READY "):
                    self.ready_line = line.strip()
                    return self
            if self.proc.poll() is not None:
                raise self.failure(f"exited with {self.proc.returncode}")
            time.sleep(0.05)
        self.kill()
        raise self.failure(f"was not ready within {timeout:.0f}s")

    def failure(self, problem: str) -> ServiceFailed:
        return ServiceFailed(
            name=self.name, problem=problem, log=self.log, tail=self.tail()
        )

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait; SIGKILL if it does not stop in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def write_config(path: Path, values: Mapping[str, Any]) -> Path:
    """Write a service's TOML file (a small writer: tables of scalars,
    lists of tables, one level of nesting)."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    arrays: list[tuple[str, list[Mapping[str, Any]]]] = []
    for key, value in values.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif (
            isinstance(value, list) and value and isinstance(value[0], Mapping)
        ):
            arrays.append((key, value))
        else:
            lines.append(f"{key} = {_toml(value)}")
    for name, table in tables:
        inner = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
        lines.append(f"\n[{name}]")
        lines += [
            f"{k} = {_toml(v)}"
            for k, v in table.items()
            if not isinstance(v, Mapping)
        ]
        for sub, subtable in inner:
            lines.append(f"\n[{name}.{sub}]")
            lines += [f"{k} = {_toml(v)}" for k, v in subtable.items()]
    for name, items in arrays:
        for item in items:
            lines.append(f"\n[[{name}]]")
            lines += [f"{k} = {_toml(v)}" for k, v in item.items()]
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # never write a file the services cannot read
    # Private: a service's file holds its keys (and an older file may
    # have been written open).
    private_file(path).write_text(text)
    path.chmod(0o600)
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
