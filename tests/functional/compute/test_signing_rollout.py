"""A live deployment moves from unsigned messages to required signatures.

Every service starts with ``rpc_signing = "off"``.  Each is restarted in
turn with a key and ``permissive`` (it signs, checks what is signed and
accepts what is not), then each again with ``required``; a guest boots
and is deleted after every restart, so each mix of modes serves a whole
build.  At the end ``zerodown status`` shows every service at
``required``, and an unsigned cast forged on the broker is refused and
counted, its target untouched.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from zerodown.cli import main
from zerodown.compute.deployment import ComputeHost, Deployment
from zerodown.compute.objects import REGISTRY, Instance
from zerodown.objects.serializer import ObjectSerializer
from zerodown.rpc import Protocol, Signing, get_transport
from zerodown.rpc.protocol import Request
from zerodown.rpc.signing import generate_key
from zerodown.rpc.transport import Address
from zerodown.testing.waiting import eventually

ROOT = Path(__file__).resolve().parents[3]
HOSTS = tuple(
    ComputeHost(name, "fake", {}, ram_allocation_ratio=1.0)
    for name in ("compute-1", "compute-2")
)
ORDER = (
    "conductor",
    "scheduler",
    "scheduler-2",
    "compute-1",
    "compute-2",
    "api",
)


@pytest.fixture
def stack(tmp_path):
    deployment = Deployment(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/compute.db",
        transport_url=f"embedded://{tmp_path}/broker.db",
        computes=HOSTS,
        topic_prefix=f"zdt-{uuid.uuid4().hex[:8]}-",
        signing_keys=(),
        rpc_signing="off",
        heartbeat_interval=0.5,
        report_interval=0.5,
        down_after=5.0,
    )
    with deployment.running():
        deployment.api.create_flavor("small", 1, 256, 1, flavorid="small")
        yield deployment


def _a_guest_lives(stack, name):
    api = stack.api
    server = api.create_server(name, "small")
    active = api.wait_for_status(server["id"], "ACTIVE", timeout=60)
    assert active["status"] == "ACTIVE", active
    api.delete_server(server["id"])
    assert api.wait_for_deleted(server["id"], timeout=60)
    return active


def _status(stack):
    result = CliRunner().invoke(
        main,
        [
            "status",
            "-c",
            str(ROOT / "alembic.ini"),
            "--database-url",
            stack.database_url,
            "--history",
            "zerodown.compute.version:HISTORY",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    return {s["host"]: s for s in json.loads(result.output)["services"]}


def _modes_up(stack):
    return {
        s["rpc_signing"] for s in _status(stack).values() if s["state"] == "up"
    }


@pytest.mark.slow
def test_a_live_fleet_moves_from_off_to_required(stack):
    _a_guest_lives(stack, "before")
    key = generate_key()
    for mode in ("permissive", "required"):
        for name in ORDER:
            stack.restart(name, rpc_signing=mode, rpc_signing_keys=[key])
            _a_guest_lives(stack, f"{mode}-{name}")
    eventually(
        lambda: _modes_up(stack) == {"required"},
        timeout=20,
        interval=0.2,
        message=lambda: f"signing modes up: {_modes_up(stack)}",
    )
    guest = stack.api.create_server("target", "small")
    guest = stack.api.wait_for_status(guest["id"], "ACTIVE", timeout=60)
    before = _status(stack)["conductor"]["rpc_refused"]
    # Well formed: without its signature check, the conductor would
    # delete the record while the guest keeps running.
    victim = ObjectSerializer(REGISTRY).serialize_entity(
        None, Instance(uuid=guest["id"])
    )
    forged = Protocol(Signing.off()).request(
        Request(
            "instance_destroy",
            "1.0",
            {"instance": victim},
            {"request_id": "req-forged"},
        ),
        Address(f"{stack.topic_prefix}conductor"),
    )
    transport = get_transport(stack.transport_url)
    try:
        transport.publish(Address(f"{stack.topic_prefix}conductor"), forged)
    finally:
        transport.close()
    eventually(
        lambda: _status(stack)["conductor"]["rpc_refused"] == before + 1,
        timeout=20,
        interval=0.2,
        message="the conductor did not count the forged call refused",
    )
    assert stack.api.get_server(guest["id"])["status"] == "ACTIVE"
