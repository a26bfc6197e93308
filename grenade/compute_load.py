"""The compute job's load (``[load] flows``): reads of servers, flavors
and hypervisors, and a server's whole life, one recorded request per
step.  Every request carries the admin token the setup hook made (the
harness gives the work directory; a plain ``[load] mix`` could send no
token).  The harness loads this file from the job's folder, so it may
import ``compute_hooks``."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import compute_hooks

LOAD_FLAVOR = {
    "name": "grenade.load",
    "id": "grenade.load",
    "vcpus": 1,
    "ram": 128,
    "disk": 1,
}
STEP_TIMEOUT = 60.0  # a server stuck in a task state fails its flow


#: name -> (weight, path): what the load reads, and how often.
READS = {
    "servers": (5, "/servers/detail"),
    "flavors": (2, "/flavors/detail"),
    "hypervisors": (1, "/os-hypervisors/detail"),
}


def load_flows(
    base_url: str, workdir: Path
) -> list[tuple[str, int, Callable[[], object]]]:
    """Reads (``servers.list``...) and a server's whole life
    (``server.create``...), every request with the admin token."""
    token = compute_hooks.admin_token(workdir / "etc" / "admin-token")
    call = functools.partial(
        compute_hooks.call, base=base_url, token=token, workdir=workdir
    )
    flows: list[tuple[str, int, Callable[[], object]]] = [
        (name, weight, functools.partial(read_flow, call, path))
        for name, (weight, path) in READS.items()
    ]
    return [*flows, ("server", 1, lambda: server_flow(call))]


def read_flow(
    call: Callable[..., tuple[int, object]], path: str
) -> Iterator[tuple[str, Callable[[], object]]]:
    def read() -> None:
        status, data = call("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status} {data!s:.200}")

    yield "list", read


def server_flow(
    call: Callable[..., tuple[int, object]],
) -> Iterator[tuple[str, Callable[[], object]]]:
    state: dict = {}

    def request(
        method: str, path: str, body: object = None, ok: tuple = (200,)
    ) -> dict:
        status, data = call(method, path, body)
        if status not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {status} {data!s:.200}")
        return data if isinstance(data, dict) else {}

    def flavor() -> None:
        if call("GET", "/flavors/grenade.load")[0] == 404:
            status, data = call("POST", "/flavors", {"flavor": LOAD_FLAVOR})
            if status not in (200, 409):  # 409: another worker made it
                raise RuntimeError(f"POST /flavors: HTTP {status} {data}")

    def create() -> None:
        body = {
            "server": {
                "name": "load",
                "flavorRef": "grenade.load",
                "imageRef": "image-of-load",
            }
        }
        created = request("POST", "/servers", body, ok=(202,))
        state["id"] = created["server"]["id"]

    def action(name: str) -> Callable[[], object]:
        return lambda: request(
            "POST", f"/servers/{state['id']}/action", {name: None}, ok=(202,)
        )

    def until(wanted: str) -> Iterator[tuple[str, Callable[[], object]]]:
        deadline = time.monotonic() + STEP_TIMEOUT

        def show() -> None:
            status, data = call("GET", f"/servers/{state['id']}")
            if status == 404 and wanted == "gone":
                state["status"] = "gone"
                return
            if status != 200:
                raise RuntimeError(f"GET server: HTTP {status} {data!s:.200}")
            server = data["server"]  # type: ignore[index]
            if server["status"] == "ERROR":
                raise RuntimeError(f"server in ERROR: {server.get('fault')}")
            state["status"] = (
                server["status"] if server["task_state"] is None else "busy"
            )
            if state["status"] != wanted and time.monotonic() > deadline:
                raise RuntimeError(
                    f"still {server['status']}/{server['task_state']} after "
                    f"{STEP_TIMEOUT:.0f} s, waiting for {wanted}"
                )

        while True:
            yield "show", show
            if state.get("status") == wanted:
                return
            time.sleep(0.2)

    yield "flavor", flavor
    yield "create", create
    yield from until("ACTIVE")
    yield "pause", action("pause")
    yield from until("PAUSED")
    yield "unpause", action("unpause")
    yield from until("ACTIVE")
    yield (
        "delete",
        lambda: request("DELETE", f"/servers/{state['id']}", ok=(204,)),
    )
    yield from until("gone")
