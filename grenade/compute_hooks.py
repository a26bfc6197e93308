"""Hooks of the compute stack's upgrade jobs (grenade/compute.toml,
release 1 -> this checkout; grenade/compute-r2.toml, release 2 -> this
checkout).

They belong to the job, not to either release: they talk to the
deployment through its HTTP API and files, so the same script drives old
and new code.

    python compute_hooks.py setup|smoke|create|verify|migrate|caps|destroy
    python compute_hooks.py reconfigure|reconfigured|contracted

``create`` boots guests that exercise what grenade never checked
(dedicated CPUs on 2 NUMA nodes with 2 MiB pages, a NIC on its guest's
cell) and records where each landed; ``verify`` requires every one to be
ACTIVE with exactly the same host, cells, pinning, page size and device,
and the hosts' per-cell usage unchanged.  What a phase ($GRENADE_PHASE)
checks beyond that belongs to the release the job upgrades from
(``[vars] old_release``): ``compute_from_r1.py``, ``compute_from_r2.py``.

Each side has its own service files, ``{workdir}/etc/{side}/NAME.toml``
(:func:`service_settings`): an old release refuses keys it does not know,
so what only the new release reads goes in the new side's files alone.
The new side's APIs check tokens (``[api] auth = "token"``, a key file
made by ``setup``) and its services sign their messages
(``rpc_signing = "permissive"`` while old services send unsigned ones);
every request of the hooks and of the load carries an admin token from
the start (old releases ignore it), and HAProxy's health check a
member's.

The database, broker and topic prefix come from the job's ``[vars]``
(``GRENADE_VAR_*``), so the same job runs on SQLite + the embedded broker
and on PostgreSQL/MariaDB + RabbitMQ.  ``faults`` (comma-separated) adds
the fault runs (``compute_faults.py``).
"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import secrets
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from pathlib import Path

WORKDIR = Path(os.environ.get("GRENADE_WORKDIR", "."))
API = os.environ.get("COMPUTE_API", "http://127.0.0.1:18774")
STATE = WORKDIR / "compute-resources.json"
DB = os.environ.get(
    "GRENADE_VAR_DATABASE_URL", f"sqlite:///{WORKDIR}/compute.db"
)
BROKER = os.environ.get(
    "GRENADE_VAR_TRANSPORT_URL", f"embedded://{WORKDIR}/broker.db"
)
PREFIX = os.environ.get("GRENADE_VAR_TOPIC_PREFIX", "")
PHASE = os.environ.get("GRENADE_PHASE", "")
FAULTS = set(filter(None, os.environ.get("GRENADE_VAR_FAULTS", "").split(",")))
WORKTREE = os.environ.get("GRENADE_WORKTREE", ".")
# The release the job upgrades from: which compute_from_*.py checks it.
OLD_RELEASE = os.environ.get("GRENADE_VAR_OLD_RELEASE", "r1")


# The service version the job upgrades to: this checkout's, unless the
# job's new side is an older release (release 1 -> 2).
def _new_service_version() -> int:
    named = os.environ.get("GRENADE_VAR_NEW_SERVICE_VERSION")
    if named:
        return int(named)
    # Importing the history costs a hook SQLAlchemy (half a second of
    # CPU, under the job's load): the job files name the version.
    from zerodown.compute import version

    return version.SERVICE_VERSION


SERVICE_VERSION = _new_service_version()
# Release 3 is the first that signs messages and checks tokens.
NEW_SIGNS = SERVICE_VERSION >= 3
# API tokens: the key file the new side's APIs verify with, and the
# admin token every request of the hooks and the load carries.
KEY_FILE = WORKDIR / "etc" / "api-token-keys"
TOKEN_FILE = WORKDIR / "etc" / "admin-token"
# A member of another project: it must see none of the job's servers.
OTHER_TOKEN_FILE = WORKDIR / "etc" / "other-token"
TOKEN_CONFIG = WORKDIR / "etc" / "tokens.toml"
TOKEN_LIFETIME = "12h"  # longer than any run of the job
# The RPC signing key of the new side's services.
SIGNING_KEY_FILE = WORKDIR / "etc" / "rpc-signing-key"
# HAProxy's admin socket (compute_lb.py drains the APIs through it).
LB_SOCKET = WORKDIR / "haproxy.sock"
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
    stats socket {socket} mode 600 level admin

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
    option httpchk
    http-check send meth GET uri /flavors hdr X-Auth-Token {token}
    # A busy API answers a check late, not never: three checks of up to
    # 2 s each fail before it leaves rotation (one late answer took the
    # last API out while the other was being upgraded).  Restarts drain
    # an API first (compute_lb.py), so none of this delays them.
    timeout check 2s
    default-server inter 200ms fall 3 rise 2
{backends}
"""


