"""Benchmark: zerodown.rpc against oslo.messaging's rabbit driver.

    .venv/bin/python bench/rpc.py [--rounds N] [--quick]

Side by side in one run, on the local RabbitMQ: call round trips per
second with p50/p99 latency for 1 and 8 concurrent callers, cast
throughput (until the server has handled the last cast), and the bytes of
each message body.  The payload is an ``Instance`` with a 2-cell pinned
NUMA topology, hydrated into objects on both ends by each stack's
serializer (see ``bench/rpc_stacks.py``).  Also measured: zerodown with
HMAC signing, zerodown's durable casts (quorum queue, broker confirms) and
the embedded broker (no RabbitMQ).

Every (stack, scenario) runs as a fresh client process against a server
process of its stack; rounds run the stacks in a shuffled order, and
ratios are taken within a round, so background load on a shared machine
hits both sides alike.  Reported: the median over rounds (min-max).
CPU per message sums client, server and broker (RabbitMQ's beam.smp)
from /proc over the timed window.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from typing import Any

import rpc_stacks as stacks

WARMUP = 200
SCENARIOS = ("call1", "call8", "cast")
STACKS: dict[str, dict[str, Any]] = {
    "oslo": {"label": "oslo.messaging", "scenarios": SCENARIOS},
    "zerodown": {"label": "zerodown", "scenarios": SCENARIOS},
    "zerodown-hmac": {
        "label": "zerodown+HMAC",
        "signed": True,
        "scenarios": SCENARIOS,
    },
    "zerodown-durable": {
        "label": "zerodown durable",
        "durable": True,
        "scenarios": ("cast",),
    },
    "embedded": {
        "label": "embedded",
        "embedded": True,
        "scenarios": SCENARIOS,
    },
}


# -- CPU accounting ---------------------------------------------------------


def _cpu_seconds(pid: int | str) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _broker_pid() -> str | None:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as comm:
                    if comm.read().strip() == "beam.smp":
                        return pid
            except OSError:
                continue
    return None


class CPU:
    def __init__(self, server_pid: int, broker: bool) -> None:
        pids: list[int | str] = ["self", server_pid]
        broker_pid = _broker_pid() if broker else None
        if broker_pid:
            pids.append(broker_pid)
        self.pids = pids
        self.start = [_cpu_seconds(p) for p in pids]

    def parts(self) -> list[float]:
        """CPU seconds since the start: client, server, broker."""
        used = [
            _cpu_seconds(p) - s
            for p, s in zip(self.pids, self.start, strict=True)
        ]
        return used + [0.0] * (3 - len(used))

    def used(self) -> float:
        return sum(self.parts())


# -- server and client processes ----------------------------------------------


def _url(stack: str, path: str | None) -> str:
    return (
        f"embedded://{path}"
        if STACKS[stack].get("embedded")
        else (stacks.RABBIT)
    )


def serve(stack: str, topic: str, path: str | None) -> None:
    spec = STACKS[stack]
    if stack == "oslo":
        server = stacks.oslo_server(topic)
    else:
        server = stacks.zerodown_server(
            topic,
            _url(stack, path),
            bool(spec.get("signed")),
            bool(spec.get("durable")),
        )
    print("READY", flush=True)
    sys.stdin.read()  # until the orchestrator closes the pipe (or dies)
    server.stop()


def _client(stack: str, topic: str, path: str | None) -> Any:
    spec = STACKS[stack]
    if stack == "oslo":
        return stacks.OsloClient(topic)
    return stacks.ZerodownClient(
        topic,
        _url(stack, path),
        bool(spec.get("signed")),
        bool(spec.get("durable")),
    )


def run_client(
    stack: str,
    topic: str,
    scenario: str,
    n: int,
    server_pid: int,
    path: str | None,
) -> dict[str, Any]:
    client = _client(stack, topic, path)
    echoed = client.call()
    assert echoed.uuid == client.payload.uuid
    assert len(echoed.numa_topology.cells) == 2
    for _ in range(WARMUP):
        client.call()
    client.control("reset", expected=n if scenario == "cast" else 0)
    stacks.SIZES["largest"] = 0
    broker = not STACKS[stack].get("embedded")
    if scenario == "cast":
        return _casts(client, n, CPU(server_pid, broker))
    return _calls(
        client, n, 8 if scenario == "call8" else 1, server_pid, broker
    )


def _calls(
    client: Any, n: int, threads: int, server_pid: int, broker: bool
) -> dict[str, Any]:
    latencies: list[float] = []
    lock = threading.Lock()

    def caller(count: int) -> None:
        mine = []
        for _ in range(count):
            started = time.perf_counter()
            client.call()
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    workers = [
        threading.Thread(target=caller, args=(n // threads,))
        for _ in range(threads)
    ]
    cpu = CPU(server_pid, broker)
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    parts = cpu.parts()
    used = sum(parts)
    request = stacks.SIZES["largest"]
    reply = client.control("stats", wait=0)["reply_bytes"]
    latencies.sort()
    return {
        "rate": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "cpu_us": used / len(latencies) * 1e6,
        **_split(parts, len(latencies)),
        "request_bytes": request,
        "reply_bytes": reply,
    }


def _split(parts: list[float], n: int) -> dict[str, float]:
    return {
        f"cpu_{who}_us": seconds / n * 1e6
        for who, seconds in zip(
            ("client", "server", "broker"), parts, strict=True
        )
    }


def _casts(client: Any, n: int, cpu: CPU) -> dict[str, Any]:
    started = time.monotonic()
    for _ in range(n):
        client.cast()
    sent = time.monotonic()
    size = stacks.SIZES["largest"]
    stats = client.control("stats", wait=300)
    parts = cpu.parts()
    used = sum(parts)
    if stats["count"] < n or stats["nth_at"] is None:
        raise RuntimeError(f"only {stats['count']} of {n} casts arrived")
    return {
        "rate": n / (stats["nth_at"] - started),
        "send_rate": n / (sent - started),
        "cpu_us": used / n * 1e6,
        **_split(parts, n),
        "request_bytes": size,
    }


# -- the orchestrator ---------------------------------------------------------


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def one_stack(stack: str, counts: dict[str, int], tmp: str) -> dict[str, Any]:
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    path = os.path.join(tmp, f"{topic}.db")
    server = _spawn("--serve", stack, "--topic", topic, "--path", path)
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "READY":
            raise RuntimeError(f"{stack} server did not start")
        found = {}
        scenarios = list(STACKS[stack]["scenarios"])
        random.shuffle(scenarios)
        for scenario in scenarios:
            client = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--client",
                    stack,
                    "--topic",
                    topic,
                    "--scenario",
                    scenario,
                    "--n",
                    str(counts[scenario]),
                    "--server-pid",
                    str(server.pid),
                    "--path",
                    path,
                ],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if client.returncode != 0:
                raise RuntimeError(f"{stack} {scenario}: {client.stderr}")
            found[scenario] = json.loads(client.stdout.splitlines()[-1])
        return found
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        _delete_queues(topic)


def _delete_queues(topic: str) -> None:
    from zerodown.rpc.transport.kombu_util import close_quietly, new_connection

    conn = new_connection(stacks.RABBIT)
    try:
        channel = conn.channel()
        for name in (topic, f"{topic}.bench-1"):
            channel.queue_delete(queue=name)
    except Exception:  # leftovers are harmless
        pass
    finally:
        close_quietly(conn)


def _summary(values: list[float], digits: int = 0) -> str:
    if not values:
        return "-"
    fmt = f"{{:,.{digits}f}}"
    median = statistics.median(values)
    if len(values) == 1:
        return fmt.format(median)
    return (
        f"{fmt.format(median)} ({fmt.format(min(values))}-"
        f"{fmt.format(max(values))})"
    )


def report(rounds: list[dict[str, dict[str, Any]]]) -> None:
    by: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for result in rounds:
        for stack, scenarios in result.items():
            for scenario, values in scenarios.items():
                for key, value in values.items():
                    by[stack, scenario][key].append(value)
    print(f"\n{len(rounds)} round(s); median (min-max) over rounds\n")
    header = (
        f"{'scenario':<8} {'stack':<17} {'msgs/s':>22} {'p50 ms':>18} "
        f"{'p99 ms':>20} {'CPU us/msg':>20} {'body B':>7}"
    )
    print(header)
    print("-" * len(header))
    for scenario in SCENARIOS:
        for stack, spec in STACKS.items():
            values = by.get((stack, scenario))
            if not values:
                continue
            print(
                f"{scenario:<8} {spec['label']:<17} "
                f"{_summary(values['rate']):>22} "
                f"{_summary(values.get('p50', []), 2):>18} "
                f"{_summary(values.get('p99', []), 2):>20} "
                f"{_summary(values['cpu_us']):>20} "
                f"{int(statistics.median(values['request_bytes'])):>7}"
            )
    _cpu_split(by)
    _ratios(rounds, by)


def _cpu_split(by: Any) -> None:
    print("\nCPU us per message, by process: client / server / broker\n")
    for scenario in SCENARIOS:
        for stack, spec in STACKS.items():
            values = by.get((stack, scenario))
            if not values:
                continue
            split = " / ".join(
                f"{statistics.median(values[f'cpu_{who}_us']):,.0f}"
                for who in ("client", "server", "broker")
            )
            print(f"  {scenario:<8} {spec['label']:<17} {split}")


def _ratio(
    rounds: list[Any],
    stack: str,
    scenario: str,
    key: str,
    invert: bool = False,
) -> list[float]:
    found = []
    for result in rounds:
        ours = result.get(stack, {}).get(scenario, {}).get(key)
        theirs = result.get("oslo", {}).get(scenario, {}).get(key)
        if ours and theirs:
            found.append(theirs / ours if invert else ours / theirs)
    return found


def _ratios(rounds: list[Any], by: Any) -> None:
    print("\nPer-round ratios against oslo.messaging (same round)\n")
    print(
        f"{'scenario':<8} {'stack':<17} {'throughput x':>20} "
        f"{'p99 oslo/ours':>20} {'CPU oslo/ours':>20}"
    )
    for scenario in SCENARIOS:
        for stack in (
            "zerodown",
            "zerodown-hmac",
            "zerodown-durable",
            "embedded",
        ):
            rate = _ratio(rounds, stack, scenario, "rate")
            if not rate:
                continue
            p99 = _ratio(rounds, stack, scenario, "p99", invert=True)
            cpu = _ratio(rounds, stack, scenario, "cpu_us", invert=True)
            print(
                f"{scenario:<8} {STACKS[stack]['label']:<17} "
                f"{_summary(rate, 2):>20} {_summary(p99, 2):>20} "
                f"{_summary(cpu, 2):>20}"
            )
    oslo = by[("oslo", "call1")]
    ours = by[("zerodown", "call1")]
    print("\nBodies (bytes): call request / reply")
    for stack, values in (("oslo.messaging", oslo), ("zerodown", ours)):
        request = int(statistics.median(values["request_bytes"]))
        reply = int(statistics.median(values["reply_bytes"]))
        print(f"  {stack:<15} {request:,} / {reply:,}")
    _targets(rounds, by)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _targets(rounds: list[Any], by: Any) -> None:
    """Issue 13's targets, each judged on the median of per-round
    ratios (or on the median rate for the embedded broker)."""
    print("\nTargets (medians of per-round ratios)")
    lines = []
    for scenario, floor in (("cast", 3.0), ("call1", 3.0), ("call8", 3.0)):
        rate = _median(_ratio(rounds, "zerodown", scenario, "rate"))
        line = f"{scenario}: throughput {rate:.2f}x oslo.messaging's"
        ok = rate >= floor
        if scenario != "cast":
            p99 = _median(
                _ratio(rounds, "zerodown", scenario, "p99", invert=True)
            )
            line += f", p99 {p99:.2f}x lower"
            ok = ok and p99 >= 3.0
        lines.append((ok, f"{line} [>= {floor:g}x; p99 >= 3x lower]"))
    durable = [
        r["zerodown-durable"]["cast"]["rate"] / r["oslo"]["cast"]["rate"]
        for r in rounds
        if "zerodown-durable" in r and "oslo" in r
    ]
    if durable:
        value = _median(durable)
        lines.append(
            (
                value >= 1.5,
                f"durable cast: {value:.2f}x oslo.messaging's transient "
                "casts [>= 1.5x]",
            )
        )
    for scenario in SCENARIOS:
        signed = [
            r["zerodown-hmac"][scenario]["rate"]
            / r["zerodown"][scenario]["rate"]
            for r in rounds
            if "zerodown-hmac" in r and "zerodown" in r
        ]
        if signed:
            cost = 1 - _median(signed)
            lines.append(
                (
                    cost <= 0.10,
                    f"signing costs {cost:+.0%} of {scenario} throughput "
                    "[<= 10%]",
                )
            )
    for scenario, floor in (("cast", 1000), ("call1", 500), ("call8", 500)):
        values = by.get(("embedded", scenario), {}).get("rate")
        if values:
            rate = _median(values)
            lines.append(
                (
                    rate >= floor,
                    f"embedded {scenario}: {rate:,.0f}/s [>= {floor:,}/s]",
                )
            )
    for scenario in SCENARIOS:
        cpu = _median(
            _ratio(rounds, "zerodown", scenario, "cpu_us", invert=True)
        )
        lines.append(
            (
                cpu >= 3.0,
                f"{scenario}: CPU per message {cpu:.2f}x lower than "
                "oslo.messaging's [>= 3x]",
            )
        )
    for ok, text in lines:
        print(f"  {_verdict(ok)}  {text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 round, fewer messages (a smoke run)",
    )
    parser.add_argument(
        "--stacks",
        help=f"a subset of {','.join(STACKS)} (oslo always runs)",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--topic", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.topic, args.path)
        return 0
    if args.client:
        result = run_client(
            args.client,
            args.topic,
            args.scenario,
            args.n,
            args.server_pid,
            args.path,
        )
        print(json.dumps(result))
        return 0
    counts = {"call1": 2000, "call8": 4000, "cast": 5000}
    rounds = args.rounds
    if args.quick:
        counts, rounds = {"call1": 300, "call8": 800, "cast": 1000}, 1
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        chosen = list(STACKS)
        if args.stacks:
            chosen = ["oslo", *args.stacks.split(",")]
            unknown = set(chosen) - set(STACKS)
            if unknown:
                parser.error(f"unknown stacks: {', '.join(sorted(unknown))}")
        for number in range(rounds):
            order = list(dict.fromkeys(chosen))
            random.shuffle(order)
            print(
                f"round {number + 1}/{rounds}: {', '.join(order)}",
                file=sys.stderr,
                flush=True,
            )
            results.append(
                {stack: one_stack(stack, counts, tmp) for stack in order}
            )
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
