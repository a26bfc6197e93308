"""Behind the schemas: what each database raises for a value its column
cannot hold is a 400 (and a warning naming the gap), never a 500.  The
schemas are switched off here to reach the databases at all."""

from __future__ import annotations

import logging

import pytest
from api_harness import SMALL, Api, message

from zerodown.compute.api import validation

UNFIT = "a value does not fit its database column"


@pytest.fixture
def api(zerodown_db, tmp_path, monkeypatch):
    harness = Api(tmp_path, zerodown_db.url)
    assert harness.wsgi("POST", "/flavors", {"flavor": SMALL})[0] == 200
    anything = validation.Schema({})
    monkeypatch.setattr(validation, "FLAVOR", anything)
    monkeypatch.setattr(validation, "SERVER", anything)
    yield harness
    harness.close()


def _flavor(**changes):
    flavor = {"name": "f", "id": "f", "vcpus": 1, "ram": 1, "disk": 1}
    return {"flavor": {**flavor, **changes}}


# path, body, and the answer on sqlite, postgresql and mysql (MariaDB):
# SQLite stores what the others refuse, except what no driver can bind.
CASES = {
    "ram 2^63 (no backend binds it)": (
        "/flavors",
        _flavor(ram=2**63),
        (400, 400, 400),
    ),
    "ram 2^31 (32-bit columns)": (
        "/flavors",
        _flavor(ram=2**31),
        (200, 400, 400),
    ),
    "name with a lone surrogate (no driver encodes it)": (
        "/flavors",
        _flavor(name="\ud800"),
        (400, 400, 400),
    ),
    "name with a NUL (PostgreSQL cannot store it)": (
        "/flavors",
        _flavor(name="a\x00b"),
        (200, 400, 200),
    ),
    "name of 300 characters (String(255))": (
        "/flavors",
        _flavor(name="n" * 300),
        (200, 400, 400),
    ),
    "imageRef of 300 characters (String(255))": (
        "/servers",
        {
            "server": {
                "name": "vm",
                "flavorRef": "small",
                "imageRef": "i" * 300,
            }
        },
        (202, 400, 400),
    ),
}
BACKENDS = ("sqlite", "postgresql", "mysql")


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_value_the_database_refuses_is_a_400(api, zerodown_db, case, caplog):
    path, body, answers = CASES[case]
    caplog.set_level(logging.WARNING, "zerodown.compute.api")
    status, answer, _ = api.wsgi("POST", path, body)
    assert status == answers[BACKENDS.index(zerodown_db.backend)], answer
    if status == 400:
        assert message(answer) == UNFIT
        warned = [r.getMessage() for r in caplog.records]
        assert any("schemas let through" in w for w in warned)
    assert api.wsgi("GET", "/flavors/small")[0] == 200
