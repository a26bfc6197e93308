"""Who may ask the API what, on each database: every request but the
version document needs a token; roles and projects decide the rest."""

from __future__ import annotations

import re

import jwt
import pytest
from api_harness import KEYS, SMALL, TOKENS, Api, message, token

from zerodown.compute.api.app import ROUTES
from zerodown.compute.api.policy import ADMIN, POLICY, PUBLIC

SERVER = {"server": {"name": "vm", "flavorRef": "small"}}
VALUES = {
    "flavor_id": "small",
    "server_id": "4f1c0ffe-0000-0000-0000-000000000000",
    "hypervisor_id": "1",
    "key": "hw:cpu_policy",
}


def _path(template):
    return re.sub(r"\{(\w+)\}", lambda m: VALUES[m.group(1)], template)


@pytest.fixture
def api(zerodown_db, tmp_path):
    harness = Api(tmp_path, zerodown_db.url)
    status, _, _ = harness.wsgi("POST", "/flavors", {"flavor": SMALL})
    assert status == 200
    yield harness
    harness.close()


def test_the_version_document_needs_no_token(api):
    status, body, headers = api.wsgi("GET", "/", token=None)
    assert status == 200
    assert body["versions"][0]["status"] == "CURRENT"
    assert body["zerodown:auth"] == "token"
    assert "X-Zerodown-Auth" not in headers
    # Only GET: anything else on it needs a token like the rest.
    assert api.wsgi("POST", "/", {}, token=None)[0] == 401


def _expired():
    payload = jwt.decode(TOKENS["admin"], options={"verify_signature": False})
    payload["exp"] = payload["iat"] = payload["iat"] - 7200
    return jwt.encode(payload, KEYS.keys[0])


