"""Indexes built by a helper function with parameters, called with
literals: lint reads the helper once per call."""

from alembic import op

revision = "c04"
down_revision = None


def index(table, column, unique=False):
    op.create_index(f"ix_{table}_{column}", table, [column], unique=unique)


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
    index("users", "email", unique=True)
    index("orders", "placed_at")
