"""Several releases in flight: release N+2's expand, with its online
operation, runs while release N+1's contract is pending, and release
N+1's contract then runs while release N+2's backfill is still pending
(the shop example: release 2 renames customers.name, release 3 changes
customers.email's type; both keep triggers on customers at once).  Also
release N+2's expand before release N+1's backfill has run: one migrate
then runs both backfills and one contract both contracts, in order."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from zerodown.config import load_config
from zerodown.migrations import command
from zerodown.migrations.errors import ContractGateClosed

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
    command.expand(config, EXPAND[1])
    command.contract(config, CONTRACT[1])
    with engine.begin() as conn:
        _release(1).place_order(conn, "Ada Lovelace", 100)
    command.expand(config, EXPAND[2])
    assert command.migrate(config).exit_code == 0
    with engine.begin() as conn:
        _release(2).place_order(conn, "Alan Turing", 200)

    command.expand(config, EXPAND[3])  # release 2's contract still pending
    # Release 2's contract needs nothing of release 3's backfill ...
    assert command.contract_gate(config, CONTRACT[2]).open
    # ... release 3's does, and says which.
    closed = command.contract_gate(config, CONTRACT[3])
    (reason,) = _reasons(closed)
    assert "change_column_type:customers.email" in reason
    with pytest.raises(ContractGateClosed, match=r"customers\.email"):
        command.contract(config, CONTRACT[3])

    command.contract(config, CONTRACT[2])
    # Release 3's triggers survived release 2's contract (on SQLite it
    # rebuilt customers to make full_name NOT NULL): what release 2
    # writes now still reaches release 3's column, and back.
    with engine.begin() as conn:
        _release(2).place_order(conn, "Grace Hopper", 300)
        _release(3).place_order(conn, "Frances Allen", 400)
    assert _emails(engine, 3)["Grace Hopper"] == "grace.hopper@example.com"
    assert _emails(engine, 2)["Frances Allen"] == "frances.allen@example.com"
    assert _emails(engine, 3)["Alan Turing"] is None  # not copied yet

    assert command.migrate(config).exit_code == 0
    assert _emails(engine, 3)["Alan Turing"] == "alan.turing@example.com"
    assert command.contract_gate(config, CONTRACT[3]).open
    command.contract(config, CONTRACT[3])
    assert command.status(config).up_to_date
    assert set(_emails(engine, 3)) == {
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Frances Allen",
    }
    columns = {c["name"] for c in sa.inspect(engine).get_columns("customers")}
    assert columns == {"id", "full_name", "contact_email"}


def test_n_plus_2_expands_before_n_plus_1_is_backfilled(shop):
    """Release 3's expand runs while release 2's backfill and contract
    are both pending; then one ``migrate`` runs both backfills and one
    ``contract`` runs both contracts, in order.  The gate's answer is
    asked at each step, for each release's contract."""
    config, engine = shop
    command.expand(config, EXPAND[1])
    command.contract(config, CONTRACT[1])
    with engine.begin() as conn:
        _release(1).place_order(conn, "Ada Lovelace", 100)

    command.expand(config, EXPAND[2])
    (reason,) = _reasons(command.contract_gate(config, CONTRACT[2]))
    assert "rename_column:customers.name" in reason
    with engine.begin() as conn:
        _release(2).place_order(conn, "Alan Turing", 200)

    # Release 2 is neither backfilled nor contracted.
    command.expand(config, EXPAND[3])
    # Each release's contract waits for its own backfill only.
    (reason,) = _reasons(command.contract_gate(config, CONTRACT[2]))
    assert "rename_column:customers.name" in reason
    assert "customers.email" not in reason
    reasons = " ".join(_reasons(command.contract_gate(config, CONTRACT[3])))
    assert "change_column_type:customers.email" in reasons
    assert "rename_column:customers.name" in reasons
    with pytest.raises(ContractGateClosed, match=r"customers\.name"):
        command.contract(config)
    assert not command.status(config).up_to_date
    # Releases 1, 2 and 3 all write while both operations are in flight,
    # and each reads what the others wrote (release 1 has no email).
    with engine.begin() as conn:
        _release(1).place_order(conn, "Grace Hopper", 300)
        _release(2).place_order(conn, "Edsger Dijkstra", 350)
        _release(3).place_order(conn, "Frances Allen", 400)
    with engine.begin() as conn:
        names = {row[0] for row in _release(1).report(conn)}
    assert {"Edsger Dijkstra", "Frances Allen"} <= names
    assert _emails(engine, 2)["Frances Allen"] == "frances.allen@example.com"
    from_3 = _emails(engine, 3)
    assert from_3["Edsger Dijkstra"] == "edsger.dijkstra@example.com"
    assert from_3["Grace Hopper"] is None
    assert from_3["Alan Turing"] is None  # release 3's backfill pending

    assert command.migrate(config).exit_code == 0  # both backfills
    assert command.contract_gate(config, CONTRACT[2]).open
    assert command.contract_gate(config, CONTRACT[3]).open
    command.contract(config)  # release 2's contract, then release 3's
    assert command.status(config).up_to_date
    # Both contracts ran: name (release 2's), email and fax (release 3's)
    # are gone.
    assert _emails(engine, 3) == {
        "Ada Lovelace": None,
        "Alan Turing": "alan.turing@example.com",
        "Grace Hopper": None,
        "Edsger Dijkstra": "edsger.dijkstra@example.com",
        "Frances Allen": "frances.allen@example.com",
    }
    columns = {c["name"] for c in sa.inspect(engine).get_columns("customers")}
    assert columns == {"id", "full_name", "contact_email"}


