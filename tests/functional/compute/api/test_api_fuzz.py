"""Fuzzing the compute API's request parsing: at least 100,000 generated
requests straight into the WSGI application on a real database, and
never a 5xx, an unhandled exception or a value the database had to
refuse (the schemas must catch every one first).

The count, the time and the statuses seen are printed in pytest's
summary (``conftest.py``).  A failure names its seed and index, and
:class:`api_fuzz.Generator` replays the same stream from the seed.
"""

from __future__ import annotations

import collections
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from api_fuzz import Generator, IdPool
from api_harness import KEYS, SMALL, TOKENS, Api

RUNS = 100_000


def _tokens() -> dict[str, str | None]:
    expired = jwt.decode(TOKENS["admin"], options={"verify_signature": False})
    expired["exp"] = expired["iat"] = expired["iat"] - 7200
    return {
        **TOKENS,
        "none": None,
        "garbage": "x.y.z",
        "expired": jwt.encode(expired, KEYS.keys[0]),
        "huge": "e" * 20_000,
    }


class Complaints(logging.Handler):
    """Warnings and errors of the API: a 500's traceback, or a value
    the database refused although the schemas let it through."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def complaints() -> Iterator[Complaints]:
    handler = Complaints()
    logger = logging.getLogger("zerodown.compute.api")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _environ(request: dict[str, Any]) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": request["method"],
        "PATH_INFO": request["path"],
        "CONTENT_TYPE": request["content_type"],
        "CONTENT_LENGTH": request["length"],
        "wsgi.input": io.BytesIO(request["body"]),
    }
    if request["token"] is not None:
        environ["HTTP_X_AUTH_TOKEN"] = request["token"]
    return environ


def _refresh(api: Api) -> None:
    """Keep the database small (lists stay cheap), put a few servers on a
    host, so actions and deletes reach the compute's casts, and bring back
    the flavors servers are made of (the stream deletes flavors too, and a
    stream without them stops creating servers)."""
    _seed_flavors(api)
    api.conductor.calls.clear()
    api.compute.calls.clear()
    instances = api.db.list_instances()
    # Lists cost a server each: a few are enough to show.
    for instance in instances[:-5]:
        api.db.destroy_instance(instance.uuid)
    for instance in instances[-3:]:
        instance.vm_state, instance.task_state = "active", None
        instance.host = "compute-1"
        api.db.save_instance(instance)


def _recorder(seen: list[str]) -> Any:
    def start_response(status: str, headers: Any) -> None:
        seen.append(status)

    return start_response


def _not_implemented(status: int, request: dict[str, Any]) -> bool:
    """Nova's 501 for a hypervisor's uptime, which no driver reports."""
    return status == 501 and request["path"].rstrip("/").endswith("/uptime")


def fuzz(api: Api, seed: int, count: int) -> dict[str, Any]:
    """Send ``count`` requests; what came back."""
    ids = IdPool()
    generator = Generator(seed, _tokens(), ids)
    statuses: collections.Counter[int] = collections.Counter()
    failures = []
    began = time.monotonic()
    for index in range(count):
        if index % 2000 == 0:
            _refresh(api)
        request = generator.request()
        seen: list[str] = []
        payload = b"".join(api.app(_environ(request), _recorder(seen)))
        status = int(seen[0].split()[0])
        statuses[status] += 1
        if (status >= 500 and not _not_implemented(status, request)) or (
            status < 200
        ):
            failures.append((index, request, payload[:300]))
        elif payload and status < 300:
            ids.learn(json.loads(payload))
    return {
        "count": count,
        "seconds": time.monotonic() - began,
        "statuses": dict(sorted(statuses.items())),
        "failures": failures,
    }


def _report(
    fuzz_count: Any, result: dict[str, Any], seed: int, where: str
) -> None:
    statuses = ", ".join(f"{k}: {v}" for k, v in result["statuses"].items())
    fuzz_count(
        f"compute API requests ({where}, seed {seed})",
        result["count"],
        f"{result['seconds']:.1f} s, {len(result['failures'])} failed; "
        f"statuses {statuses}",
    )


def _check(result: dict[str, Any], complaints: Complaints) -> None:
    assert result["failures"] == [], result["failures"][:5]
    assert [r.getMessage() for r in complaints.records] == []
    # The stream reached the handlers, not only the front door.
    assert {200, 202, 204, 400, 401, 403, 404}.issubset(result["statuses"])


SEED_FLAVORS = (SMALL, {**SMALL, "name": "pinned", "id": "pinned"})


def _seed_flavors(api: Api) -> None:
    for number, flavor in enumerate(SEED_FLAVORS):
        status, _, _ = api.wsgi("GET", f"/flavors/{flavor['id']}")
        if status != 404:
            continue
        # The stream may have taken the name since (a flavor created
        # with "id": null): the id is what its requests refer to.
        name = (
            f"{flavor['name']}-{api.reseeded + number}"
            if api.reseeded
            else flavor["name"]
        )
        status, body, _ = api.wsgi(
            "POST", "/flavors", {"flavor": {**flavor, "name": name}}
        )
        assert status == 200, (status, body)
    api.reseeded += len(SEED_FLAVORS)


def _api(workdir, url) -> Api:
    api = Api(workdir, url)
    api.reseeded = 0
    _seed_flavors(api)
    return api


def test_100000_generated_requests_get_no_5xx(
    tmp_path, complaints, fuzz_count
):
    seed = 20261206
    api = _api(tmp_path, f"sqlite:///{tmp_path}/fuzz.db")
    try:
        result = fuzz(api, seed, RUNS)
    finally:
        api.close()
    _report(fuzz_count, result, seed, "SQLite")
    _check(result, complaints)
    assert result["count"] >= 100_000


@pytest.mark.slow
def test_generated_requests_on_every_database(
    zerodown_db, tmp_path, complaints, fuzz_count
):
    """Each server database has its own ways of refusing a value."""
    seed = 7
    api = _api(tmp_path, zerodown_db.url)
    try:
        result = fuzz(api, seed, 20_000)
    finally:
        api.close()
    _report(fuzz_count, result, seed, zerodown_db.backend)
    _check(result, complaints)
