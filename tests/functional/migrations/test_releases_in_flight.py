"""Several releases in flight: release N+2's expand, with its online
operation, runs while release N+1's contract is pending, and release
N+1's contract then runs while release N+2's backfill is still pending
(the shop example: release 2 renames customers.name, release 3 changes
customers.email's type; both keep triggers on customers at once)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from zerodown.config import load_config
from zerodown.exceptions import ContractGateClosed
from zerodown.migrations import api

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"
EXPAND = {1: "ae9d12f13f66", 2: "dfc5bf41c36a", 3: "dcc318961801"}
CONTRACT = {1: "4acba601a29c", 2: "5e1f0a2b3c4d", 3: "9b4fbc8dc627"}


@pytest.fixture
def shop(zerodown_db, monkeypatch):
    monkeypatch.syspath_prepend(str(SHOP))
    config = load_config(
        SHOP / "alembic.ini", overrides={"database_url": zerodown_db.url}
    )
    yield config, zerodown_db.engine
    for name in [m for m in sys.modules if m.split(".")[0] == "shop"]:
        del sys.modules[name]


def _release(number):
    return importlib.import_module(f"shop.release{number}")


def _emails(engine, number):
    with engine.begin() as conn:
        return {row[0]: row[1] for row in _release(number).report(conn)}


def _reasons(report):
    return [r for r in report.reasons if r.startswith("data-migrated")]


def test_n_plus_1_contracts_while_n_plus_2_backfill_is_pending(shop):
    config, engine = shop
    api.expand(config, EXPAND[1])
    api.contract(config, CONTRACT[1])
    with engine.begin() as conn:
        _release(1).place_order(conn, "Ada Lovelace", 100)
    api.expand(config, EXPAND[2])
    assert api.migrate(config).exit_code == 0
    with engine.begin() as conn:
        _release(2).place_order(conn, "Alan Turing", 200)

    api.expand(config, EXPAND[3])  # release 2's contract still pending
    # Release 2's contract needs nothing of release 3's backfill ...
    assert api.contract_gate(config, CONTRACT[2]).open
    # ... release 3's does, and says which.
    closed = api.contract_gate(config, CONTRACT[3])
    (reason,) = _reasons(closed)
    assert "change_column_type:customers.email" in reason
    with pytest.raises(ContractGateClosed, match=r"customers\.email"):
        api.contract(config, CONTRACT[3])

    api.contract(config, CONTRACT[2])
    # Release 3's triggers survived release 2's contract (on SQLite it
    # rebuilt customers to make full_name NOT NULL): what release 2
    # writes now still reaches release 3's column, and back.
    with engine.begin() as conn:
        _release(2).place_order(conn, "Grace Hopper", 300)
        _release(3).place_order(conn, "Frances Allen", 400)
    assert _emails(engine, 3)["Grace Hopper"] == "grace.hopper@example.com"
    assert _emails(engine, 2)["Frances Allen"] == "frances.allen@example.com"
    assert _emails(engine, 3)["Alan Turing"] is None  # not copied yet

    assert api.migrate(config).exit_code == 0
    assert _emails(engine, 3)["Alan Turing"] == "alan.turing@example.com"
    assert api.contract_gate(config, CONTRACT[3]).open
    api.contract(config, CONTRACT[3])
    assert api.status(config).up_to_date
    assert set(_emails(engine, 3)) == {
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Frances Allen",
    }
    columns = {c["name"] for c in sa.inspect(engine).get_columns("customers")}
    assert columns == {"id", "full_name", "contact_email"}