ZOP = "from zerodown.migrations.operations import zop\n"
RENAME_A = 'zop.rename_column("t", "a", "a2")'
RENAME_B = 'zop.rename_column("t", "b", "b2")'


def _row(engine, key, columns):
    with engine.connect() as conn:
        query = f"SELECT {', '.join(columns)} FROM t WHERE id = :id"
        return tuple(conn.execute(sa.text(query), {"id": key}).one())


def _insert(engine, key, values):
    with engine.begin() as conn:
        names = ", ".join(["id", *values])
        marks = ", ".join([":id", *(f":{c}" for c in values)])
        conn.execute(
            sa.text(f"INSERT INTO t ({names}) VALUES ({marks})"),
            {"id": key, **values},
        )


def test_two_renames_of_not_null_columns_in_flight_on_one_table(project):
    """Release N+2 renames t.b while release N+1's rename of t.a waits
    for its contract.  Both columns are NOT NULL: on SQLite, relaxing b
    rebuilds t, and a's triggers must survive that (and the rebuilds of
    both contracts)."""
    assert project.zerodown("expand").exit_code == 0
    assert project.zerodown("contract").exit_code == 0
    (table,) = project.revision("t")
    project.write_upgrade(
        table,
        """
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("a", sa.String(20), nullable=False),
            sa.Column("b", sa.String(20), nullable=False),
        )
        """,
    )
    first = project.revision("rename t.a", "--contract")
    for script in first:
        project.write_upgrade(script, RENAME_A, header=ZOP)
    assert project.zerodown("expand").exit_code == 0
    second = project.revision("rename t.b", "--contract")
    for script in second:
        project.write_upgrade(script, RENAME_B, header=ZOP)
    result = project.zerodown("expand")
    assert result.exit_code == 0, result.output
    engine = project.database.engine
    # Releases N, N+1 and N+2 write at once; every column pair agrees.
    _insert(engine, 1, {"a": "n-a", "b": "n-b"})
    _insert(engine, 2, {"a2": "n1-a", "b": "n1-b"})
    _insert(engine, 3, {"a2": "n2-a", "b2": "n2-b"})
    columns = ("a", "a2", "b", "b2")
    assert _row(engine, 1, columns) == ("n-a", "n-a", "n-b", "n-b")
    assert _row(engine, 2, columns) == ("n1-a", "n1-a", "n1-b", "n1-b")
    assert _row(engine, 3, columns) == ("n2-a", "n2-a", "n2-b", "n2-b")

    first_contract = first[1].stem.split("_")[0]
    result = project.zerodown("contract", first_contract)
    assert result.exit_code == 0, result.output
    # b's triggers outlived a's contract (a rebuild on SQLite).
    _insert(engine, 4, {"a2": "n1-a", "b": "n1-b4"})
    _insert(engine, 5, {"a2": "n2-a", "b2": "n2-b5"})
    assert _row(engine, 4, ("b", "b2")) == ("n1-b4", "n1-b4")
    assert _row(engine, 5, ("b", "b2")) == ("n2-b5", "n2-b5")

    assert project.zerodown("migrate").exit_code == 0
    result = project.zerodown("contract")
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        found = {c["name"]: c for c in sa.inspect(conn).get_columns("t")}
    assert set(found) == {"id", "a2", "b2"}
    assert not found["a2"]["nullable"] and not found["b2"]["nullable"]