def call(
    method: str,
    path: str,
    body: object = None,
    base: str = API,
    token: str | None = None,
    workdir: Path = WORKDIR,
) -> tuple[int, object]:
    """``method path`` through HAProxy.  A GET whose connection breaks
    before its whole answer arrived (an API process killed as it
    answered) is sent once more, as HTTP lets a client repeat an
    idempotent request (RFC 9110, 9.2.2); each such retry is written to
    ``load-retries.jsonl`` in the work directory, so the job can count
    them."""
    try:
        return _call(method, path, body, base, token)
    except (http.client.HTTPException, ConnectionError) as err:
        if method != "GET":
            raise
        note_retry(workdir, method, path, repr(err))
        return _call(method, path, body, base, token)


def note_retry(workdir: Path, method: str, path: str, error: str) -> None:
    """A request sent again (or found applied) after the API process
    died with it: one line of ``load-retries.jsonl``."""
    with (workdir / "load-retries.jsonl").open("a") as out:
        line = {"at": time.time(), "method": method, "path": path}
        out.write(json.dumps(line | {"error": error}) + "\n")


def _call(
    method: str, path: str, body: object, base: str, token: str | None
) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    token = admin_token() if token is None else token
    if token:  # "" sends none
        request.add_header("X-Auth-Token", token)
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


def signing_key() -> str:
    """The RPC signing key of the new side's services (made once)."""
    if not SIGNING_KEY_FILE.exists():
        write_private(SIGNING_KEY_FILE, secrets.token_hex(32))
    return SIGNING_KEY_FILE.read_text().strip()


def admin_token(path: Path = TOKEN_FILE) -> str:
    """The admin token ``setup`` made."""
    return path.read_text().strip()


def setup() -> None:
    """A key file, every service's file for each side, tokens, and
    HAProxy's file."""
    run_zerodown("compute", "token", "add-key", str(KEY_FILE))
    for side in ("old", "new"):
        etc = WORKDIR / "etc" / side
        etc.mkdir(parents=True, exist_ok=True)
        for name in SERVICES:
            write_private(
                etc / f"{name}.toml", toml(service_settings(name, side))
            )
    # What `zerodown compute token create` reads: an API's file with the
    # key (a new side without tokens has none of its own).
    write_private(
        TOKEN_CONFIG,
        toml(service_settings("api-1", "tokens") | {"rpc_signing": "off"}),
    )
    write_private(TOKEN_FILE, make_token("grenade", "grenade-admin", "admin"))
    write_private(
        OTHER_TOKEN_FILE, make_token("grenade-other", "intruder", "member")
    )
    write_private(
        WORKDIR / "etc" / "haproxy.cfg",
        HAPROXY.format(
            port=API.rsplit(":", 1)[1],
            backends="\n".join(
                f"    server {n} 127.0.0.1:{api_port(n)} check"
                for n in SERVICES
                if n.startswith("api-")
            ),
            socket=LB_SOCKET,
            token=make_token("grenade-lb", "haproxy", "member"),
        ),
    )


SERVICES = (
    "conductor",
    "scheduler",
    "api-1",
    "api-2",
    "compute-1",
    "compute-2",
)
PCI_ALIAS = {"name": "nic", "vendor_id": "8086", "product_id": "154d"}


def api_port(name: str) -> int:
    """Two API processes behind HAProxy, restarted one at a time: a
    request that finds one gone is retried on the other."""
    return int(API.rsplit(":", 1)[1]) + int(name.rsplit("-", 1)[1])


def service_settings(name: str, side: str) -> dict:
    """What the file of service ``name`` says on ``side`` (old or new;
    ``tokens``: the API file token creation reads): everything a release
    reads, and only what it knows."""
    values: dict = {
        "host": name,
        "transport_url": BROKER,
        "topic_prefix": PREFIX,
        "service": {
            "heartbeat_interval": 1.0,
            "down_after": 6.0,
            "report_interval": 1.0,
        },
    }
    if name.startswith("compute-"):  # computes have no database
        values["compute"] = {
            "driver": "fake",
            "ram_allocation_ratio": 1.0,
            "driver_options": {"cpu_dedicated_set": "2-3,10-11,6-7,14-15"},
        }
    else:
        values["database_url"] = DB
    secure = side == "new" and NEW_SIGNS
    if name.startswith("api-"):
        values["api"] = {"listen": f"127.0.0.1:{api_port(name)}"}
        if secure or side == "tokens":
            values["api"] |= {"auth": "token", "token_key_file": str(KEY_FILE)}
    if secure:
        # The old release sends unsigned messages: the new side signs its own,
        # checks every signature it is given and accepts the unsigned
        # ones, counted, while both releases run.
        values |= {
            "rpc_signing": "permissive",
            "rpc_signing_keys": [signing_key()],
            "state_path": str(WORKDIR / "state" / name),
        }
    values["pci"] = {"alias": [PCI_ALIAS]}
    return values


