"""release 2: rename instances.hostname, move numa_topology to instance_extra

Both run online: expand adds the new columns with dual-write triggers,
``zerodown db migrate`` copies the existing rows, and the contract revision
with the same two calls removes the old columns once release 1 is gone.

Revision ID: a1c0ffee0002
Revises: a1c0ffee0001
"""

from zerodown.migrations.operations import zop

revision = "a1c0ffee0002"
down_revision = "a1c0ffee0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    zop.rename_column("instances", "hostname", "display_name")
    zop.move_column(
        "instances", "numa_topology", "instance_extra",
        on={"instance_uuid": "uuid"},
    )


def downgrade() -> None:
    # In an expand revision's downgrade, an online operation rolls back.
    zop.move_column(
        "instances", "numa_topology", "instance_extra",
        on={"instance_uuid": "uuid"},
    )
    zop.rename_column("instances", "hostname", "display_name")
