"""The compute jobs' faults (``[vars] faults``, comma-separated):

* ``rabbitmq-restart``: RabbitMQ's application stopped and started (every
  connection drops, transient queues go): in the mixed phase of release
  1's job, in the roll of release 3's (below);
* ``kill-migrate``: ``zerodown db migrate`` killed with SIGKILL after its
  first committed batch, then run again to the end;
* ``kill-compute``: one compute killed with SIGKILL in the roll (the
  harness starts it again: ``restart = true``);
* ``kill-api``: one API process killed with SIGKILL in the mixed phase
  (HAProxy takes it out; the harness starts it again).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from compute_hooks import DB, FAULTS, WORKDIR, WORKTREE, expect, zerodown

__all__ = ["FAULTS", "kill_migrate", "kill_service", "restart_rabbitmq"]


def restart_rabbitmq() -> None:
    """Stop and start RabbitMQ's application; wait until every service
    is seen up again (their heartbeats travel through the broker for the
    computes)."""
    for action in ("stop_app", "start_app"):
        subprocess.run(["rabbitmqctl", action], check=True, timeout=120)
    print("RabbitMQ restarted (stop_app, start_app)")
    time.sleep(7)  # longer than down_after: a dead service shows down
    deadline = time.monotonic() + 60
    while True:
        services = expect("GET", "/os-services")["services"]  # type: ignore[index]
        down = [s["host"] for s in services if s["state"] != "up"]
        if not down:
            return
        if time.monotonic() > deadline:
            sys.exit(f"services still down after the RabbitMQ restart: {down}")
        time.sleep(0.5)


def kill_migrate(db: list[str], backfill: str) -> None:
    """SIGKILL ``zerodown db migrate`` after its first committed batch;
    the batch stays done (``backfill`` counts it) and the gate closed."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zerodown",
            *db,
            "migrate",
            "--batch-size",
            "1",
            "--sleep",
            "5",
            "--format",
            "json",
        ],
        env={**os.environ, "PYTHONPATH": WORKTREE},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line).get("event") == "batch":
            break
    else:
        sys.exit(f"migrate ended before its first batch: {proc.wait()}")
    proc.send_signal(signal.SIGKILL)
    print(f"killed zerodown db migrate (-9) after one batch: {line.strip()}")
    print(f"it exited with {proc.wait()}")
    status = json.loads(
        zerodown(
            "status",
            "-c",
            f"{WORKTREE}/alembic.ini",
            "--database-url",
            DB,
            "--format",
            "json",
            capture_output=True,
            text=True,
        ).stdout
    )
    if status["gate"].get("open"):
        sys.exit(f"the gate opened after a killed migrate: {status['gate']}")
    left = {m["name"]: m for m in status["data_migrations"]}
    moved = left.get(backfill)
    if not moved or moved["done"] < 1:
        sys.exit(
            f"the killed run's batch was not kept: {status['data_migrations']}"
        )
    print(f"after the kill: {moved}; gate closed")


def kill_service(name: str, wait: bool = True) -> None:
    """SIGKILL the process of service ``name`` (its pid file in the
    job's run directory), as a crash would; the harness starts it again
    (``restart = true``).  ``wait``: until its new process is up.  Not
    from a ``pre_stop`` or ``post_start`` hook: the harness restarts
    nothing while one runs."""
    pidfile = WORKDIR / "run" / f"{name}.pid"
    pid = int(pidfile.read_text())
    os.kill(pid, signal.SIGKILL)
    print(f"killed {name} (pid {pid}) with SIGKILL")
    if not wait:
        return
    deadline = time.monotonic() + 60
    while int(pidfile.read_text()) == pid:
        if time.monotonic() > deadline:
            sys.exit(f"{name} was not started again within 60 s")
        time.sleep(0.2)
    print(f"{name} started again (pid {int(pidfile.read_text())})")


def fault(when: str) -> None:
    """``compute_hooks.py fault roll``: compute-2's ``post_start``, once
    both computes run the new release (release 3's job).  RabbitMQ
    restarts (``rabbitmq-restart``), then compute-1, rolled already, is
    killed (``kill-compute``).  The harness restarts nothing while this
    hook runs: the kill is not awaited."""
    if when != "roll" or os.environ.get("GRENADE_PHASE") != "roll":
        return  # compute-2's restarts in later phases
    if "rabbitmq-restart" in FAULTS:
        restart_rabbitmq()
    if "kill-compute" in FAULTS:
        kill_service("compute-1", wait=False)
