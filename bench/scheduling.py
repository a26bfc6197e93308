"""Benchmark: bursts of boots against a fleet's capacity.

    .venv/bin/python bench/scheduling.py [--computes 10,30]
        [--schedulers 1,2] [--bursts 25,50,75,90,95,110]
        [--database postgresql|mysql|sqlite] [--transport-url URL]
        [--workers 16] [--ram 2048]

A whole compute stack as processes (``zerodown.compute.deployment``):
the conductor, one or two schedulers, N computes on the fake driver
(their default host: 2 cells of 8 GiB, RAM allocation ratio 1.0) and
the API, on a fresh database of the chosen server (127.0.0.1, or
``ZERODOWN_TEST_POSTGRESQL_URL`` / ``ZERODOWN_TEST_MYSQL_URL``) and
RabbitMQ (``--transport-url``, default ``ZERODOWN_TEST_AMQP_URL`` or the
local one; ``embedded`` for the embedded broker).

For each fleet and scheduler count, each burst is a share of the fleet's
capacity in guests of ``--ram`` MiB (from the hypervisors' inventory):
``--workers`` client threads each take a boot, ``POST /servers`` (the
API answers at once), poll the server every 50 ms until it is ACTIVE or
ERROR, and take the next.  It prints the boots that went ACTIVE, those
that failed, boots/s over the burst, p50/p99 of the time from the POST
to ACTIVE, and, checked after the burst, the hosts whose ACTIVE guests
hold more RAM than they have.  Then every server is deleted and the
next burst starts once every host reports itself empty.

Targets (issue 18): no failure up to 95% of capacity; past capacity
every failure says "no valid host" and no host is oversubscribed.  The
baseline is one scheduler, measured in the same run: the two-scheduler
rows print their boots/s as a ratio of it.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from zerodown.compute.client import ComputeClient
from zerodown.compute.deployment import ComputeHost, Deployment
from zerodown.testing.backends import fresh_database, start_backend

AMQP = "amqp://guest:guest@127.0.0.1:5672//"
POLL = 0.05


def main() -> None:
    args = parse_args()
    rows: list[dict[str, Any]] = []
    print(
        f"bursts of {args.ram} MiB guests, {args.workers} client threads; "
        f"{args.database} + {_transport_name(args)}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n",
        flush=True,
    )
    print(_header(), flush=True)
    for computes in args.computes:
        for schedulers in args.schedulers:
            for row in run_fleet(args, computes, schedulers):
                rows.append(row)
                print(_line(row, rows), flush=True)
    print()
    verdict(rows)


def run_fleet(
    args: argparse.Namespace, computes: int, schedulers: int
) -> Iterator[dict[str, Any]]:
    """Each burst's row, as soon as it is measured."""
    backend = start_backend(args.database, os.environ)
    workdir = Path(tempfile.mkdtemp(prefix="zd-bench-sched-"))
    with fresh_database(backend) as database:
        deployment = Deployment(
            workdir=workdir,
            database_url=database.url,
            transport_url=_transport(args, workdir),
            computes=tuple(
                ComputeHost(f"c{i}", ram_allocation_ratio=1.0)
                for i in range(computes)
            ),
            schedulers=schedulers,
            topic_prefix=f"zdb-{uuid.uuid4().hex[:8]}-",
            settings={"scheduler": {"host_subset_size": args.subset}},
        )
        with deployment.running():
            api = deployment.api
            api.create_flavor("bench", 1, args.ram, 1, flavorid="bench")
            capacity = _capacity(api, computes, args.ram)
            for share in args.bursts:
                boots = round(capacity * share / 100)
                row = burst(api, boots, args.workers)
                row.update(
                    computes=computes,
                    schedulers=schedulers,
                    share=share,
                    capacity=capacity,
                    oversubscribed=_oversubscribed(api, args.ram),
                )
                yield row
                _empty(api, args.workers)


def burst(api: ComputeClient, boots: int, workers: int) -> dict[str, Any]:
    todo = list(range(boots))
    lock = threading.Lock()
    ends: list[dict[str, Any]] = []

    def worker() -> None:
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            begin = time.monotonic()
            made = api.create_server(f"b-{uuid.uuid4().hex[:8]}", "bench")
            server = api.wait_for_server(
                made["id"],
                lambda s: s["status"] in ("ACTIVE", "ERROR"),
                timeout=300,
                interval=POLL,
            )
            server["took"] = time.monotonic() - begin
            with lock:
                ends.append(server)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    active = [s for s in ends if s["status"] == "ACTIVE"]
    failed = [s for s in ends if s["status"] != "ACTIVE"]
    reasons = collections.Counter(_reason(s) for s in failed)
    took = sorted(s["took"] for s in active)
    return {
        "boots": boots,
        "active": len(active),
        "failed": len(failed),
        "reasons": dict(reasons),
        "rate": len(active) / elapsed if elapsed else 0.0,
        "p50": _percentile(took, 50),
        "p99": _percentile(took, 99),
    }


def _reason(server: dict[str, Any]) -> str:
    message = str((server.get("fault") or {}).get("message", "?"))
    if "no valid host" in message.lower():
        return "no valid host"
    return message[:80]


