"""Roll the shop from release 1 to release 3 the zero-downtime way.

Each upgrade runs ``expand`` while the old release still serves, proves
that old and new code both work against the expanded schema, and runs
``contract`` only once the old release is gone.  Release 3's expand runs
before release 2's contract: for a while three releases serve, and two
online operations are in flight on the same table; ``migrate`` and
``contract`` then finish both, in order.  The contract gate's answer is
shown at each step.  Run it with::

    python examples/shop/walkthrough.py                      # SQLite
    python examples/shop/walkthrough.py --database-url URL   # any backend
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from rich.console import Console

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from zerodown.config import Config, load_config  # noqa: E402
from zerodown.migrations import Phase, command  # noqa: E402

console = Console(highlight=False, soft_wrap=True)


def release(number: int) -> ModuleType:
    return importlib.import_module(f"shop.release{number}")


def revision_of(config: Config, number: int, phase: Phase) -> str:
    """The newest revision of ``phase`` that release ``number`` ships."""
    shipped = [
        entry
        for entry in command.history(config)
        if entry.phase is phase
        and (
            not entry.message.startswith("release ")
            or int(entry.message.split()[1].rstrip(":")) <= number
        )
    ]
    return shipped[0].revision  # history lists newest first


def show_status(config: Config) -> None:
    state = command.status(config)
    for branch in state.branches:
        pending = ", ".join(branch.pending) or "none"
        console.print(
            f"    {branch.phase}: at {branch.current or '-'}; "
            f"pending: {pending}"
        )


def step(title: str) -> None:
    console.print(f"\n[bold]{title}[/bold]")


def upgrade(config: Config, number: int, phase: Phase) -> None:
    target = revision_of(config, number, phase)
    run = command.expand if phase is Phase.EXPAND else command.contract
    run(config, target)
    console.print(f"  zerodown db {phase} {target}  [green]ok[/green]")
    show_status(config)


def show_gate(config: Config, number: int) -> None:
    """The contract gate's answer for release ``number``'s contract."""
    target = revision_of(config, number, Phase.CONTRACT)
    report = command.contract_gate(config, target)
    if not report.checks:
        console.print(f"    gate for release {number}: nothing to contract")
        return
    state = "open" if report.open else "closed"
    console.print(f"    gate for release {number}'s contract: {state}")
    for reason in report.reasons:
        console.print(f"      {reason}")


def migrate(config: Config) -> None:
    result = command.migrate(config)
    assert result.exit_code == 0, result
    done = ", ".join(
        f"{o.name} ({o.done} rows)" for o in result.outcomes if o.done
    )
    console.print(
        f"  zerodown db migrate  [green]ok[/green]: {done or 'nothing'}"
    )


# Customers written by a release that records an email (2 and 3).
EMAILED: set[str] = set()


def serve(engine: sa.Engine, number: int, customer: str) -> None:
    """One request of release ``number``: place an order, read the report."""
    app = release(number)
    if number > 1:
        EMAILED.add(customer)
    with engine.begin() as conn:
        app.place_order(conn, customer, 1000 + 100 * number)
        rows = app.report(conn)
    console.print(
        f"  release {number} placed an order for {customer}; "
        f"its report reads {len(rows)} orders, last {rows[-1]}"
    )


def reads_everyone(engine: sa.Engine, number: int, names: list[str]) -> None:
    """Release ``number`` sees every customer, whichever release wrote
    them, and (from release 2 on) the email of each that was given one."""
    with engine.begin() as conn:
        rows = {row[0]: row[1] for row in release(number).report(conn)}
    missing = sorted(set(names) - set(rows))
    assert not missing, f"release {number} does not see {missing}"
    if number > 1:
        emailed = [n for n in names if n in EMAILED]
        lost = sorted(n for n in emailed if not rows[n])
        assert not lost, f"release {number} lost the email of {lost}"
    console.print(
        f"  release {number} reads all {len(names)} customers, whichever "
        "release wrote them"
    )


def old_code_breaks(engine: sa.Engine, number: int) -> str:
    try:
        with engine.begin() as conn:
            release(number).report(conn)
    except sa.exc.DBAPIError as err:
        return str(err.orig).splitlines()[0]
    raise AssertionError(f"release {number} still works after contract")


def walk(config: Config, engine: sa.Engine) -> None:
    step("Release 1 goes live")
    upgrade(config, 1, Phase.EXPAND)
    upgrade(config, 1, Phase.CONTRACT)
    serve(engine, 1, "Ada Lovelace")

    step("Upgrade to release 2: expand while release 1 serves")
    upgrade(config, 2, Phase.EXPAND)
    serve(engine, 1, "Grace Hopper")
    serve(engine, 2, "Alan Turing")
    show_gate(config, 2)

    step("Release 3's expand runs while release 2's contract is still pending")
    console.print(
        "  (a release-1 process may linger, so customers.name stays; "
        "customers now carries two online operations in flight: release "
        "2's rename and release 3's type change)"
    )
    upgrade(config, 3, Phase.EXPAND)
    names = ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    for number, customer in (
        (1, "Edsger Dijkstra"),
        (2, "Barbara Liskov"),
        (3, "Frances Allen"),
    ):
        serve(engine, number, customer)
        names.append(customer)
    show_gate(config, 2)
    show_gate(config, 3)

    step("zerodown db migrate finishes both releases' backfills")
    migrate(config)
    for number in (1, 2, 3):
        reads_everyone(engine, number, names)
    show_gate(config, 2)
    show_gate(config, 3)

    step("Release 1 is gone: contract release 2 (drops customers.name)")
    upgrade(config, 2, Phase.CONTRACT)
    console.print(
        "  release 1's report fails now, which is why contract waited: "
        f"{old_code_breaks(engine, 1)}"
    )
    serve(engine, 2, "John Backus")
    serve(engine, 3, "Kathleen Booth")
    names += ["John Backus", "Kathleen Booth"]
    for number in (2, 3):
        reads_everyone(engine, number, names)
    show_gate(config, 3)

    step("Release 2 is gone: contract release 3 (drops fax and email)")
    upgrade(config, 3, Phase.CONTRACT)
    serve(engine, 3, "Donald Knuth")
    reads_everyone(engine, 3, [*names, "Donald Knuth"])
    console.print(
        "  release 2's report would now fail, which is why contract "
        f"waited: {old_code_breaks(engine, 2)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="an empty database (default: a new SQLite file)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zerodown-shop-") as scratch:
        url = args.database_url or f"sqlite:///{scratch}/shop.sqlite"
        config = load_config(
            HERE / "alembic.ini", overrides={"database_url": url}
        )
        engine = sa.create_engine(url)
        try:
            walk(config, engine)
        finally:
            engine.dispose()
        console.print("\n[bold green]Three releases, no downtime.[/]")
        return 0 if command.status(config).up_to_date else 1


if __name__ == "__main__":
    sys.exit(main())
