"""The shop example: its migrations pass the built-in checks and its
walkthrough rolls three releases on every backend."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from zerodown.testing.checks import *  # noqa: F403

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"


@pytest.fixture
def zerodown_alembic_ini() -> Path:
    return SHOP / "alembic.ini"


def test_walkthrough_rolls_three_releases(zerodown_db, capsys):
    """Release 3's expand runs before release 2's contract; migrate and
    contract then finish both, in order, with the gate's answer at each
    step."""
    spec = importlib.util.spec_from_file_location(
        "shop_walkthrough", SHOP / "walkthrough.py"
    )
    walkthrough = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(walkthrough)
    assert walkthrough.main(["--database-url", zerodown_db.url]) == 0
    out = capsys.readouterr().out
    steps = out.split("\n\n")
    (in_flight,) = [s for s in steps if "while release 2's contract" in s]
    # Three releases serve one schema, two online operations in flight.
    for number, name in ((1, "Edsger"), (2, "Barbara"), (3, "Frances")):
        assert f"release {number} placed an order for {name}" in in_flight
    gate_2, gate_3 = in_flight.split("gate for release 3")
    assert "release 2's contract: closed" in gate_2
    assert "rename_column:customers.name still finds rows" in gate_2
    assert "change_column_type" not in gate_2  # not release 2's concern
    assert "closed" in gate_3 and "change_column_type" in gate_3
    (migrated,) = [s for s in steps if "zerodown db migrate  ok" in s]
    assert "rename_column:customers.name" in migrated
    assert "change_column_type:customers.email" in migrated
    for number in (1, 2, 3):
        assert f"release {number} reads all 6 customers" in migrated
    assert "release 2's contract: open" in migrated
    assert "release 3's contract: open" in migrated
    (contract_2,) = [s for s in steps if "contract release 2" in s]
    assert "release 1's report fails now" in contract_2
    assert "customers.name" in contract_2.split("fails now")[1]
    assert "release 3 reads all 8 customers" in contract_2
    (contract_3,) = [s for s in steps if "contract release 3" in s]
    assert "release 3 placed an order for Donald Knuth" in contract_3
    assert "email" in contract_3.split("would now fail")[1]
