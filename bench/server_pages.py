"""Benchmark: a project's 100,000 servers, listed page by page.

    .venv/bin/python bench/server_pages.py [--servers 100000]
        [--database postgresql|mysql|sqlite] [--limit 1000] [--rounds 5]

Fills a fresh database (127.0.0.1, or ``ZERODOWN_TEST_POSTGRESQL_URL`` /
``ZERODOWN_TEST_MYSQL_URL``) with ``--servers`` servers of one project
(rows written in bulk, as the API would have stored them), then asks the
compute API in-process (its WSGI application, a member's token) for
``GET /servers/detail?limit=N&marker=...``: the first page, one in the
middle and the last, ``--rounds`` times each, and prints the median
milliseconds of each and the ratio of the last page to the first (the
baseline).  Target (issue 18): a flat cost per page, the ratio near 1 -
a page is one index range from its marker, whatever its number.  Also
walks every page once, following the ``next`` links, and checks that
they add up to every server, once.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

from samples import flavor as sample_flavor

from zerodown.compute.api import make_app
from zerodown.compute.api.auth import TokenAuth
from zerodown.compute.api.tokens import TokenKeys, issue
from zerodown.compute.db import blobs
from zerodown.compute.db.api import ComputeDB
from zerodown.compute.db.engine import make_engine
from zerodown.compute.db.models import INSTANCE_EXTRA, INSTANCES
from zerodown.compute.deploy import deploy_schema
from zerodown.compute.version import HISTORY
from zerodown.services import ServiceDirectory, utcnow
from zerodown.testing.backends import fresh_database, start_backend

KEYS = TokenKeys((b"bench-key-of-32-bytes-at-least!!",))
BATCH = 5000


def main() -> None:
    args = parse_args()
    backend = start_backend(args.database, os.environ)
    with fresh_database(backend) as database:
        deploy_schema(Path(tempfile.mkdtemp()), database.url)
        db = ComputeDB(make_engine(database.url))
        try:
            began = time.monotonic()
            fill(db, args.servers)
            print(
                f"{args.servers:,} servers of one project on {args.database} "
                f"in {time.monotonic() - began:.1f} s; pages of {args.limit}; "
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
            )
            measure(db, args)
        finally:
            db.engine.dispose()


def fill(db: ComputeDB, count: int) -> None:
    flavor = blobs.dump(sample_flavor(1, 512, name="small"))
    now = utcnow()
    for start in range(0, count, BATCH):
        ids = [str(uuid.uuid4()) for _ in range(min(BATCH, count - start))]
        with db.engine.begin() as conn:
            conn.execute(
                INSTANCES.insert(),
                [
                    {
                        "uuid": u,
                        "display_name": f"vm-{start + n}",
                        "project_id": "bench",
                        "user_id": "bench",
                        "host": "c0",
                        "node": "c0",
                        "vm_state": "active",
                        "power_state": 1,
                        "vcpus": 1,
                        "memory_mb": 512,
                        "root_gb": 1,
                        "ephemeral_gb": 0,
                        "created_at": now,
                        "updated_at": now,
                        "launched_at": now,
                        "deleted": False,
                    }
                    for n, u in enumerate(ids)
                ],
            )
            conn.execute(
                INSTANCE_EXTRA.insert(),
                [{"instance_uuid": u, "flavor": flavor} for u in ids],
            )


def measure(db: ComputeDB, args: argparse.Namespace) -> None:
    app = make_app(
        db=db,
        conductor=None,
        compute=None,
        services=ServiceDirectory(db.engine, HISTORY),
        pci_aliases={},
        auth=TokenAuth(KEYS),
    )
    token, _ = issue(KEYS, project="bench", user="u", roles=["member"])
    markers: list[str | None] = [None]
    seen: set[str] = set()
    query = f"limit={args.limit}"
    while True:  # every page once, by the links
        body = _get(app, token, query)
        ids = [s["id"] for s in body["servers"]]
        assert not seen & set(ids), "a server on two pages"
        seen.update(ids)
        links = body.get("servers_links")
        if not links:
            break
        query = urllib.parse.urlsplit(links[0]["href"]).query
        markers.append(urllib.parse.parse_qs(query)["marker"][0])
    assert len(seen) == args.servers, (len(seen), args.servers)
    pages = len(markers)
    chosen = {
        "first": 0,
        "middle": pages // 2,
        "last full": max(0, args.servers // args.limit - 1),
    }
    results = {}
    for name, page in chosen.items():
        marker = markers[page]
        query = f"limit={args.limit}" + (f"&marker={marker}" if marker else "")
        times = []
        for _ in range(args.rounds):
            begin = time.perf_counter()
            body = _get(app, token, query)
            times.append(time.perf_counter() - begin)
            assert len(body["servers"]) == args.limit
        results[name] = (page + 1, statistics.median(times))
    base = results["first"][1]
    print(f"{'page':<10} {'number':>7} {'median ms':>10} {'vs first':>9}")
    for name, (number, median) in results.items():
        print(
            f"{name:<10} {number:>7} {median * 1000:>10.1f} "
            f"{median / base:>8.2f}x"
        )
    print(f"\nwalked {pages} pages by their next links: {len(seen):,} servers")


def _get(app: Any, token: str, query: str) -> Any:
    seen: dict[str, str] = {}

    def start(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/servers/detail",
        "QUERY_STRING": query,
        "HTTP_X_AUTH_TOKEN": token,
        "HTTP_HOST": "bench",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    body = b"".join(app(environ, start))
    assert seen["status"].startswith("200"), body[:200]
    return json.loads(body)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=100_000)
    parser.add_argument(
        "--database",
        choices=("postgresql", "mysql", "sqlite"),
        default="postgresql",
    )
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    return parser.parse_args()


if __name__ == "__main__":
    main()
