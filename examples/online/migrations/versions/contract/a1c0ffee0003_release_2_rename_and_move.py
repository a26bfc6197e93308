"""release 2: drop instances.hostname and instances.numa_topology

Revision ID: a1c0ffee0003
Revises: aba7ebb7554a
"""

from zerodown.migrations.operations import zop

revision = "a1c0ffee0003"
down_revision = "aba7ebb7554a"
branch_labels = None
depends_on = "a1c0ffee0002"


def upgrade() -> None:
    zop.rename_column("instances", "hostname", "display_name")
    zop.move_column(
        "instances", "numa_topology", "instance_extra",
        on={"instance_uuid": "uuid"},
    )


def downgrade() -> None:
    upgrade()  # refuses: the old columns' data is gone after contract
