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
    spec = importlib.util.spec_from_file_location(
        "shop_walkthrough", SHOP / "walkthrough.py"
    )
    walkthrough = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(walkthrough)
    assert walkthrough.main(["--database-url", zerodown_db.url]) == 0
    out = capsys.readouterr().out
    assert "release 1 placed an order for Grace Hopper" in out
    assert "release 3 placed an order for Donald Knuth" in out
    assert "release 1's report would now fail" in out
    assert "fax" in out.split("would now fail")[1]
