"""Release 2: customers gain an email, looked up by an index, and their
``name`` becomes ``full_name``.

All of it runs in expand, while release 1 keeps running: the email column
and its index are plain additions; the rename is online (release 1 writes
``name``, release 2 ``full_name``, triggers copy each write to the other).
Release 2 stops writing ``fax`` but still has the column.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("full_name", sa.String(100), nullable=False),
    sa.Column("fax", sa.String(30), nullable=True),
    sa.Column("email", sa.String(200), nullable=True),
    sa.Index("ix_customers_email", "email"),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "customer_id",
        sa.Integer,
        sa.ForeignKey("customers.id"),
        nullable=False,
    ),
    sa.Column("total_cents", sa.Integer, nullable=False),
)


def place_order(conn: sa.Connection, name: str, total_cents: int) -> int:
    """Insert a customer (with an email, no fax) and an order."""
    email = f"{name.lower().replace(' ', '.')}@example.com"
    customer_id = conn.execute(
        customers.insert().values(full_name=name, email=email)
    ).inserted_primary_key[0]
    conn.execute(
        orders.insert().values(
            customer_id=customer_id, total_cents=total_cents
        )
    )
    return int(customer_id)


def report(conn: sa.Connection) -> list[tuple[str, str | None, int]]:
    """Every order with its customer's full name and email."""
    query = (
        sa.select(
            customers.c.full_name, customers.c.email, orders.c.total_cents
        )
        .join(orders, orders.c.customer_id == customers.c.id)
        .order_by(orders.c.id)
    )
    return [tuple(row) for row in conn.execute(query)]
