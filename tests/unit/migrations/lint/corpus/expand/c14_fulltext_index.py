"""A FULLTEXT index (MySQL/MariaDB): in place, but writes wait for the
build; InnoDB has FULLTEXT from MySQL 5.6 / MariaDB 10.0.5."""

from alembic import op

revision = "c14"
down_revision = None

# What lint reports here, per backend and server version.
EXPECT = {
    "postgresql 13": ["require-concurrent-index-creation:error"],
    "mysql 8.0.40": ["adding-fulltext-index:error"],
    "mariadb 10.6": ["adding-fulltext-index:error"],
    "mysql 5.5": [],
}


def upgrade():
    op.create_index(
        "ft_posts_body", "posts", ["body"], mysql_prefix="FULLTEXT"
    )
