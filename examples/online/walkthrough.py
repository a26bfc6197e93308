"""Rename a column and move another to a new table while two releases of
the application write, running the operator's commands at each step.

    python examples/online/walkthrough.py                     # SQLite
    python examples/online/walkthrough.py --database-url URL  # any backend
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from app import release1, release2  # noqa: E402


class Release(threading.Thread):
    """One release's processes: create and update instances in a loop."""

    def __init__(self, code: ModuleType, engine: sa.Engine) -> None:
        super().__init__(name=code.__name__, daemon=True)
        self.code, self.engine = code, engine
        self.last: dict[int, tuple[str, str]] = {}  # what it wrote last
        self.errors: list[str] = []
        self.requests = 0
        self._halt = threading.Event()
        self._random = random.Random(code.__name__)

    def run(self) -> None:
        tag = self.code.__name__.rsplit(".", 1)[-1]
        while not self._halt.is_set():
            value = (
                f"{tag}-vm-{self.requests}",
                f"{tag}-numa-{self.requests}",
            )
            try:
                with self.engine.begin() as conn:
                    if self.last and self._random.random() < 0.5:
                        row = self._random.choice(sorted(self.last))
                        self.code.update(conn, row, *value)
                    else:
                        row = self.code.create(conn, *value)
                self.last[row] = value
            except sa.exc.DBAPIError as err:
                self.errors.append(str(err.orig).splitlines()[0])
            self.requests += 1
            time.sleep(0.005)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def zerodown(url: str, *args: str) -> int:
    print(f"\n$ zerodown db {' '.join(args)}", flush=True)
    command = [
        sys.executable,
        "-m",
        "zerodown",
        "db",
        "-c",
        str(HERE / "alembic.ini"),
        "--database-url",
        url,
        *args,
    ]
    return subprocess.run(command, check=False).returncode


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def walk(url: str, engine: sa.Engine) -> bool:
    say("release 1 is deployed:")
    assert zerodown(url, "expand", "a1c0ffee0001") == 0
    assert zerodown(url, "contract", "aba7ebb7554a") == 0
    old = Release(release1, engine)
    old.start()
    time.sleep(1)
    say(f"release 1 is serving: {old.requests} requests so far")
    assert zerodown(url, "expand") == 0
    new = Release(release2, engine)
    new.start()
    time.sleep(1)
    say(f"both releases serve: {old.requests} + {new.requests} requests")
    zerodown(url, "status")
    assert zerodown(url, "migrate") == 0
    old.stop()
    say(f"release 1 is gone after {old.requests} requests")
    assert zerodown(url, "contract") == 0
    time.sleep(0.5)
    new.stop()
    with engine.connect() as conn:
        stored = release2.read(conn)
    expected = {**old.last, **new.last}
    wrong = {k: v for k, v in expected.items() if stored.get(k) != v}
    say(
        f"{len(stored)} instances; {len(expected) - len(wrong)} carry what "
        f"their last writer wrote; errors: release 1 {len(old.errors)}, "
        f"release 2 {len(new.errors)}"
    )
    return not wrong and not old.errors and not new.errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zerodown-online-") as scratch:
        url = args.database_url or f"sqlite:///{scratch}/online.sqlite"
        connect = {"timeout": 60} if url.startswith("sqlite") else {}
        engine = sa.create_engine(url, connect_args=connect)
        try:
            ok = walk(url, engine)
        finally:
            engine.dispose()
    print("\nno failed request, no lost write" if ok else "\nFAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
