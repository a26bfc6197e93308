"""The HTTP API in-process on each database: every bad input gets a
clear 4xx, never a 500; good input reaches the RPC clients."""

from __future__ import annotations

import pytest
from api_harness import SMALL, Api

from zerodown.compute.api.request import MAX_BODY
from zerodown.compute.version import HISTORY
from zerodown.services import ServiceDirectory


@pytest.fixture
def api(zerodown_db, tmp_path):
    harness = Api(tmp_path, zerodown_db.url)

    def call(method, path, body=None, **kwargs):
        status, data, _ = harness.wsgi(method, path, body, **kwargs)
        return status, data

    call.conductor, call.compute, call.db = (
        harness.conductor,
        harness.compute,
        harness.db,
    )
    status, _ = call("POST", "/flavors", {"flavor": SMALL})
    assert status == 200
    yield call
    harness.close()


def test_a_boot_is_stored_and_handed_to_the_conductor(api):
    status, body = api(
        "POST", "/servers", {"server": {"name": "vm", "flavorRef": "small"}}
    )
    assert status == 202
    server = body["server"]
    assert (server["status"], server["task_state"]) == ("BUILD", "scheduling")
    ((name, ctx, (instance,)),) = api.conductor.calls
    assert name == "build_instances" and instance.uuid == server["id"]
    assert ctx.request_id.startswith("req-")
    status, listed = api("GET", "/servers/detail")
    assert [s["id"] for s in listed["servers"]] == [server["id"]]
    # Never scheduled: a delete removes the record at once.
    assert api("DELETE", f"/servers/{server['id']}")[0] == 204
    assert api("GET", f"/servers/{server['id']}")[0] == 404


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message"),
    [
        ("POST", "/servers", {"raw": b"{not json"}, 400, "malformed JSON"),
        ("POST", "/servers", {"raw": b"[1, 2]"}, 400, "invalid request"),
        ("POST", "/servers", {"raw": b""}, 400, "JSON body is required"),
        ("POST", "/servers", {"raw": b"\xff\xfe"}, 400, "malformed JSON"),
        ("POST", "/servers", {"raw": b"[" * 5000}, 400, "malformed JSON"),
        (
            "POST",
            "/servers",
            {"raw": b"x" * (MAX_BODY + 1)},
            413,
            "body over",
        ),
        (
            "POST",
            "/servers",
            {"body": {"server": {}}, "content_type": "text/plain"},
            415,
            "not JSON",
        ),
        (
            "POST",
            "/servers",
            {"body": {"server": {"name": "x"}}},
            400,
            "flavorRef",
        ),
        (
            "POST",
            "/servers",
            {"body": {"server": {"name": 3, "flavorRef": "small"}}},
            400,
            "server/name",
        ),
        (
            "POST",
            "/servers",
            {"body": {"server": {"name": "x", "flavorRef": "nope"}}},
            400,
            "flavor nope not found",
        ),
        (
            "POST",
            "/servers",
            {
                "body": {
                    "server": {
                        "name": "x",
                        "flavorRef": "small",
                        "image_properties": {"hw_numa_nodes": "lots"},
                    }
                }
            },
            400,
            "image properties",
        ),
        (
            "POST",
            "/servers",
            {
                "body": {
                    "server": {
                        "name": "x",
                        "flavorRef": "small",
                        "image_properties": {"hw_cpu_policy": "x"},
                    }
                }
            },
            400,
            "image properties",
        ),
        ("GET", "/nowhere", {}, 404, "no resource"),
        ("PATCH", "/servers", {}, 405, "not allowed"),
        (
            "GET",
            "/servers/4f1c0ffe-0000-0000-0000-000000000000",
            {},
            404,
            "not found",
        ),
        ("GET", "/os-hypervisors/abc", {}, 400, "not a number"),
        ("GET", "/os-hypervisors/42", {}, 404, "not found"),
        (
            "POST",
            "/flavors/small/os-extra_specs",
            {"body": {"extra_specs": {"hw:cpu_polcy": "dedicated"}}},
            400,
            "unknown hw: extra spec",
        ),
        (
            "POST",
            "/flavors/small/os-extra_specs",
            {"body": {"extra_specs": {"hw:numa_nodes": "3"}}},
            400,
            "numa",
        ),
        (
            "POST",
            "/flavors/small/os-extra_specs",
            {"body": {"extra_specs": {"pci_passthrough:alias": "gpu:1"}}},
            400,
            "not defined",
        ),
        (
            "POST",
            "/flavors",
            {
                "body": {
                    "flavor": {
                        "name": "small",
                        "vcpus": 1,
                        "ram": 1,
                        "disk": 1,
                    }
                }
            },
            409,
            "already exists",
        ),
        (
            "POST",
            "/flavors",
            {
                "body": {
                    "flavor": {"name": "z", "vcpus": 0, "ram": 1, "disk": 1}
                }
            },
            400,
            "vcpus",
        ),
    ],
)
def test_bad_input_gets_a_clear_4xx(
    api, method, path, kwargs, status, message
):
    got, body = api(method, path, **kwargs)
    assert got == status, body
    (error,) = body.values()
    assert error["code"] == status
    assert message.lower() in error["message"].lower(), error["message"]