def toml(values: dict, table: str = "") -> str:
    """``values`` as TOML: its scalars and arrays of scalars, then its
    tables and arrays of tables under their dotted names (all this job's
    files need; a JSON string, number, boolean or array of them is a TOML
    one)."""
    lines = [f"[{table}]"] if table else []
    later = []
    for key, value in values.items():
        name = f"{table}.{key}" if table else key
        if isinstance(value, dict):
            later.append(toml(value, name))
        elif isinstance(value, list) and all(
            isinstance(v, dict) for v in value
        ):
            later += [
                toml(item, name).replace(f"[{name}]", f"[[{name}]]", 1)
                for item in value
            ]
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n" + "".join(f"\n{t}" for t in later)


def make_token(project: str, user: str, role: str) -> str:
    """A token for the new side's APIs (signed with the key file)."""
    done = run_zerodown(
        "compute",
        "token",
        "create",
        "--config",
        str(TOKEN_CONFIG),
        "--project",
        project,
        "--user",
        user,
        "--role",
        role,
        "--expires",
        TOKEN_LIFETIME,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def write_private(path: Path, text: str) -> None:
    """A file only its owner may read (it holds a token)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write(text if text.endswith("\n") else text + "\n")


def run_zerodown(*args: str, **kwargs: object) -> subprocess.CompletedProcess:
    """The harness's own ``zerodown`` (this checkout): the setup hook
    runs on the old side, whose release has no tokens to make."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "zerodown", *args],
        env=env,
        # Not the side's worktree (where hooks run): `python -m` would
        # import the zerodown found there, the old release's.
        cwd=WORKDIR,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )
    if done.returncode:
        sys.exit(
            f"zerodown {' '.join(args[:3])} exited with {done.returncode}: "
            f"{done.stderr or ''}"
        )
    return done


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
            "POST",
            "/servers",
            {
                "server": {
                    "name": name,
                    "flavorRef": flavor,
                    "imageRef": f"image-of-{name}",
                }
            },
        )
        ids.append(server["server"]["id"])  # type: ignore[index]
    servers = [wait_active(i) for i in ids]
    STATE.write_text(
        json.dumps(
            {
                "servers": {s["id"]: placement(s) for s in servers},
                "images": {s["id"]: f"image-of-{s['name']}" for s in servers},
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


def same(was: object, now: object) -> bool:
    """``now`` says everything ``was`` said (a newer API may add keys)."""
    if isinstance(was, dict) and isinstance(now, dict):
        return all(k in now and same(v, now[k]) for k, v in was.items())
    if isinstance(was, list) and isinstance(now, list):
        return len(was) == len(now) and all(map(same, was, now))
    return was == now


def verify() -> None:
    recorded = json.loads(STATE.read_text())
    for uuid, was in recorded["servers"].items():
        server = wait_active(uuid)
        now = placement(server)
        if not same(was, now):
            sys.exit(f"{uuid} moved or changed: {was} -> {now}")
        # Release 2 moved image_ref to instance_extra; release 1's API
        # does not show it.
        image = server.get("image")
        wanted = recorded["images"].get(uuid)
        if image is not None and (image or {}).get("id") != wanted:
            sys.exit(f"{uuid} image {image!r}, created with {wanted!r}")
    deadline = time.monotonic() + 20
    while not same(recorded["usage"], usage()):
        if time.monotonic() > deadline:
            sys.exit(f"host usage changed: {recorded['usage']} -> {usage()}")
        time.sleep(0.5)
    check = checks().PHASES.get(PHASE)
    if check is not None:
        check(recorded)


def checks() -> types.ModuleType:
    """The job's own checks: ``compute_from_<old release>.py`` beside this
    file (``[vars] old_release``)."""
    return importlib.import_module(f"compute_from_{OLD_RELEASE}")


def compute_versions() -> dict[str, int]:
    services = expect("GET", "/os-services")["services"]  # type: ignore[index]
    return {
        s["host"]: s["version"]
        for s in services
        if s["binary"] == "compute" and s["state"] == "up"
    }


def boot_mixed(recorded: dict, flavor: str, note: str, old: int) -> dict:
    """Boot ``mixed-1`` (``flavor``, described ``note``) in the mixed
    phase: it must land on a compute at service version ``old`` and keep
    its description through that compute's saves.  Recorded, so that
    ``verify`` checks it from now on and ``destroy`` deletes it."""
    versions = compute_versions()
    server = expect(
        "POST",
        "/servers",
        {
            "server": {
                "name": "mixed-1",
                "flavorRef": flavor,
                "imageRef": "image-of-mixed-1",
                "description": note,
            }
        },
    )
    uuid = server["server"]["id"]  # type: ignore[index]
    active = wait_active(uuid)
    if versions.get(active["host"]) != old:
        sys.exit(f"mixed-1 landed on {active['host']}, not an old compute")
    if active["description"] != note:
        sys.exit(f"the old compute lost the description: {active}")
    print(
        f"mixed-1 ACTIVE on old compute {active['host']}: {placement(active)}"
    )
    recorded["servers"][uuid] = placement(active)
    recorded["images"][uuid] = "image-of-mixed-1"
    recorded["mixed"] = uuid
    recorded["usage"] = usage()
    STATE.write_text(json.dumps(recorded, indent=2, sort_keys=True))
    return active


def all_new(recorded: dict, note: str) -> None:
    """The final phase: every compute at the new service version, and
    ``mixed-1`` still described ``note``."""
    versions = compute_versions()
    if set(versions.values()) != {SERVICE_VERSION}:
        sys.exit(
            f"expected only computes at service version {SERVICE_VERSION}, "
            f"found {versions}"
        )
    mixed = expect("GET", f"/servers/{recorded['mixed']}")["server"]  # type: ignore[index]
    if mixed["description"] != note:
        sys.exit(f"mixed-1 lost its description: {mixed}")


def zerodown(*args: str, **kwargs: object) -> subprocess.CompletedProcess:
    """The new release's ``zerodown`` on the job's database."""
    return subprocess.run(
        [sys.executable, "-m", "zerodown", *args],
        env={**os.environ, "PYTHONPATH": WORKTREE},
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def migrate() -> None:
    """``zerodown db migrate`` until it exits 0 (with ``kill-migrate``,
    after a SIGKILL in the middle)."""
    db = ["db", "-c", f"{WORKTREE}/alembic.ini", "--database-url", DB]
    if "kill-migrate" in FAULTS:
        from compute_faults import kill_migrate

        kill_migrate(db, checks().BACKFILL)
    for _ in range(100):
        code = zerodown(*db, "migrate").returncode
        if code == 0:
            return
        if code != 1:
            sys.exit(f"zerodown db migrate exited with {code}")
    sys.exit("zerodown db migrate did not finish in 100 runs")


def caps() -> None:
    """The computes' RPC cap rises by itself once all run the new code."""
    report = json.loads(Path(sys.argv[2]).read_text())
    # No cap (None) means the latest version: every peer is on this code.
    capped = {
        c["api"]: c["cap"]
        for c in report["caps"]
        if c["cap"] is not None or c["oldest_live"] != SERVICE_VERSION
    }
    print(f"caps: {report['caps']}")
    if capped or "compute" not in {c["api"] for c in report["caps"]}:
        sys.exit(f"RPC caps did not rise: {report['caps']}")
    # Running clients heard each compute's start announced and moved their
    # caps at once; the final phase's realtime boot depends on it.


def wait_gone(uuid: str) -> None:
    deadline = time.monotonic() + 60
    while call("GET", f"/servers/{uuid}")[0] != 404:
        if time.monotonic() > deadline:
            sys.exit(f"{uuid} was not deleted")
        time.sleep(0.2)


def destroy() -> None:
    recorded = json.loads(STATE.read_text())
    for uuid in recorded["servers"]:
        expect("DELETE", f"/servers/{uuid}")
    for uuid in recorded["servers"]:
        wait_gone(uuid)
    STATE.unlink()


if __name__ == "__main__":
    {
        "setup": setup,
        "smoke": smoke,
        "create": create,
        "verify": verify,
        "migrate": migrate,
        "caps": caps,
        "destroy": destroy,
        # The reconfigure phase's, for jobs whose checks switch a setting.
        "reconfigure": lambda: checks().reconfigure(),
        "reconfigured": lambda: checks().reconfigured(),
        "ids": lambda: checks().ids(),
        "fault": lambda: importlib.import_module("compute_faults").fault(
            sys.argv[2]
        ),
        "contracted": lambda: checks().contracted(),
    }[sys.argv[1]]()
