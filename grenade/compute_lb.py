"""HAProxy's admin socket, for the compute job's API restarts.

    python compute_lb.py drain|ready SERVER

``drain`` takes ``SERVER`` out of rotation and waits until it serves
nothing, so stopping it cuts no request whatever its release does on
SIGTERM; ``ready`` puts it back and waits until HAProxy's checks see it
up.  Standard library only: it runs beside either release.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

LB_SOCKET = Path(os.environ.get("GRENADE_WORKDIR", ".")) / "haproxy.sock"


def main(action: str, server: str) -> None:
    """Through HAProxy's admin socket: ``drain`` takes ``server`` out of
    rotation and waits until it serves nothing (so stopping it cuts no
    request, whatever its release does on SIGTERM); ``ready`` puts it
    back and waits until HAProxy's checks see it up."""
    name = f"apis/{server}"
    if action == "drain":
        haproxy(f"set server {name} state maint")
        wait_lb(server, lambda row: row["scur"] == "0", "to drain")
    elif action == "ready":
        haproxy(f"set server {name} state ready")
        wait_lb(server, lambda row: row["status"].startswith("UP"), "up")
    else:
        sys.exit(f"lb: unknown action {action!r} (drain or ready)")
    print(f"{server}: {action}")


def haproxy(command: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        conn.connect(str(LB_SOCKET))
        conn.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def wait_lb(
    server: str, done: Callable[[dict[str, str]], bool], what: str
) -> None:
    deadline = time.monotonic() + 30
    while True:
        lines = haproxy("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [
            dict(zip(header, line.split(","), strict=False))
            for line in lines[1:]
        ]
        row = next(r for r in rows if r.get("svname") == server)
        if done(row):
            return
        if time.monotonic() > deadline:
            sys.exit(f"{server} did not get {what}: {row}")
        time.sleep(0.1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
