"""Indexes built by a class's method, and a helper handed op as an
argument: the method is not followed (reported), the helper is read with
its parameter standing for op."""

from alembic import op

revision = "c22"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": [
        "unreadable-operation:error",
        "require-concurrent-index-creation:error",
    ],
    "mysql 8.0.40": ["unreadable-operation:error"],
    "mariadb 10.6": ["unreadable-operation:error"],
}


class Indexes:
    def __init__(self, table):
        self.table = table

    def build(self, column):
        op.create_index(f"ix_{self.table}_{column}", self.table, [column])


def index(operations, table, column):
    operations.create_index(f"ix_{table}_{column}", table, [column])


def upgrade():
    Indexes("users").build("email")
    index(op, "orders", "placed_at")