BAD_TOKENS = {
    "none": (None, "no X-Auth-Token header"),
    "empty": ("", "no X-Auth-Token header"),
    "garbage": ("let-me-in", "malformed"),
    "expired": (_expired(), "has expired"),
    "forged": (
        jwt.encode(
            jwt.decode(TOKENS["admin"], options={"verify_signature": False}),
            b"attacker's own key, long enough!",
        ),
        "signature does not verify",
    ),
    "alg none": (
        jwt.encode(
            jwt.decode(TOKENS["admin"], options={"verify_signature": False}),
            None,
            algorithm="none",
        ),
        "not signed with HS256",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_every_route_but_the_version_document_needs_a_valid_token(api, kind):
    bad, reason = BAD_TOKENS[kind]
    for route in ROUTES:
        if POLICY[route.operation] == PUBLIC:
            continue
        status, body, headers = api.wsgi(
            route.method, _path(route.template), SERVER, token=bad
        )
        assert status == 401, (route, body)
        assert message(body).startswith("authentication required: ")
        assert reason in message(body), body
        assert headers["WWW-Authenticate"].startswith("X-Auth-Token")
    # Unknown paths too: who has no token learns nothing of the API.
    assert api.wsgi("GET", "/secret-admin-page", token=bad)[0] == 401
    assert api.conductor.calls == []


def test_a_member_reads_flavors_and_admins_write_them(api):
    member = TOKENS["member"]
    assert api.wsgi("GET", "/flavors/detail", token=member)[0] == 200
    assert api.wsgi("GET", "/flavors/small", token=member)[0] == 200
    specs = api.wsgi("GET", "/flavors/small/os-extra_specs", token=member)
    assert specs[0] == 200
    for route in ROUTES:
        if POLICY[route.operation] != ADMIN:
            continue
        body = {"flavor": SMALL} if route.method == "POST" else None
        status, answer, _ = api.wsgi(
            route.method, _path(route.template), body, token=member
        )
        assert status == 403, (route, answer)
        assert message(answer) == (
            f"{route.operation} needs the admin role; this token has member"
        )
    assert api.db.get_flavor("small").extra_specs == {}


def test_servers_belong_to_the_tokens_project(api):
    member, other = TOKENS["member"], TOKENS["other"]
    status, body, _ = api.wsgi("POST", "/servers", SERVER, token=member)
    assert status == 202, body
    server = body["server"]
    assert (server["tenant_id"], server["user_id"]) == ("p1", "member-1")
    stored = api.db.get_instance(server["id"])
    assert (stored.project_id, stored.user_id) == ("p1", "member-1")
    # The RPC context carries who asked.
    ((_, ctx, _),) = api.conductor.calls
    assert (ctx.project_id, ctx.user_id, ctx.roles) == (
        "p1",
        "member-1",
        ("member",),
    )
    path = f"/servers/{server['id']}"
    # Another project's member: as if it did not exist (Nova's 404).
    for method, suffix, body in (
        ("GET", "", None),
        ("DELETE", "", None),
        ("POST", "/action", {"pause": None}),
    ):
        status, answer, _ = api.wsgi(method, path + suffix, body, token=other)
        assert status == 404, answer
        assert message(answer) == f"instance {server['id']} not found"
    listed = api.wsgi("GET", "/servers/detail", token=other)[1]["servers"]
    assert listed == []
    mine = api.wsgi("GET", "/servers/detail", token=member)[1]["servers"]
    assert [s["id"] for s in mine] == [server["id"]]
    # An admin sees every project's servers.
    everyone = api.wsgi("GET", "/servers", token=TOKENS["admin"])[1]
    assert [s["id"] for s in everyone["servers"]] == [server["id"]]
    assert api.wsgi("DELETE", path, token=member)[0] == 204


def test_the_body_cannot_choose_the_project(api):
    body = {"server": {**SERVER["server"], "tenant_id": "p2"}}
    status, answer, _ = api.wsgi(
        "POST", "/servers", body, token=TOKENS["member"]
    )
    assert status == 400
    assert "tenant_id" in message(answer)


def test_servers_from_before_tokens_are_the_admins(api):
    """Release 1 stored servers without a project: only an admin sees
    them after the upgrade."""
    status, body, _ = api.wsgi("POST", "/servers", SERVER)
    assert status == 202
    instance = api.db.get_instance(body["server"]["id"])
    instance.project_id = None
    api.db.save_instance(instance)
    path = f"/servers/{instance.uuid}"
    assert api.wsgi("GET", path, token=TOKENS["member"])[0] == 404
    assert api.wsgi("GET", path)[0] == 200


def test_a_token_signed_by_the_second_key_verifies(api):
    from zerodown.compute.api.tokens import TokenKeys, issue

    second = TokenKeys((KEYS.keys[1],))
    made, _ = issue(second, project="p9", user="u9", roles=["member"])
    assert api.wsgi("GET", "/servers", token=made)[0] == 200
    assert api.wsgi("GET", "/servers", token=token("member", "p9"))[0] == 200


def test_a_member_sees_no_host_of_its_servers(api):
    """As in Nova: host names, host CPUs, cells and device addresses are
    an admin's; a member gets ``hostId``, a hash of its project and the
    host, to tell whether two of its servers share a host."""
    status, body, _ = api.wsgi(
        "POST", "/servers", SERVER, token=TOKENS["member"]
    )
    assert status == 202, body
    stored = api.db.get_instance(body["server"]["id"])
    stored.host, stored.node = "compute-7", "compute-7"
    api.db.save_instance(stored)
    path = f"/servers/{stored.uuid}"
    member = api.wsgi("GET", path, token=TOKENS["member"])[1]["server"]
    admin = api.wsgi("GET", path, token=TOKENS["admin"])[1]["server"]
    hidden = {
        "host",
        "OS-EXT-SRV-ATTR:host",
        "OS-EXT-SRV-ATTR:hypervisor_hostname",
        "zerodown:numa",
        "zerodown:pci_devices",
    }
    assert not hidden & set(member)
    assert hidden <= set(admin) and admin["host"] == "compute-7"
    assert member["hostId"] == admin["hostId"] != ""
    assert "compute-7" not in str(member)
