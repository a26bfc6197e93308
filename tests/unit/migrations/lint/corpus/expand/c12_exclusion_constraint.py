"""An exclusion constraint (PostgreSQL): built under ACCESS EXCLUSIVE,
no online form."""

from alembic import op

revision = "c12"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["adding-exclusion-constraint:error"],
    "mysql 8.0.40": [],
    "mariadb 10.6": [],
}


def upgrade():
    op.create_exclude_constraint(
        "no_overlap",
        "bookings",
        ("room", "="),
        ("during", "&&"),
        using="gist",
    )
