"""``GET /servers`` and ``/servers/detail`` in pages (Nova's ``limit``
and ``marker``) on each database: the pages add up to the list, a
member's pages hold only its project, bad parameters are a 400."""

from __future__ import annotations

import urllib.parse

import pytest
from api_harness import SMALL, TOKENS, Api


@pytest.fixture
def api(zerodown_db, tmp_path):
    harness = Api(tmp_path, zerodown_db.url)
    assert harness.wsgi("POST", "/flavors", {"flavor": SMALL})[0] == 200
    yield harness
    harness.close()


def _boot(api, token, name):
    status, body, _ = api.wsgi(
        "POST",
        "/servers",
        {"server": {"name": name, "flavorRef": "small"}},
        token=token,
    )
    assert status == 202
    return body["server"]["id"]


def _get(api, path, query="", token=TOKENS["admin"], **environ):
    return api.wsgi(
        "GET", path, token=token, environ={"QUERY_STRING": query, **environ}
    )[:2]


def _walk(api, path, limit, token):
    """Every page, following each page's next link."""
    pages, query = [], f"limit={limit}"
    while True:
        status, body = _get(api, path, query, token)
        assert status == 200, body
        pages.append([s["id"] for s in body["servers"]])
        links = body.get("servers_links")
        if not links:
            return pages
        (link,) = links
        assert link["rel"] == "next"
        query = urllib.parse.urlsplit(link["href"]).query
        assert urllib.parse.parse_qs(query) == {
            "limit": [str(limit)],
            "marker": [pages[-1][-1]],
        }


@pytest.mark.parametrize("path", ["/servers", "/servers/detail"])
def test_pages_add_up_to_the_list_in_order(api, path):
    mine = [_boot(api, TOKENS["member"], f"p1-{i}") for i in range(7)]
    theirs = [_boot(api, TOKENS["other"], f"p2-{i}") for i in range(2)]
    everyone = _walk(api, path, 3, TOKENS["admin"])
    # A full last page links to an empty one (as Nova does).
    assert everyone == [mine[:3], mine[3:6], [mine[6], *theirs], []]
    assert _walk(api, path, 4, TOKENS["member"]) == [mine[:4], mine[4:]]
    assert _walk(api, path, 2, TOKENS["other"]) == [theirs, []]
    # Without a limit: one page of everything (under Nova's 1,000).
    status, body = _get(api, path)
    assert [s["id"] for s in body["servers"]] == mine + theirs
    assert "servers_links" not in body
    # Another project's server is no marker for a member: as unknown.
    status, body = _get(api, path, f"marker={theirs[0]}", TOKENS["member"])
    assert status == 400
    assert f"marker [{theirs[0]}] not found" in str(body)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=-1", "limit must be a non-negative integer"),
        ("limit=abc", "limit must be a non-negative integer"),
        ("limit=1.5", "limit must be a non-negative integer"),
        ("limit=%EF%BC%91", "limit must be a non-negative integer"),
        ("limit=1&limit=2", "limit given more than once"),
        ("marker=", "marker must be the id of an item"),
        ("marker=" + "x" * 300, "marker must be the id of an item"),
        ("marker=no-such-server", "marker [no-such-server] not found"),
    ],
)
def test_bad_page_parameters_are_a_400(api, query, message):
    _boot(api, TOKENS["member"], "vm")
    status, body = _get(api, "/servers/detail", query)
    assert status == 400 and message in str(body), body


def test_the_next_link_names_this_api_and_never_a_hostile_host(api):
    first = _boot(api, TOKENS["member"], "vm")
    _boot(api, TOKENS["member"], "vm2")
    status, body = _get(
        api, "/servers/detail", "limit=1", HTTP_HOST="api.example:8774"
    )
    assert body["servers_links"][0]["href"] == (
        f"http://api.example:8774/servers/detail?limit=1&marker={first}"
    )
    status, body = _get(
        api,
        "/servers/detail",
        "limit=1",
        HTTP_HOST="evil.example/phish?",
        SERVER_NAME="compute.local",
        SERVER_PORT="8774",
    )
    assert body["servers_links"][0]["href"].startswith(
        "http://compute.local:8774/servers/detail?"
    )
    # limit=0: an empty page, and nothing to follow.
    status, body = _get(api, "/servers/detail", "limit=0")
    assert (status, body) == (200, {"servers": []})
