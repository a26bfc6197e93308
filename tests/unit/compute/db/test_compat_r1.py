"""Release 1's image_ref fallback runs a transaction again only when the
contract dropped the old column under it (the database path is in
tests/functional/compute/db/test_compute_release_2_move.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from zerodown.compute.db.compat_r1 import ImageRefFallback
from zerodown.compute.db.instances import IMAGE_REF


@pytest.fixture
def engine(tmp_path):
    made = sa.create_engine(f"sqlite:///{tmp_path / 'r1.db'}")
    with made.begin() as conn:
        conn.execute(sa.text("CREATE TABLE instances (id INTEGER)"))
    yield made
    made.dispose()


def _failing(error, calls):
    def work(conn, image_ref):
        calls.append(image_ref)
        if len(calls) == 1:
            raise sa.exc.OperationalError("SELECT", {}, Exception(error))
        return "read"

    return work


def test_a_read_of_the_dropped_column_runs_again_without_it(engine):
    fallback = ImageRefFallback(engine)
    fallback.present = True  # it was there when last looked at
    calls: list[sa.ColumnElement] = []
    work = _failing("no such column: instances.image_ref", calls)
    assert fallback.transaction(work) == "read"
    assert len(calls) == 2 and calls[1] is IMAGE_REF
    assert fallback.present is False


@pytest.mark.parametrize(
    "error", ["database is locked", "no such column: instances.image_ref"]
)
def test_any_other_error_is_raised_as_it_is(engine, error):
    """A lost connection or a lock is not retried, and neither is the
    column's name in an error while the column is still there."""
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE instances ADD image_ref TEXT"))
    fallback = ImageRefFallback(engine)
    calls: list[sa.ColumnElement] = []
    with pytest.raises(sa.exc.OperationalError, match=error):
        fallback.transaction(_failing(error, calls))
    assert len(calls) == 1 and calls[0] is not IMAGE_REF
    assert fallback.present is True


def test_without_the_old_column_reads_take_the_new_one(engine):
    fallback = ImageRefFallback(engine)
    assert fallback.transaction(lambda conn, image_ref: image_ref) is IMAGE_REF
    assert fallback.present is False
