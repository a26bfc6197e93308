"""Queue and exchange declarations and message conversion for kombu.

Both sides of a queue declare it with the same arguments (a mismatch is a
broker error), so every declaration is made here.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import Iterator
from typing import Any, TypeAlias

import amqp.exceptions  # type: ignore[import-untyped]
from kombu.connection import Connection as _KombuConnection

from zerodown.rpc.transport.amqp_guard import UNREADABLE
from zerodown.rpc.transport.base import Address, Message, Subscription

__all__ = [
    "CONTENT_TYPE",
    "GOODBYE_TIMEOUT",
    "REFUSALS",
    "KombuConnection",
    "amqp_socket",
    "bounded",
    "close_quietly",
    "declare",
    "declare_exchange",
    "declare_queue",
    "has_buffered",
    "masked",
    "new_connection",
    "properties",
    "queue_exists",
    "text",
    "to_message",
]

LOG = logging.getLogger(__name__)
#: kombu ships no type information for its connections.
KombuConnection: TypeAlias = Any
CONTENT_TYPE = "application/x-zerodown"
#: Seconds a goodbye may wait for the broker's answer (closing a
#: connection, cancelling a consumer).  py-amqp waits for it on a socket
#: without a timeout: a broker that went silent (a broken network, a
#: wedged node) would hold a stopping service until TCP gives up.
GOODBYE_TIMEOUT = 1.0
# The broker refused on purpose: retrying cannot help.
REFUSALS = (
    amqp.exceptions.AccessRefused,
    amqp.exceptions.PreconditionFailed,
    amqp.exceptions.NotAllowed,
)


def declare(
    channel: Any, conn: KombuConnection, sub: Subscription, name: str
) -> None:
    """Declare the queue ``name`` for ``sub`` (and bind it to a fanout)."""
    address = sub.address
    if address.fanout:
        declare_exchange(channel, address.name)
        channel.queue_declare(
            queue=name, durable=False, exclusive=True, auto_delete=True
        )
        channel.queue_bind(queue=name, exchange=address.name, routing_key="")
    elif sub.exclusive:
        channel.queue_declare(
            queue=name, durable=False, exclusive=True, auto_delete=True
        )
    else:
        declare_queue(channel, conn, address)


def declare_queue(
    channel: Any, conn: KombuConnection, address: Address
) -> None:
    arguments: dict[str, Any] = {}
    if address.durable and quorum(conn):
        arguments["x-queue-type"] = "quorum"
    if address.max_length:
        arguments["x-max-length"] = address.max_length
    channel.queue_declare(
        queue=address.name,
        durable=address.durable,
        exclusive=False,
        auto_delete=False,
        arguments=arguments or None,
    )


def declare_exchange(channel: Any, name: str) -> None:
    channel.exchange_declare(
        exchange=name, type="fanout", durable=False, auto_delete=False
    )


def quorum(conn: KombuConnection) -> bool:
    properties = getattr(conn.connection, "server_properties", None) or {}
    product = text(properties.get("product"))
    version = text(properties.get("version"))
    if product != "RabbitMQ" or not version:
        return False
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    return parts >= (3, 8)


def text(value: object) -> str:
    """``value`` as text (AMQP tables carry bytes, numbers, strings,
    tables and arrays)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    try:
        return str(value)[:1024]
    except Exception:  # a peer's value whose str() fails: keep the type
        return f"<{type(value).__name__}>"


def queue_exists(
    channel: Any, name: str, errors: tuple[type[BaseException], ...]
) -> bool:
    try:
        channel.queue_declare(queue=name, passive=True)
    except errors:
        return False
    return True


def to_message(raw: Any) -> Message:
    """The :class:`Message` in a py-amqp or kombu message, whatever a peer
    put in it: header values of any AMQP type become text, a body that is
    not bytes becomes bytes (never an exception: the server must see every
    message to settle it).  A compressed body is never inflated (kombu
    would, before any size check): the message is unreadable."""
    properties = raw.properties if isinstance(raw.properties, dict) else {}
    headers = raw.headers if isinstance(raw.headers, dict) else {}
    unreadable = properties.get(UNREADABLE)
    if "compression" in headers:
        unreadable = "a compressed body (refused unread)"
    return Message(
        body=b"" if unreadable else _bytes(raw.body),
        message_id=text(properties.get("message_id")),
        headers={text(k): text(v) for k, v in headers.items()},
        reply_to=text(properties.get("reply_to")) or None,
        correlation_id=text(properties.get("correlation_id")) or None,
        unreadable=text(unreadable) or None,
    )


def _bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8", "surrogateescape")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    return b""


def properties(address: Address, message: Message) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "message_id": message.message_id,
        "delivery_mode": 2 if address.durable else 1,
    }
    if message.reply_to:
        properties["reply_to"] = message.reply_to
    if message.correlation_id:
        properties["correlation_id"] = message.correlation_id
    if message.ttl:
        properties["expiration"] = str(max(1, int(message.ttl * 1000)))
    return properties


def masked(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def amqp_socket(conn: KombuConnection) -> Any:
    """py-amqp's socket under a connected kombu connection, or ``None``
    (another transport)."""
    if conn.transport.driver_type != "amqp":
        return None
    transport = getattr(conn.connection, "transport", None)
    return getattr(transport, "sock", None)


def has_buffered(conn: KombuConnection, sock: Any) -> bool:
    """Whether bytes were read already that ``select()`` cannot see: a
    partial frame in py-amqp's buffer, or decrypted TLS data."""
    if getattr(conn.connection.transport, "_read_buffer", b""):
        return True
    return isinstance(sock, ssl.SSLSocket) and sock.pending() > 0


@contextlib.contextmanager
def bounded(
    conn: KombuConnection, seconds: float = GOODBYE_TIMEOUT
) -> Iterator[None]:
    """Within the block, py-amqp's waits on ``conn`` for the broker end
    after ``seconds`` of silence (``socket.timeout``, an ``OSError``).

    Only an open py-amqp connection is touched (asking kombu for its
    connection would open one); others are left as they are.
    """
    sock = None
    driver = getattr(getattr(conn, "transport", None), "driver_type", None)
    if driver == "amqp":
        opened = getattr(conn, "_connection", None)
        sock = getattr(getattr(opened, "transport", None), "sock", None)
    if sock is None:
        yield
        return
    previous = sock.gettimeout()
    sock.settimeout(seconds)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):  # closed meanwhile
            sock.settimeout(previous)


def close_quietly(conn: KombuConnection | None) -> None:
    """Close ``conn``, waiting at most :data:`GOODBYE_TIMEOUT` for a
    silent broker; whatever fails is dropped."""
    if conn is None:
        return
    try:
        with bounded(conn):
            conn.release()
    except Exception:  # a dead connection may fail to close; drop it
        LOG.debug("closing a broken connection failed", exc_info=True)


def new_connection(url: str, **options: Any) -> KombuConnection:
    """A kombu connection (not yet connected)."""
    return _KombuConnection(url, **options)  # type: ignore[no-untyped-call]
