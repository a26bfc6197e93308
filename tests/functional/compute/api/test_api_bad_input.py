"""Issue 12's list of bad input, each through HTTP (a real waitress
server) on SQLite, PostgreSQL and MariaDB: a 4xx naming the problem,
never a 500 and never the database's refusal (the schemas and the path
rules catch each one first), and the API serves on afterwards."""

from __future__ import annotations

import json

import pytest
from api_harness import SMALL, TOKENS, Api, message

BIG = 2**63
LONG = "x" * 256
UNFIT = "a value does not fit its database column"  # the safety net


def _flavor(**changes):
    flavor = {"name": "big", "id": "big", "vcpus": 1, "ram": 1, "disk": 1}
    return {"flavor": {**flavor, **changes}}


def _server(**changes):
    return {"server": {"name": "vm", "flavorRef": "small", **changes}}


def _raw(text):
    """A body as bytes, for what json.dumps would not write."""
    return {"raw": text.encode()}


CASES = {
    # (method, path, body or {"raw": bytes}, status, message fragment)
    "ram 2^63": ("POST", "/flavors", _flavor(ram=BIG), 400, "flavor/ram"),
    "disk 2^63": ("POST", "/flavors", _flavor(disk=BIG), 400, "flavor/disk"),
    "ram 1e300": (
        "POST",
        "/flavors",
        _raw('{"flavor": {"name": "b", "vcpus": 1, "ram": 1e300, "disk": 1}}'),
        400,
        "flavor/ram: 1e+300 is not of type 'integer'",
    ),
    "disk 1e300": (
        "POST",
        "/flavors",
        _raw('{"flavor": {"name": "b", "vcpus": 1, "ram": 1, "disk": 1e300}}'),
        400,
        "flavor/disk",
    ),
    "vcpus 2.0": (
        "POST",
        "/flavors",
        _raw('{"flavor": {"name": "b", "vcpus": 2.0, "ram": 1, "disk": 1}}'),
        400,
        "flavor/vcpus",
    ),
    "ram 2^31 (32-bit column)": (
        "POST",
        "/flavors",
        _flavor(ram=2**31),
        400,
        "greater than the maximum of 2147483647",
    ),
    "ram NaN": (
        "POST",
        "/flavors",
        _raw('{"flavor": {"name": "b", "vcpus": 1, "ram": NaN, "disk": 1}}'),
        400,
        "malformed JSON: NaN is not a JSON number",
    ),
    "ram of 5000 digits": (
        "POST",
        "/flavors",
        _raw(
            '{"flavor": {"name": "b", "vcpus": 1, "disk": 1, "ram": '
            + "9" * 5000
            + "}}"
        ),
        400,
        "malformed JSON",
    ),
    "hypervisor 99999999999999999999": (
        "GET",
        "/os-hypervisors/99999999999999999999",
        None,
        404,
        "compute host 99999999999999999999 not found",
    ),
    "hypervisor %B2 (not UTF-8)": (
        "GET",
        "/os-hypervisors/%B2",
        None,
        400,
        "the path is not UTF-8",
    ),
    "hypervisor %C2%B2 (superscript two)": (
        "GET",
        "/os-hypervisors/%C2%B2",
        None,
        400,
        "is not a number",
    ),
    "flavor name with a lone surrogate": (
        "POST",
        "/flavors",
        _raw(
            '{"flavor": {"name": "a\\ud800", "vcpus": 1, "ram": 1, "disk": 1}}'
        ),
        400,
        "flavor/name: text must not hold NUL characters or lone surrogates",
    ),
    "server name with a lone surrogate": (
        "POST",
        "/servers",
        _raw('{"server": {"name": "\\udfff", "flavorRef": "small"}}'),
        400,
        "server/name: text must not hold NUL",
    ),
    "flavor name with a NUL": (
        "POST",
        "/flavors",
        _flavor(name="a\x00b"),
        400,
        "flavor/name: text must not hold NUL",
    ),
    "server name with a NUL": (
        "POST",
        "/servers",
        _server(name="vm\x00"),
        400,
        "server/name: text must not hold NUL",
    ),
    # 1.5 KB that would parse into 128 sets of 65,536 CPU ids (2 GB).
    "image NUMA CPUs beyond any guest's": (
        "POST",
        "/servers",
        _server(
            image_properties={
                f"hw_numa_cpus.{n}": "0-65535" for n in range(128)
            }
        ),
        400,
        "not a CPU id below 4096",
    ),
    "image NUMA CPUs in two nodes": (
        "POST",
        "/servers",
        _server(
            image_properties={
                "hw_numa_nodes": "2",
                "hw_numa_cpus.0": "0-1",
                "hw_numa_cpus.1": "1",
            }
        ),
        400,
        "CPU 1 is in two NUMA nodes",
    ),
    "imageRef of 256 characters": (
        "POST",
        "/servers",
        _server(imageRef=LONG),
        400,
        "server/imageRef",
    ),
    "extra spec key of 256 characters (POST)": (
        "POST",
        "/flavors/small/os-extra_specs",
        {"extra_specs": {LONG: "1"}},
        400,
        "extra_specs: an extra spec key is 1 to 255",
    ),
    "extra spec value of 256 characters (POST)": (
        "POST",
        "/flavors/small/os-extra_specs",
        {"extra_specs": {"trait:x": LONG}},
        400,
        "extra_specs/trait:x",
    ),
    "extra spec key of 256 characters (PUT)": (
        "PUT",
        f"/flavors/small/os-extra_specs/{LONG}",
        {LONG: "1"},
        400,
        "an extra spec key is 1 to 255",
    ),
    "extra spec value of 256 characters (PUT)": (
        "PUT",
        "/flavors/small/os-extra_specs/trait:x",
        {"trait:x": LONG},
        400,
        "extra_specs/trait:x",
    ),
    "flavor id with a trailing newline": (
        "POST",
        "/flavors",
        _flavor(id="fx\n"),
        400,
        "flavor/id: a flavor id is 1 to 255 of",
    ),
    "hw:cpu_sockets=999...": (
        "POST",
        "/flavors/small/os-extra_specs",
        {"extra_specs": {"hw:cpu_sockets": "9" * 30}},
        400,
        "must be a number from 1 to 4096",
    ),
    "hw:numa_nodes in Arabic-Indic digits": (
        "POST",
        "/flavors/small/os-extra_specs",
        {"extra_specs": {"hw:numa_nodes": "\u0662"}},
        400,
        "must be a number from 1 to 4096",
    ),
    "flavor description of 16384 characters": (
        "POST",
        "/flavors",
        _flavor(description="d" * 16384),
        400,
        "flavor/description",
    ),
    "path not UTF-8": ("GET", "/flavors/%FF", None, 400, "not UTF-8"),
    "server id that is no UUID": (
        "GET",
        "/servers/%00..%2F",
        None,
        404,
        "not found",
    ),
    "flavor id with a NUL in the path": (
        "GET",
        "/flavors/a%00b",
        None,
        404,
        "not found",
    ),
}