def test_actions_check_the_state_and_their_body(api):
    _, body = api(
        "POST", "/servers", {"server": {"name": "vm", "flavorRef": "small"}}
    )
    uuid = body["server"]["id"]
    path = f"/servers/{uuid}/action"
    assert api("POST", path, {"pause": None})[0] == 409  # still building
    assert api("POST", path, {"explode": None})[0] == 400
    assert api("POST", path, {"pause": None, "unpause": None})[0] == 400
    assert api("POST", path, {"reboot": {"type": "GENTLE"}})[0] == 400
    assert api("POST", path, {"pause": {"now": True}})[0] == 400
    # Once active on a host, pause is cast to that host's compute.
    instance = api.db.get_instance(uuid)
    instance.vm_state, instance.task_state = "active", None
    instance.host = "compute-1"
    api.db.save_instance(instance)
    assert api("POST", path, {"pause": None})[0] == 202
    ((name, _, (cast,)),) = api.compute.calls
    assert (name, cast.task_state, cast.host) == (
        "pause_instance",
        "pausing",
        "compute-1",
    )
    # A second action while the first runs is a conflict.
    assert api("POST", path, {"unpause": None})[0] == 409
    assert api("DELETE", f"/servers/{uuid}")[0] == 204
    assert api.compute.calls[-1][0] == "terminate_instance"


# -- release 2 ---------------------------------------------------------------

REALTIME = {
    "hw:cpu_policy": "dedicated",
    "hw:cpu_realtime": "yes",
    "hw:cpu_realtime_mask": "^0",
}


def _realtime_flavor(api):
    flavor = {"name": "rt", "id": "rt", "vcpus": 2, "ram": 512, "disk": 1}
    assert api("POST", "/flavors", {"flavor": flavor})[0] == 200
    status, _ = api(
        "POST", "/flavors/rt/os-extra_specs", {"extra_specs": REALTIME}
    )
    assert status == 200


def _computes_at(api, *versions):
    directory = ServiceDirectory(api.db.engine, HISTORY)
    for index, version in enumerate(versions):
        directory.register(
            f"compute-{index}", "compute", version=version, check=False
        )


@pytest.mark.parametrize(("versions", "oldest"), [((), "none"), ((2, 1), "1")])
def test_realtime_waits_for_every_compute_at_release_2(api, versions, oldest):
    _realtime_flavor(api)
    _computes_at(api, *versions)
    status, body = api(
        "POST", "/servers", {"server": {"name": "rt", "flavorRef": "rt"}}
    )
    assert status == 409
    assert body["conflictingRequest"]["message"] == (
        "hw:cpu_realtime needs every compute service at version 2 or "
        f"newer; the oldest running one is at {oldest}"
    )
    assert api.conductor.calls == []
    assert api("GET", "/servers/detail")[1]["servers"] == []
    # A guest without realtime vCPUs is not held back.
    status, _ = api(
        "POST", "/servers", {"server": {"name": "vm", "flavorRef": "small"}}
    )
    assert status == 202


def test_realtime_boots_once_every_compute_is_at_release_2(api):
    _realtime_flavor(api)
    _computes_at(api, 2, 2)
    status, body = api(
        "POST", "/servers", {"server": {"name": "rt", "flavorRef": "rt"}}
    )
    assert status == 202, body
    instance = api.db.get_instance(body["server"]["id"])
    (cell,) = instance.numa_topology.cells
    assert (cell.pcpuset, cell.cpuset_realtime) == ({0, 1}, {1})


def test_description_and_image_are_stored_and_shown(api):
    status, body = api(
        "POST",
        "/servers",
        {
            "server": {
                "name": "vm",
                "flavorRef": "small",
                "imageRef": "cirros-0.6",
                "description": "a described guest",
            }
        },
    )
    assert status == 202
    server = api("GET", f"/servers/{body['server']['id']}")[1]["server"]
    assert server["description"] == "a described guest"
    assert server["image"] == {"id": "cirros-0.6"}
    stored = api.db.get_instance(server["id"])
    assert (stored.description, stored.image_ref) == (
        "a described guest",
        "cirros-0.6",
    )
    long = {"name": "vm", "flavorRef": "small", "description": "x" * 256}
    status, body = api("POST", "/servers", {"server": long})
    assert status == 400 and "description" in str(body)
