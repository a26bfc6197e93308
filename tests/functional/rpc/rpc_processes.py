"""Start widget_service.py processes and stop them, whatever happens."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).with_name("widget_service.py")


class ServiceProcess:
    """One running ``widget_service.py``."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._wait_ready(60.0)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if ready:
                line = self.process.stdout.readline()
                if line.strip() == "READY":
                    return
            if self.process.poll() is not None:
                break
        self.stop()
        raise AssertionError(f"service did not start: {self.errors()}")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (a clean stop), then SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: a crash, nothing cleaned up."""
        self.process.kill()
        self.process.wait()

    def errors(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read()[-3000:]
