"""Hooks of the compute stack's upgrade job (grenade/compute.toml).

They belong to the job, not to either release: they talk to the
deployment only through its HTTP API and files, with the standard
library, so the same script drives old and new code.

    python compute_hooks.py setup|smoke|create|verify|destroy

``create`` boots guests that exercise what grenade never checked
(dedicated CPUs on 2 NUMA nodes with 2 MiB pages, a NIC on its guest's
cell) and records where each landed; ``verify`` requires every one to be
ACTIVE with exactly the same host, cells, pinning, page size and device,
and the hosts' per-cell usage unchanged.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

WORKDIR = Path(os.environ["GRENADE_WORKDIR"])
API = os.environ.get("COMPUTE_API", "http://127.0.0.1:18774")
STATE = WORKDIR / "compute-resources.json"
DB = f"sqlite:///{WORKDIR}/compute.db"
BROKER = f"embedded://{WORKDIR}/broker.db"
PINNED = {
    "hw:cpu_policy": "dedicated",
    "hw:numa_nodes": "2",
    "hw:mem_page_size": "2048",
}
NIC = {
    "hw:cpu_policy": "dedicated",
    "pci_passthrough:alias": "nic:1",
    "hw:pci_numa_affinity_policy": "required",
}


HAPROXY = """\
global
    maxconn 512

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure empty-response response-timeout

frontend api
    bind 127.0.0.1:{port}
    default_backend apis

backend apis
    balance roundrobin
    option httpchk GET /flavors
    default-server inter 200ms fall 1 rise 2
{backends}
"""


def call(method: str, path: str, body: object = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(API + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def expect(method: str, path: str, body: object = None) -> object:
    status, data = call(method, path, body)
    if status >= 300:
        sys.exit(f"{method} {path}: {status} {data}")
    return data


def setup() -> None:
    """One TOML file per service (conductor, scheduler, api, 2 computes)."""
    etc = WORKDIR / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    port = API.rsplit(":", 1)[1]
    common = (
        f'database_url = "{DB}"\ntransport_url = "{BROKER}"\n'
        "[service]\nheartbeat_interval = 1.0\ndown_after = 6.0\n"
        "report_interval = 1.0\n"
    )
    alias = (
        '\n[[pci.alias]]\nname = "nic"\nvendor_id = "8086"\n'
        'product_id = "154d"\n'
    )
    for name in ("conductor", "scheduler"):
        (etc / f"{name}.toml").write_text(f'host = "{name}"\n{common}{alias}')
    # Two API processes behind HAProxy, restarted one at a time: a
    # request that finds one gone is retried on the other.
    backends = []
    for index, api_port in ((1, int(port) + 1), (2, int(port) + 2)):
        (etc / f"api-{index}.toml").write_text(
            f'host = "api-{index}"\n{common}[api]\n'
            f'listen = "127.0.0.1:{api_port}"\n{alias}'
        )
        backends.append(f"    server api-{index} 127.0.0.1:{api_port} check")
    (etc / "haproxy.cfg").write_text(
        HAPROXY.format(port=port, backends="\n".join(backends))
    )
    for name in ("compute-1", "compute-2"):
        (etc / f"{name}.toml").write_text(
            f'host = "{name}"\ntransport_url = "{BROKER}"\n'
            "[service]\nheartbeat_interval = 1.0\ndown_after = 6.0\n"
            "report_interval = 1.0\n"
            '[compute]\ndriver = "fake"\nram_allocation_ratio = 1.0\n'
            "[compute.driver_options]\ncpu_dedicated_set = "
            '"2-3,10-11,6-7,14-15"\n' + alias
        )


def smoke() -> None:
    services = expect("GET", "/os-services")["services"]  # type: ignore[index]
    down = [s for s in services if s["state"] != "up" and s["binary"] != "api"]
    if down:
        sys.exit(f"services down: {down}")
    expect("GET", "/servers/detail")
    expect("GET", "/os-hypervisors/detail")


def create() -> None:
    for name, specs in (("grenade.pinned", PINNED), ("grenade.nic", NIC)):
        expect(
            "POST",
            "/flavors",
            {
                "flavor": {
                    "name": name,
                    "id": name,
                    "vcpus": 4 if specs is PINNED else 2,
                    "ram": 1024,
                    "disk": 1,
                }
            },
        )
        expect(
            "POST", f"/flavors/{name}/os-extra_specs", {"extra_specs": specs}
        )
    ids = []
    for name, flavor in (
        ("pinned-1", "grenade.pinned"),
        ("pinned-2", "grenade.pinned"),
        ("nic-1", "grenade.nic"),
    ):
        server = expect(
            "POST", "/servers", {"server": {"name": name, "flavorRef": flavor}}
        )
        ids.append(server["server"]["id"])  # type: ignore[index]
    servers = [wait_active(i) for i in ids]
    STATE.write_text(
        json.dumps(
            {
                "servers": {s["id"]: placement(s) for s in servers},
                "usage": usage(),
            },
            indent=2,
            sort_keys=True,
        )
    )


def wait_active(uuid: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        server = expect("GET", f"/servers/{uuid}")["server"]  # type: ignore[index]
        if server["status"] == "ACTIVE" and server["task_state"] is None:
            return server
        if server["status"] == "ERROR" or time.monotonic() > deadline:
            sys.exit(f"{uuid} is {server['status']}: {server.get('fault')}")
        time.sleep(0.2)


def placement(server: dict) -> dict:
    return {
        "host": server["host"],
        "numa": server["zerodown:numa"],
        "pci": server["zerodown:pci_devices"],
    }


def usage() -> dict:
    hosts = expect("GET", "/os-hypervisors/detail")["hypervisors"]  # type: ignore[index]
    return {
        h["service"]["host"]: [
            {k: c[k] for k in ("id", "pinned", "memory_used", "pages")}
            for c in h["numa_cells"]
        ]
        for h in hosts
    }


def verify() -> None:
    recorded = json.loads(STATE.read_text())
    for uuid, was in recorded["servers"].items():
        now = placement(wait_active(uuid))
        if now != was:
            sys.exit(f"{uuid} moved or changed: {was} -> {now}")
    deadline = time.monotonic() + 20
    while usage() != recorded["usage"]:
        if time.monotonic() > deadline:
            sys.exit(f"host usage changed: {recorded['usage']} -> {usage()}")
        time.sleep(0.5)


def destroy() -> None:
    recorded = json.loads(STATE.read_text())
    for uuid in recorded["servers"]:
        expect("DELETE", f"/servers/{uuid}")
    for uuid in recorded["servers"]:
        deadline = time.monotonic() + 60
        while call("GET", f"/servers/{uuid}")[0] != 404:
            if time.monotonic() > deadline:
                sys.exit(f"{uuid} was not deleted")
            time.sleep(0.2)
    STATE.unlink()


if __name__ == "__main__":
    {
        "setup": setup,
        "smoke": smoke,
        "create": create,
        "verify": verify,
        "destroy": destroy,
    }[sys.argv[1]]()
