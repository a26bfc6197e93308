"""pytest-alembic's built-in tests, with its standard fixtures, on the
compute stack's schema and the examples, on every backend.

Nothing here is written for zerodown: each test calls pytest-alembic's own
(``pytest_alembic.tests``) with the ``alembic_runner`` it builds from the
two fixtures it asks a project for, ``alembic_config`` and
``alembic_engine`` (pytest-alembic hands the engine to ``env.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_alembic import tests

ROOT = Path(__file__).resolve().parents[3]
PROJECTS = {
    "compute": ROOT / "alembic.ini",
    "shop": ROOT / "examples" / "shop" / "alembic.ini",
    "online": ROOT / "examples" / "online" / "alembic.ini",
}
# pytest-alembic's setting for "no downgrade below this revision": a
# contract of an online operation dropped what the previous release used,
# and its downgrade is refused (DowngradeRefused, a NotImplementedError);
# every revision after it still goes down and up again.  pytest-alembic
# stops before downgrading *to* the revision named here.
MINIMUM_DOWNGRADE = {
    # Release 3's contract (e3a9c5d1f7b2, the newest revision) swaps the
    # widened instances.id in: going down to release 3's expand is
    # refused, as is release 2's contract (it moved image_ref).
    "compute": "e3a9c5d1f7b2",
    "online": "a1c0ffee0003",  # release 2's contract: rename and move
    # Release 3's contract (9b4fbc8dc627, the newest revision) changes
    # customers.email's type: going down to release 2's is refused.
    "shop": "5e1f0a2b3c4d",
}
# A refused downgrade pytest-alembic meets without this setting only warns
# ("may have passed the test"): here it fails, so the setting is kept true.
SHORT_CIRCUITED = "error:.*short-circuited the downgrade:UserWarning"


@pytest.fixture(params=sorted(PROJECTS))
def project(request) -> str:
    return request.param


@pytest.fixture
def alembic_config(project):
    config = {"file": str(PROJECTS[project])}
    if project in MINIMUM_DOWNGRADE:
        config["minimum_downgrade_revision"] = MINIMUM_DOWNGRADE[project]
    return config


@pytest.fixture
def alembic_engine(zerodown_db):
    return zerodown_db.engine


def test_single_head_revision(alembic_runner):
    # Each release's contract depends on its expand, and the compute
    # stack's release 3 widening depends on release 2's contract, so the
    # two branches meet in one head.  (A newest release with nothing to
    # contract leaves a head per branch, which pytest-alembic counts as
    # two; zerodown's own check wants one head per branch.)
    tests.test_single_head_revision(alembic_runner)


def test_upgrade(alembic_runner):
    tests.test_upgrade(alembic_runner)


def test_model_definitions_match_ddl(alembic_runner):
    tests.test_model_definitions_match_ddl(alembic_runner)


@pytest.mark.filterwarnings(SHORT_CIRCUITED)
def test_up_down_consistency(alembic_runner):
    tests.test_up_down_consistency(alembic_runner)
