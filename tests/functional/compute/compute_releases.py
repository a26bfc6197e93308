"""The compute stack's releases as its migration tests walk them: their
revisions, rows as release 1 writes them, and ``migrate`` until done
(the ``config`` fixture is in ``db/conftest.py``)."""

from __future__ import annotations

import sqlalchemy as sa
from compute_samples import flavor

from zerodown.compute.db import blobs
from zerodown.migrations import command
from zerodown.testing.waiting import eventually

R1_EXPAND, R1_CONTRACT = "3c51b0e2a9d4", "cae7009e84da"
# Release 2's own revisions: release 3's expand needs release 2's
# contract done (test_compute_release_3_widen.py).
R2_EXPAND, R2_CONTRACT = "5e2b7c4d1a90", "8f1d3a6b2c57"


def r1_boot(conn, uuid, image):
    """What release 1's API writes: the image on ``instances``, then the
    extra row."""
    conn.execute(
        sa.text(
            "INSERT INTO instances (uuid, display_name, vm_state, vcpus, "
            "memory_mb, root_gb, ephemeral_gb, image_ref, created_at, "
            "deleted) VALUES (:uuid, 'r1', 'active', 1, 512, 1, 0, :image, "
            "CURRENT_TIMESTAMP, :false)"
        ),
        {"uuid": uuid, "image": image, "false": False},
    )
    conn.execute(
        sa.text(
            "INSERT INTO instance_extra (instance_uuid, flavor) "
            "VALUES (:uuid, :flavor)"
        ),
        {"uuid": uuid, "flavor": blobs.dump(flavor("small", 1, 512))},
    )


def migrate_all(config):
    """``migrate`` again while it says there is more to do (exit 1), as
    an operator would; a backfill that never ends fails the test."""
    eventually(
        lambda: command.migrate(config).exit_code != 1,
        timeout=60,
        interval=0,
        message="the data migrations never finished",
    )
