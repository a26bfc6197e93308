"""Release 3: the fax column is gone, and ``email`` becomes
``contact_email``, up to 320 characters.

The type change is online (triggers copy release 2's ``email`` writes to
``contact_email`` and back); dropping ``fax`` and ``email`` is
destructive, so it waits in a contract revision until no release-2
process is left.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("full_name", sa.String(100), nullable=False),
    sa.Column("contact_email", sa.String(320), nullable=True),
    sa.Index("ix_customers_contact_email", "contact_email"),
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
    """Insert a customer (with a contact email) and an order."""
    email = f"{name.lower().replace(' ', '.')}@example.com"
    customer_id = conn.execute(
        customers.insert().values(full_name=name, contact_email=email)
    ).inserted_primary_key[0]
    conn.execute(
        orders.insert().values(
            customer_id=customer_id, total_cents=total_cents
        )
    )
    return int(customer_id)


def report(conn: sa.Connection) -> list[tuple[str, str | None, int]]:
    """Every order with its customer's full name and contact email."""
    query = (
        sa.select(
            customers.c.full_name,
            customers.c.contact_email,
            orders.c.total_cents,
        )
        .join(orders, orders.c.customer_id == customers.c.id)
        .order_by(orders.c.id)
    )
    return [tuple(row) for row in conn.execute(query)]
