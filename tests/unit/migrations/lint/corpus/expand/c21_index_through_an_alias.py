"""An index built through op.create_index handed on as a value (an
alias, getattr): lint cannot tell what it is called with, and says so."""

from alembic import op

revision = "c21"
down_revision = None
HOW = "create_index"

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": [
        "unreadable-operation:error",
        "unreadable-operation:error",
    ],
    "mysql 8.0.40": [
        "unreadable-operation:error",
        "unreadable-operation:error",
    ],
    "mariadb 10.6": [
        "unreadable-operation:error",
        "unreadable-operation:error",
    ],
}


def upgrade():
    create = op.create_index
    create("ix_users_email", "users", ["email"])
    getattr(op, HOW)("ix_orders_placed_at", "orders", ["placed_at"])
