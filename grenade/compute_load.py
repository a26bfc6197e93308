"""The compute job's load beyond plain reads (``[load] flows``): a
server's whole life, one recorded request per step.  The harness loads
this file from the job's folder, so it may import ``compute_hooks``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from compute_hooks import call

LOAD_FLAVOR = {
    "name": "grenade.load",
    "id": "grenade.load",
    "vcpus": 1,
    "ram": 128,
    "disk": 1,
}
STEP_TIMEOUT = 60.0  # a server stuck in a task state fails its flow


def load_flows(base_url: str) -> list[tuple[str, int, Callable[[], object]]]:
    """The job's load beyond plain reads (``[load] flows``): a server's
    whole life, one recorded request per step."""
    return [("server", 1, lambda: server_flow(base_url))]


def server_flow(base: str) -> Iterator[tuple[str, Callable[[], object]]]:
    state: dict = {}

    def request(
        method: str, path: str, body: object = None, ok: tuple = (200,)
    ) -> dict:
        status, data = call(method, path, body, base)
        if status not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {status} {data!s:.200}")
        return data if isinstance(data, dict) else {}

    def flavor() -> None:
        if call("GET", "/flavors/grenade.load", None, base)[0] == 404:
            status, data = call(
                "POST", "/flavors", {"flavor": LOAD_FLAVOR}, base
            )
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
            status, data = call("GET", f"/servers/{state['id']}", None, base)
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
