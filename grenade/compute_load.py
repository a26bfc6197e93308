"""The compute job's load (``[load] flows``): reads of servers, flavors
and hypervisors, and a server's whole life, one recorded request per
step.  Every request carries the admin token the setup hook made (the
harness gives the work directory; a plain ``[load] mix`` could send no
token).  The harness loads this file from the job's folder, so it may
import ``compute_hooks``."""

from __future__ import annotations

import functools
import http.client
import time
import uuid
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
#: HAProxy's answer when the API process died with the request (503, no
#: server left, and 504, a slow one, are failures of their own).
UNKNOWN_OUTCOME = (502,)
#: An action's task state while it runs, and the status once done.
ACTION_EFFECTS = {
    "pause": ("pausing", "PAUSED"),
    "unpause": ("unpausing", "ACTIVE"),
}


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
    return [*flows, ("server", 1, lambda: server_flow(call, workdir))]


def read_flow(
    call: Callable[..., tuple[int, object]], path: str
) -> Iterator[tuple[str, Callable[[], object]]]:
    def read() -> None:
        status, data = call("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status} {data!s:.200}")

    yield "list", read


def server_flow(
    call: Callable[..., tuple[int, object]], workdir: Path
) -> Iterator[tuple[str, Callable[[], object]]]:
    """A server's life.  A write whose API process died with it (the
    connection broke, or HAProxy answered 502) has an unknown
    outcome: HTTP lets a client repeat it only if it can tell it was not
    applied (RFC 9110, 9.2.2), so the flow looks first (its server by its
    own name, the server's state after an action) and sends it again
    only if it was not; each such case goes to ``load-retries.jsonl``.
    A DELETE is idempotent: sent again."""
    state: dict = {"name": f"load-{uuid.uuid4().hex[:12]}"}

    def flavor() -> None:
        if call("GET", "/flavors/grenade.load")[0] == 404:
            status, data = call("POST", "/flavors", {"flavor": LOAD_FLAVOR})
            if status not in (200, 409):  # 409: another worker made it
                raise RuntimeError(f"POST /flavors: HTTP {status} {data}")

    def create() -> None:
        body = {
            "server": {
                "name": state["name"],
                "flavorRef": "grenade.load",
                "imageRef": "image-of-load",
            }
        }
        created = sent(
            call, workdir, "POST", "/servers", body, (202,), named(call, state)
        )
        if created:
            state["id"] = created["server"]["id"]

    def action(name: str) -> Callable[[], object]:
        return lambda: sent(
            call,
            workdir,
            "POST",
            f"/servers/{state['id']}/action",
            {name: None},
            (202,),
            acted(call, state, name),
        )

    def delete() -> None:
        # Sent again, a DELETE finds the server deleting (204) or gone
        # (404, which the first try may not answer).
        path = f"/servers/{state['id']}"
        sent(call, workdir, "DELETE", path, None, (204,), _never, again=(404,))

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
    yield "delete", delete
    yield from until("gone")


def sent(
    call: Callable[..., tuple[int, object]],
    workdir: Path,
    method: str,
    path: str,
    body: object,
    ok: tuple,
    applied: Callable[[], bool],
    again: tuple = (),
) -> dict:
    """``method path``, sent again while its outcome is unknown (a broken
    connection, or HAProxy's 502) and ``applied()`` says it was not
    applied (three tries); each unknown outcome is noted.  ``again``:
    answers that count only for a request sent again (a DELETE's 404)."""
    unknown = False
    for _ in range(3):
        try:
            status, data = call(method, path, body)
            error = f"HTTP {status}"
        except (http.client.HTTPException, ConnectionError) as err:
            status, data, error = 0, None, repr(err)
        if status in ok or (unknown and status in again):
            return data if isinstance(data, dict) else {}
        if status not in (0, *UNKNOWN_OUTCOME):
            raise RuntimeError(f"{method} {path}: HTTP {status} {data!s:.200}")
        compute_hooks.note_retry(workdir, method, path, error)
        unknown = True
        if applied():
            return {}
    raise RuntimeError(f"{method} {path}: no answer in three tries")


def _never() -> bool:
    return False


def named(
    call: Callable[..., tuple[int, object]], state: dict
) -> Callable[[], bool]:
    """Whether the server the flow asked for exists, found by its name
    (its id then kept in ``state``)."""

    def exists() -> bool:
        status, data = call("GET", "/servers/detail")
        if status != 200:  # unknown still: creating again could double it
            raise RuntimeError(f"GET /servers/detail: HTTP {status}")
        servers = data["servers"]  # type: ignore[index]
        found = [s["id"] for s in servers if s["name"] == state["name"]]
        if found:
            state["id"] = found[0]
        return bool(found)

    return exists


def acted(
    call: Callable[..., tuple[int, object]], state: dict, name: str
) -> Callable[[], bool]:
    """Whether action ``name`` was applied to the flow's server: it is in
    the action's task state, or done."""
    doing, done = ACTION_EFFECTS[name]

    def applied() -> bool:
        status, data = call("GET", f"/servers/{state['id']}")
        server = data["server"] if status == 200 else {}  # type: ignore[index]
        return server.get("task_state") == doing or (
            server.get("task_state") is None and server.get("status") == done
        )

    return applied
