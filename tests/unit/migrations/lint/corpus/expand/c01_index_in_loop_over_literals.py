"""An index per column, created in a loop over literal names (squawk:
require-concurrent-index-creation): lint reads each pass."""

from alembic import op

revision = "c01"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": [
        "require-concurrent-index-creation:error",
        "require-concurrent-index-creation:error",
    ],
    "mysql 8.0.40": [],
    "mariadb 10.6": [],
}


def upgrade():
    for column in ("email", "phone"):
        op.create_index(f"ix_users_{column}", "users", [column])
