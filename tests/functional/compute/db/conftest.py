"""The compute stack's migration tests: a configuration of the test
database."""

from __future__ import annotations

import pytest

from zerodown.compute.deploy import alembic_ini
from zerodown.config import load_config


@pytest.fixture
def config(zerodown_db, tmp_path):
    ini = alembic_ini(tmp_path, zerodown_db.url)
    return load_config(
        ini, environ={}, overrides={"database_url": zerodown_db.url}
    )
