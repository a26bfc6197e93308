"""The release 2 -> this checkout job's own checks (grenade/compute-r2.toml).

Release 2 sends unsigned messages and its API has no authentication;
this release signs (``rpc_signing``), requires tokens, and widens
``instances.id`` (the table the load writes most: every step of a
server's life updates its row) from 32 to 64 bits in place.

* mixed (new control plane, every compute still on release 2): the new
  APIs answer 401 to a request without a token and 404 to another
  project's token for a server it does not own; the new services are
  permissive and count the old computes' unsigned messages; a described
  realtime guest boots on an old compute (release 2 runs realtime vCPUs).
* reconfigure (every service new): each service's file moves from
  ``permissive`` to ``required``, one service at a time (the harness
  restarts it); ``reconfigured`` then requires every running service at
  ``required`` and sends a well-formed unsigned ``instance_destroy`` cast
  to the conductor, as an attacker with the broker's login would: it is
  refused and counted, and its instance is untouched.
* contract: ``ids`` records every instance's id and row before the swap,
  ``contracted`` finds each again after it, with the same id, and the
  key 64 bits wide.
* final: every compute at this release's service version, every running
  service at ``required``, and the mixed guest's description kept.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING

from compute_faults import FAULTS, kill_service
from compute_hooks import (
    DB,
    OTHER_TOKEN_FILE,
    PREFIX,
    STATE,
    WORKDIR,
    WORKTREE,
    admin_token,
    all_new,
    boot_mixed,
    call,
    compute_versions,
    expect,
    placement,
    service_settings,
    toml,
    wait_active,
    write_private,
    zerodown,
)

if TYPE_CHECKING:  # the checks that read the database import it then
    import sqlalchemy as sa

#: The data migration ``kill-migrate`` interrupts: the copy of the old
#: rows into the widened key's shadow.
BACKFILL = "widen_primary_key:instances.id"
MIXED_NOTE = "booted on a release-2 compute beside a new control plane"
REALTIME = {
    "hw:cpu_policy": "dedicated",
    "hw:cpu_realtime": "yes",
    "hw:cpu_realtime_mask": "^0",
}
IDS_FILE = WORKDIR / "instances-before-contract.json"


def mixed(recorded: dict) -> None:
    """New control plane, old computes: tokens are checked, unsigned
    messages counted, and an old compute builds a realtime guest."""
    # RabbitMQ restarts in the roll (compute_faults.fault): release 2's
    # computes have no confirmed casts, and one in flight when the broker
    # stops is lost (a build left in spawning, in a first fault run).
    if "kill-api" in FAULTS:
        kill_service("api-1")
    versions = compute_versions()
    if set(versions.values()) != {2}:
        sys.exit(f"expected only release-2 computes, found {versions}")
    authentication(next(iter(recorded["servers"])))
    modes = signing_modes()
    control = {
        k: v for k, v in modes.items() if not k[1].startswith("compute")
    }
    if {m["rpc_signing"] for m in control.values()} != {"permissive"}:
        sys.exit(f"the new control plane is not permissive: {modes}")
    print(
        "signing while computes are old: "
        + ", ".join(
            f"{host} {m['rpc_signing']} ({m['rpc_unsigned']} unsigned in)"
            for (_, host), m in sorted(modes.items())
        )
    )
    flavor("grenade.realtime", 2, REALTIME)
    active = boot_mixed(recorded, "grenade.realtime", MIXED_NOTE, old=2)
    realtime = realtime_vcpus(active)
    if realtime != [1]:
        sys.exit(f"mixed-1 should have vCPU 1 realtime: {realtime}")
    # The unsigned counts come with heartbeats: the conductor has taken
    # the old computes' unsigned calls by now.
    wait_for(
        lambda: (
            (signing_modes()[("conductor", "conductor")]["rpc_unsigned"] or 0)
            > 0
        ),
        "the conductor counted no unsigned message from the old computes",
    )


def authentication(uuid: str) -> None:
    """401 without a token, 404 for another project's server: both JSON
    with a message."""
    status, body = call("GET", "/servers/detail", token="")
    if status != 401 or "message" not in str(body):
        sys.exit(f"a request without a token got {status} {body}")
    other = admin_token(OTHER_TOKEN_FILE)
    status, body = call("GET", f"/servers/{uuid}", token=other)
    if status != 404:
        sys.exit(f"another project's token read {uuid}: {status} {body}")
    status, body = call("GET", "/servers/detail", token=other)
    if status != 200 or uuid in str(body):
        sys.exit(f"another project listed {uuid}: {status} {body}")
    print(f"no token: 401; another project's token: 404 for {uuid}")


def final(recorded: dict) -> None:
    """Everything new and contracted: the fleet at this release, every
    service requires signatures, the mixed guest kept its description."""
    all_new(recorded, MIXED_NOTE)
    required()


def reconfigure() -> None:
    """Rewrite ``$GRENADE_SERVICE``'s file with ``required`` (the
    harness restarts it next)."""
    name = os.environ["GRENADE_SERVICE"]
    path = WORKDIR / "etc" / "new" / f"{name}.toml"
    settings = service_settings(name, "new")
    settings["rpc_signing"] = "required"
    write_private(path, toml(settings))
    print(f'{name}: rpc_signing = "required"')


def reconfigured() -> None:
    """Every service requires signatures: a forged unsigned cast is
    refused and counted, and its instance is untouched."""
    required()
    recorded = json.loads(STATE.read_text())
    uuid = recorded["mixed"]
    before = signing_modes()[("conductor", "conductor")]["rpc_refused"] or 0
    forge_destroy(uuid)
    wait_for(
        lambda: (
            (signing_modes()[("conductor", "conductor")]["rpc_refused"] or 0)
            > before
        ),
        "the conductor did not count the forged cast refused",
    )
    server = wait_active(uuid)
    if placement(server) != recorded["servers"][uuid]:
        sys.exit(f"the forged cast changed {uuid}: {server}")
    print(f"a forged unsigned instance_destroy of {uuid}: refused, counted")


def forge_destroy(uuid: str) -> None:
    """A well-formed unsigned ``instance_destroy`` cast to the conductor,
    published with the broker's login alone."""
    from zerodown.compute.objects import REGISTRY, Instance
    from zerodown.objects.serializer import ObjectSerializer
    from zerodown.rpc import Protocol, Signing, get_transport
    from zerodown.rpc.protocol import Request
    from zerodown.rpc.transport import Address

    address = Address(f"{PREFIX}conductor")
    victim = ObjectSerializer(REGISTRY).serialize_entity(
        None, Instance(uuid=uuid)
    )
    message = Protocol(Signing.off()).request(
        Request("instance_destroy", "1.0", {"instance": victim}, {}),
        address,
    )
    transport = get_transport(os.environ["GRENADE_VAR_TRANSPORT_URL"])
    try:
        transport.publish(address, message)
    finally:
        transport.close()


