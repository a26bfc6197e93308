"""Roll the shop from release 1 to release 3 the zero-downtime way.

Each upgrade runs ``expand`` while the old release still serves, proves
that old and new code both work against the expanded schema, and runs
``contract`` only once the old release is gone.  Run it with::

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
from zerodown.migrations import Phase, api  # noqa: E402

console = Console(highlight=False)


def release(number: int) -> ModuleType:
    return importlib.import_module(f"shop.release{number}")


def revision_of(config: Config, number: int, phase: Phase) -> str:
    """The newest revision of ``phase`` that release ``number`` ships."""
    shipped = [
        entry
        for entry in api.history(config)
        if entry.phase is phase
        and (
            not entry.message.startswith("release ")
            or int(entry.message.split()[1].rstrip(":")) <= number
        )
    ]
    return shipped[0].revision  # history lists newest first


def show_status(config: Config) -> None:
    state = api.status(config)
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
    run = api.expand if phase is Phase.EXPAND else api.contract
    run(config, target)
    console.print(f"  zerodown db {phase} {target}  [green]ok[/green]")
    show_status(config)


def serve(engine: sa.Engine, number: int, customer: str) -> None:
    """One request of release ``number``: place an order, read the report."""
    app = release(number)
    with engine.begin() as conn:
        app.place_order(conn, customer, 1000 + 100 * number)
        rows = app.report(conn)
    console.print(
        f"  release {number} placed an order for {customer}; "
        f"its report reads {len(rows)} orders, last {rows[-1]}"
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
    step("Release 1 is gone: contract (release 2 removes nothing)")
    upgrade(config, 2, Phase.CONTRACT)

    step("Upgrade to release 3: expand while release 2 serves")
    upgrade(config, 3, Phase.EXPAND)
    serve(engine, 2, "Edsger Dijkstra")
    serve(engine, 3, "Barbara Liskov")
    step("Release 2 is gone: contract drops customers.fax")
    upgrade(config, 3, Phase.CONTRACT)
    serve(engine, 3, "Donald Knuth")
    console.print(
        "  release 1's report would now fail, which is why contract "
        f"waited: {old_code_breaks(engine, 1)}"
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
        return 0 if api.status(config).up_to_date else 1


if __name__ == "__main__":
    sys.exit(main())
