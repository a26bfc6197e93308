"""Compute API 2.1 as OpenStack's clients speak it, on each database:
the version documents, microversion negotiation, the ``/v2.1`` prefix
and the bodies novaclient sends.  The clients themselves run against a
deployment in ``tests/functional/compute/test_openstack_clients.py``."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from api_harness import SMALL, TOKENS, Api, message

from zerodown.compute.api.microversion import MAX_VERSION, MIN_VERSION
from zerodown.compute.version import HISTORY
from zerodown.services import ServiceDirectory
from zerodown.testing.backends import fresh_database, start_backend

MAX = f"{MAX_VERSION[0]}.{MAX_VERSION[1]}"
MIN = f"{MIN_VERSION[0]}.{MIN_VERSION[1]}"
# What novaclient 18 sends for ``nova.flavors.create("f", 256, 1, 1)``.
NOVACLIENT_FLAVOR = {
    "name": "nc",
    "ram": 256,
    "vcpus": 1,
    "disk": 1,
    "id": None,
    "swap": 0,
    "OS-FLV-EXT-DATA:ephemeral": 0,
    "rxtx_factor": 1.0,
    "os-flavor-access:is_public": True,
}
# ... and for ``nova.servers.create("vm", image="img", flavor="small")``.
NOVACLIENT_SERVER = {
    "name": "vm",
    "imageRef": "img-1",
    "flavorRef": "small",
    "min_count": 1,
    "max_count": 1,
}


def _harness(workdir, url) -> Api:
    harness = Api(workdir, url)
    status, _, _ = harness.wsgi("POST", "/flavors", {"flavor": SMALL})
    assert status == 200
    return harness


@pytest.fixture(scope="module")
def proto(tmp_path_factory) -> Iterator[Api]:
    """Negotiation and documents, which read no more than a flavor: one
    SQLite database for the module."""
    workdir = tmp_path_factory.mktemp("versions")
    harness = _harness(workdir, f"sqlite:///{workdir}/api.db")
    yield harness
    harness.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def api(request, tmp_path_factory) -> Iterator[Api]:
    """The bodies clients send, stored on each database (one a module:
    tests use names of their own)."""
    workdir = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        harness = _harness(workdir, f"sqlite:///{workdir}/api.db")
        yield harness
        harness.close()
        return
    backend = start_backend(request.param, os.environ)
    with fresh_database(backend) as database:
        harness = _harness(workdir, database.url)
        yield harness
        harness.close()


def _versioned(version: str | None, legacy: bool = False) -> dict[str, str]:
    if version is None:
        return {}
    if legacy:
        return {"HTTP_X_OPENSTACK_NOVA_API_VERSION": version}
    return {"HTTP_OPENSTACK_API_VERSION": f"compute {version}"}


def test_the_root_lists_v2_1_with_its_range_and_needs_no_token(proto):
    env = {"HTTP_HOST": "compute.example:8774"}
    status, body, headers = proto.wsgi("GET", "/", token=None, environ=env)
    assert status == 200
    (version,) = body["versions"]
    assert version["id"] == "v2.1" and version["status"] == "CURRENT"
    assert (version["min_version"], version["version"]) == (MIN, MAX)
    assert version["links"] == [
        {"rel": "self", "href": "http://compute.example:8774/v2.1/"}
    ]
    # Nova's root is not versioned: no microversion headers.
    assert "OpenStack-API-Version" not in headers


@pytest.mark.parametrize("path", ["/v2.1", "/v2.1/"])
def test_v2_1_describes_itself_and_needs_no_token(proto, path):
    status, body, headers = proto.wsgi("GET", path, token=None)
    assert status == 200
    document = body["version"]
    assert (document["id"], document["version"]) == ("v2.1", MAX)
    assert document["media-types"][0]["base"] == "application/json"
    assert headers["OpenStack-API-Version"] == f"compute {MIN}"


def test_a_hostile_host_header_is_not_echoed(proto):
    env = {
        "HTTP_HOST": 'evil"/><script>',
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8774",
    }
    body = proto.wsgi("GET", "/", token=None, environ=env)[1]
    assert body["versions"][0]["links"][0]["href"] == (
        "http://127.0.0.1:8774/v2.1/"
    )


@pytest.mark.parametrize(
    ("sent", "legacy", "given"),
    [
        (None, False, MIN),
        ("2.1", False, "2.1"),
        ("2.19", False, "2.19"),
        (MAX, False, MAX),
        ("latest", False, MAX),
        ("2.30", True, "2.30"),
        ("LATEST", True, MAX),
    ],
)
def test_microversions_are_answered_in_both_headers(
    proto, sent, legacy, given
):
    env = _versioned(sent, legacy)
    status, _, headers = proto.wsgi("GET", "/v2.1/flavors", environ=env)
    assert status == 200
    assert headers["OpenStack-API-Version"] == f"compute {given}"
    assert headers["X-OpenStack-Nova-API-Version"] == given
    assert "OpenStack-API-Version" in headers["Vary"]


def test_the_service_header_wins_and_names_its_service(proto):
    env = {
        "HTTP_OPENSTACK_API_VERSION": "volume 3.5, compute 2.10",
        "HTTP_X_OPENSTACK_NOVA_API_VERSION": "2.3",
    }
    headers = proto.wsgi("GET", "/flavors", environ=env)[2]
    assert headers["X-OpenStack-Nova-API-Version"] == "2.10"
    # Another service's version alone: the legacy header, then 2.1.
    env = {"HTTP_OPENSTACK_API_VERSION": "volume 3.5"}
    headers = proto.wsgi("GET", "/flavors", environ=env)[2]
    assert headers["X-OpenStack-Nova-API-Version"] == MIN


@pytest.mark.parametrize(
    ("sent", "status", "text"),
    [
        ("2.0", 406, f"minimum is {MIN} and maximum is {MAX}"),
        ("2.48", 406, "2.48 is not supported"),
        ("3.0", 406, "not supported"),
        ("2", 400, "invalid format"),
        ("2.x", 400, "invalid format"),
        ("2.01", 400, "invalid format"),
        ("9" * 50, 400, "invalid format"),
    ],
)
def test_a_version_outside_the_range_is_refused(proto, sent, status, text):
    got, body, _ = proto.wsgi("GET", "/v2.1/servers", environ=_versioned(sent))
    assert got == status and text in message(body), body


def test_versions_are_negotiated_only_for_who_has_a_token(proto):
    env = _versioned("9.9")
    status, _, _ = proto.wsgi("GET", "/v2.1/servers", token=None, environ=env)
    assert status == 401


def test_every_route_is_served_under_v2_1_with_the_same_rules(proto):
    assert proto.wsgi("GET", "/v2.1/flavors/small")[1]["flavor"]["id"] == (
        "small"
    )
    # The token is required under the prefix as at the root.
    assert proto.wsgi("GET", "/v2.1/flavors", token=None)[0] == 401
    member = TOKENS["member"]
    refused = proto.wsgi("GET", "/v2.1/os-services", token=member)
    assert refused[0] == 403
    assert proto.wsgi("GET", "/v2.1/v2.1/flavors")[0] == 404


def test_novaclients_flavor_body_gets_a_generated_id(api):
    status, body, _ = api.wsgi(
        "POST", "/v2.1/flavors", {"flavor": NOVACLIENT_FLAVOR}
    )
    assert status == 200, body
    flavor = body["flavor"]
    assert len(flavor["id"]) == 36 and flavor["name"] == "nc"
    assert flavor["os-flavor-access:is_public"] is True
    assert (flavor["OS-FLV-EXT-DATA:ephemeral"], flavor["swap"]) == (0, "")


def test_ephemeral_and_swap_are_kept(api):
    data = {**NOVACLIENT_FLAVOR, "id": "eph", "name": "eph", "swap": 512}
    data["OS-FLV-EXT-DATA:ephemeral"] = 5
    assert api.wsgi("POST", "/flavors", {"flavor": data})[0] == 200
    flavor = api.wsgi("GET", "/flavors/eph")[1]["flavor"]
    assert (flavor["OS-FLV-EXT-DATA:ephemeral"], flavor["swap"]) == (5, 512)


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"os-flavor-access:is_public": False}, "can only be public"),
        ({"rxtx_factor": 2.0}, "rxtx_factor can only be 1.0"),
        ({"swap": -1}, "minimum"),
        ({"OS-FLV-EXT-DATA:ephemeral": 2**31}, "maximum"),
        ({"id": ""}, "a flavor id is 1 to 255"),
        ({"id": 5}, "is not of type"),
    ],
)
def test_flavor_values_this_stack_cannot_keep_are_refused(api, change, text):
    body = {"flavor": {**NOVACLIENT_FLAVOR, **change}}
    status, answer, _ = api.wsgi("POST", "/flavors", body)
    assert status == 400 and text in message(answer), answer


def _create(api, server, version=None):
    env = _versioned(version)
    return api.wsgi("POST", "/v2.1/servers", {"server": server}, environ=env)


def test_novaclients_server_body_boots_one_server(api):
    status, body, _ = _create(api, NOVACLIENT_SERVER)
    assert status == 202, body
    assert body["server"]["image"] == {"id": "img-1"}
    assert [c[0] for c in api.conductor.calls[-1:]] == ["build_instances"]
    assert api.conductor.calls[-1][2][0].uuid == body["server"]["id"]


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"min_count": 2, "max_count": 2}, "one server a request"),
        ({"max_count": 3}, "max_count can only be 1"),
        ({"min_count": True}, "min_count can only be 1"),
        ({"networks": "auto"}, "no network service"),
        ({"networks": [{"uuid": "x"}]}, "no network service"),
    ],
)
def test_server_bodies_asking_what_is_not_there_are_refused(api, change, text):
    before = len(api.conductor.calls)
    status, answer, _ = _create(api, {**NOVACLIENT_SERVER, **change})
    assert status == 400 and text in message(answer), answer
    assert len(api.conductor.calls) == before


def test_a_servers_flavor_is_a_reference_before_2_47(api):
    server = {**NOVACLIENT_SERVER, "networks": "none"}
    created = _create(api, server, MAX)[1]["server"]
    assert created["flavor"]["original_name"] == "small"
    path = f"/v2.1/servers/{created['id']}"
    for version in (None, "2.46"):
        shown = api.wsgi("GET", path, environ=_versioned(version))[1]
        assert shown["server"]["flavor"] == {"id": "small", "links": []}
    shown = api.wsgi("GET", path, environ=_versioned(MAX))[1]["server"]
    assert shown["flavor"] == {
        "original_name": "small",
        "vcpus": 1,
        "ram": 512,
        "disk": 1,
        "ephemeral": 0,
        "swap": 0,
        "extra_specs": {},
    }
    assert shown["addresses"] == {}
    assert shown["OS-EXT-STS:vm_state"] == shown["vm_state"]


def test_services_have_stable_ids_and_zones(api):
    directory = ServiceDirectory(api.db.engine, HISTORY)
    for host, binary in [("c1", "compute"), ("c2", "compute"), ("c", "api")]:
        directory.register(host, binary, check=False)
    services = api.wsgi("GET", "/v2.1/os-services")[1]["services"]
    assert {(s["host"], s["zone"]) for s in services} == {
        ("c1", "nova"),
        ("c2", "nova"),
        ("c", "internal"),
    }
    again = api.wsgi("GET", "/os-services")[1]["services"]
    assert [s["id"] for s in services] == [s["id"] for s in again]
    assert all(0 < s["id"] < 2**31 for s in services)
    assert len({s["id"] for s in services}) == len(services)