def required() -> None:
    modes = signing_modes()
    wrong = {
        k: m["rpc_signing"]
        for k, m in modes.items()
        if m["rpc_signing"] != "required"
    }
    if wrong:
        sys.exit(f"services not at rpc_signing = required: {wrong}")
    print(f"every running service requires signatures: {sorted(modes)}")


def signing_modes() -> dict[tuple[str, str], dict]:
    """(binary, host) -> what ``zerodown status`` says of its signing,
    for every service up."""
    done = zerodown(
        "status",
        "-c",
        f"{WORKTREE}/alembic.ini",
        "--database-url",
        DB,
        "--history",
        "zerodown.compute.version:HISTORY",
        "--format",
        "json",
        capture_output=True,
        text=True,
    )
    services = json.loads(done.stdout)["services"]
    return {
        (s["binary"], s["host"]): s for s in services if s["state"] == "up"
    }


def ids() -> None:
    """Every instance row, before contract swaps the widened key in."""
    with engine().connect() as conn:
        found = instance_rows(conn)
    IDS_FILE.write_text(json.dumps(found))
    print(f"{len(found)} instance rows recorded before contract")


def contracted() -> None:
    """Every row recorded before the swap is there with its id (a
    deleted one, which nothing writes any more, with every value), and
    the key is 64 bits wide."""
    was = json.loads(IDS_FILE.read_text())
    with engine().connect() as conn:
        now = instance_rows(conn)
        # PostgreSQL's swap leaves the widened id last.
        kind = next(
            c
            for c in _sa().inspect(conn).get_columns("instances")
            if c["name"] == "id"
        )
    lost = [
        i
        for i, row in was.items()
        if now.get(i, {}).get("uuid") != row["uuid"]
    ]
    if lost:
        sys.exit(f"instance rows lost or moved by contract: {lost[:10]}")
    changed = [
        i
        for i, row in was.items()
        if row["deleted"] in ("True", "1") and now[i] != row
    ]
    if changed:
        sys.exit(f"deleted rows changed by contract: {changed[:10]}")
    if kind["name"] != "id" or not wide(kind["type"]):
        sys.exit(f"instances.id is {kind['type']!r} after contract")
    print(
        f"{len(was)} rows kept with their ids after contract; "
        f"instances.id is {kind['type']!r}"
    )


def instance_rows(conn: sa.Connection) -> dict[str, dict[str, str]]:
    """id -> the row's values as text, without zerodown's shadow."""
    rows = conn.execute(_sa().text("SELECT * FROM instances")).mappings()
    return {
        str(r["id"]): {
            k: str(v) for k, v in r.items() if not k.startswith("zd_")
        }
        for r in rows
    }


def wide(kind: sa.types.TypeEngine) -> bool:
    """64 bits: BIGINT, or SQLite's INTEGER PRIMARY KEY (the rowid)."""
    return isinstance(kind, _sa().BigInteger) or DB.startswith("sqlite")


def engine() -> sa.Engine:
    return _sa().create_engine(DB)


def _sa():
    """SQLAlchemy, imported by the checks that read the database only
    (half a second of CPU a hook, under the job's load)."""
    import sqlalchemy

    return sqlalchemy


def flavor(name: str, vcpus: int, specs: dict) -> None:
    body = {"name": name, "id": name, "vcpus": vcpus, "ram": 512, "disk": 1}
    expect("POST", "/flavors", {"flavor": body})
    expect("POST", f"/flavors/{name}/os-extra_specs", {"extra_specs": specs})


def realtime_vcpus(server: dict) -> list[int]:
    cells = server["zerodown:numa"]["cells"]
    return sorted(v for c in cells for v in c["realtime_vcpus"])


def wait_for(test, message: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            sys.exit(message)
        time.sleep(0.5)


PHASES = {"mixed": mixed, "final": final}