@pytest.fixture
def http(zerodown_db, tmp_path):
    api = Api(tmp_path, zerodown_db.url)
    with api.served() as client:
        status, _, _ = client("POST", "/flavors", {"flavor": SMALL})
        assert status == 200
        yield client
    api.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gets_a_4xx_never_a_500(http, case):
    method, path, body, status, fragment = CASES[case]
    raw = body.get("raw") if isinstance(body, dict) else None
    got, answer, _ = http(method, path, None if raw else body, raw=raw)
    assert got == status, answer
    text = message(answer)
    assert fragment in text, text
    assert text != UNFIT
    assert http("GET", "/flavors/detail")[0] == 200


def test_the_largest_values_the_columns_hold_are_taken(http):
    """The limits are the columns' own, not tighter."""
    top = 2**31 - 1
    name = "n" * 255
    status, body, _ = http(
        "POST",
        "/flavors",
        _flavor(id="f" * 255, name=name, ram=top, disk=top, vcpus=4096),
    )
    assert status == 200, body
    got = http("GET", "/flavors/" + "f" * 255)[1]["flavor"]
    assert (got["ram"], got["disk"], got["name"]) == (top, top, name)
    specs = {"trait:" + "k" * 249: "v" * 255}
    status, body, _ = http(
        "POST", "/flavors/small/os-extra_specs", {"extra_specs": specs}
    )
    assert status == 200, body
    # Any text a column can store, four-byte characters included.
    status, body, _ = http(
        "POST",
        "/servers",
        _server(name="\U0001f600" * 255, imageRef="i" * 255),
    )
    assert status == 202, body
    assert body["server"]["name"] == "\U0001f600" * 255


def test_json_of_another_encoding_and_nested_arrays(http):
    utf16 = json.dumps({"flavor": {"name": "u16"}}).encode("utf-16")
    assert http("POST", "/flavors", raw=utf16)[0] == 400
    deep = b"[" * 100_000
    status, answer, _ = http("POST", "/flavors", raw=b"x" * 10 + deep[:60_000])
    assert status == 400 and "malformed JSON" in message(answer)
    status, answer, _ = http("POST", "/flavors", raw=deep[:65_000])
    assert status == 400 and "malformed JSON" in message(answer)
    assert http("GET", "/", token=None)[0] == 200
    assert http("GET", "/flavors", token=TOKENS["member"])[0] == 200