def _capacity(api: ComputeClient, computes: int, ram: int) -> int:
    deadline = time.monotonic() + 120
    while True:
        hypervisors = api.list_hypervisors()
        if len(hypervisors) == computes:
            break
        if time.monotonic() > deadline:
            sys.exit(f"only {len(hypervisors)} of {computes} computes came")
        time.sleep(0.5)
    # The fake host's 16 vCPUs at ratio 16 never bind guests of 1 vCPU.
    return sum(h["memory_mb"] // ram for h in hypervisors)


def _oversubscribed(api: ComputeClient, ram: int) -> list[str]:
    """Hosts whose ACTIVE guests hold more RAM than the host has."""
    held: dict[str, int] = collections.Counter()
    for server in api.list_servers():
        if server["status"] == "ACTIVE":
            held[server["host"]] += server["flavor"]["ram"]
    sizes = {
        h["hypervisor_hostname"]: h["memory_mb"]
        for h in api.list_hypervisors()
    }
    return sorted(h for h, used in held.items() if used > sizes.get(h, 0))


def _empty(api: ComputeClient, workers: int) -> None:
    servers = api.list_servers()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda s: api.delete_server(s["id"]), servers))
        list(pool.map(lambda s: api.wait_for_deleted(s["id"], 120), servers))
    deadline = time.monotonic() + 120
    while any(h["memory_mb_used"] for h in api.list_hypervisors()):
        if time.monotonic() > deadline:
            sys.exit("the hosts never reported themselves empty")
        time.sleep(0.5)


def _percentile(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _header() -> str:
    return (
        f"{'hosts':>5} {'sched':>5} {'burst':>6} {'boots':>5} "
        f"{'ACTIVE':>6} {'failed':>6} {'boots/s':>8} {'vs 1':>6} "
        f"{'p50 s':>6} {'p99 s':>6} {'oversub':>7}  failures"
    )


def _line(row: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    base = next(
        (
            r
            for r in rows
            if r["schedulers"] == 1
            and (r["computes"], r["share"]) == (row["computes"], row["share"])
        ),
        None,
    )
    ratio = (
        f"{row['rate'] / base['rate']:.2f}x"
        if base is not None and base is not row and base["rate"]
        else "-"
    )
    reasons = ", ".join(f"{n} {r}" for r, n in row["reasons"].items())
    return (
        f"{row['computes']:>5} {row['schedulers']:>5} {row['share']:>5}% "
        f"{row['boots']:>5} {row['active']:>6} {row['failed']:>6} "
        f"{row['rate']:>8.1f} {ratio:>6} {_s(row['p50']):>6} "
        f"{_s(row['p99']):>6} {len(row['oversubscribed']):>7}  "
        f"{reasons or '-'}"
    )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def verdict(rows: list[dict[str, Any]]) -> None:
    misses = []
    for row in rows:
        name = (
            f"{row['computes']} hosts, {row['schedulers']} scheduler(s), "
            f"{row['share']}%"
        )
        if row["oversubscribed"]:
            misses.append(f"{name}: oversubscribed {row['oversubscribed']}")
        if row["share"] <= 95 and row["failed"]:
            misses.append(f"{name}: {row['failed']} failed ({row['reasons']})")
        if row["share"] > 100:
            others = set(row["reasons"]) - {"no valid host"}
            if others:
                misses.append(f"{name}: failures other than no valid host")
            if row["active"] < row["capacity"]:
                misses.append(
                    f"{name}: {row['active']} ACTIVE of a capacity of "
                    f"{row['capacity']}"
                )
    if misses:
        print("targets MISSED:")
        for miss in misses:
            print(f"  - {miss}")
    else:
        print(
            "targets met: 0 failures up to 95% of capacity; past it every "
            "failure is 'no valid host', the fleet filled, no host "
            "oversubscribed"
        )


def _transport(args: argparse.Namespace, workdir: Path) -> str:
    if args.transport_url == "embedded":
        return f"embedded://{workdir}/broker.db"
    return str(args.transport_url)


def _transport_name(args: argparse.Namespace) -> str:
    if args.transport_url == "embedded":
        return "embedded broker"
    return "RabbitMQ"


def _ints(text: str) -> list[int]:
    try:
        found = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not integers: {text!r}") from err
    if not found or any(n <= 0 for n in found):
        raise argparse.ArgumentTypeError(f"positive integers: {text!r}")
    return found


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--computes", type=_ints, default=[10, 30])
    parser.add_argument("--schedulers", type=_ints, default=[1, 2])
    parser.add_argument(
        "--bursts",
        type=_ints,
        default=[25, 50, 75, 90, 95, 110],
        help="percentages of the fleet's capacity",
    )
    parser.add_argument(
        "--database",
        choices=("postgresql", "mysql", "sqlite"),
        default="postgresql",
    )
    parser.add_argument(
        "--transport-url",
        default=os.environ.get("ZERODOWN_TEST_AMQP_URL", AMQP),
        help="a broker URL, or 'embedded'",
    )
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--ram", type=int, default=2048)
    parser.add_argument(
        "--subset",
        type=int,
        default=1,
        help="the schedulers' host_subset_size",
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
