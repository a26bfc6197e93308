"""Transports: how RPC messages travel.

:func:`get_transport` picks one by URL scheme:

============================= ===============================================
``amqp://user:pw@host:5672//`` RabbitMQ (also ``rabbit://``; ``amqps://`` for
                               TLS).  Several URLs separated by ``;`` fail
                               over in turn (the nodes of a cluster).
``embedded:///path/to/file``   the embedded broker: one SQLite file shared by
                               the processes of one machine, no server
``memory://``                  one process, for tests
============================= ===============================================
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from zerodown.exceptions import ConfigError
from zerodown.rpc.transport.base import (
    Address,
    Backoff,
    Delivery,
    Handler,
    Message,
    Subscriber,
    Subscription,
    Transport,
)
from zerodown.rpc.transport.memory import MemoryTransport

__all__ = [
    "Address",
    "Backoff",
    "Delivery",
    "Handler",
    "MemoryTransport",
    "Message",
    "Subscriber",
    "Subscription",
    "Transport",
    "TransportOptions",
    "get_transport",
]


@dataclasses.dataclass(frozen=True)
class TransportOptions:
    """Connection settings a URL does not carry."""

    #: TLS for ``amqps://``: CA bundle, client certificate and key.
    ssl_ca_file: str | None = None
    ssl_cert_file: str | None = None
    ssl_key_file: str | None = None
    #: AMQP heartbeat of consuming connections, seconds (0: off).
    heartbeat: float = 30.0
    connect_timeout: float = 5.0
    backoff: Backoff = dataclasses.field(default_factory=Backoff)


Factory = Callable[[str, TransportOptions], Transport]


def get_transport(
    url: str, options: TransportOptions | None = None
) -> Transport:
    """The transport for ``url`` (see the module docstring).

    :raises ConfigError: for an unknown scheme or a bad URL.
    """
    options = options or TransportOptions()
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    factory = _FACTORIES.get(scheme)
    if factory is None:
        known = ", ".join(sorted(_FACTORIES))
        raise ConfigError(
            problem=f"transport URL {url.split('@')[-1]!r} has no known "
            f"scheme ({known})"
        )
    return factory(url, options)


def _amqp(url: str, options: TransportOptions) -> Transport:
    from zerodown.rpc.transport.broker import KombuTransport

    urls = [part.strip() for part in url.replace(",", ";").split(";")]
    urls = [_amqp_url(part) for part in urls if part]
    secure = any(part.startswith("amqps://") for part in urls)
    return KombuTransport(
        urls,
        ssl=_ssl(options) if secure else None,
        heartbeat=options.heartbeat,
        connect_timeout=options.connect_timeout,
        backoff=options.backoff,
    )


def _amqp_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    if scheme.lower() in ("rabbit", "pyamqp"):
        scheme = "amqp"
    return f"{scheme.lower()}://{rest}"


def _ssl(options: TransportOptions) -> bool | dict[str, Any]:
    import ssl

    given = {
        "ca_certs": options.ssl_ca_file,
        "certfile": options.ssl_cert_file,
        "keyfile": options.ssl_key_file,
    }
    settings: dict[str, Any] = {k: v for k, v in given.items() if v}
    if not settings:
        return True
    settings["cert_reqs"] = ssl.CERT_REQUIRED
    return settings


def embedded_path(url: str) -> str:
    """The SQLite file an ``embedded://`` URL names."""
    path = unquote(url.split("://", 1)[1])
    if not path or path == "/":
        raise ConfigError(problem=f"{url!r} names no file")
    return os.path.abspath(path)


def _embedded(url: str, options: TransportOptions) -> Transport:
    from zerodown.rpc.transport.broker import KombuTransport
    from zerodown.rpc.transport.embedded import EmbeddedKombuTransport

    path = embedded_path(url)
    # Private, like the file (zerodown.files): it holds every message.
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    return KombuTransport(
        ["localhost"],
        transport_cls=EmbeddedKombuTransport,
        transport_options={"path": path},
        heartbeat=0,
        backoff=options.backoff,
        display_url=f"embedded://{path}",
    )


def _memory(url: str, options: TransportOptions) -> Transport:
    return MemoryTransport()


_FACTORIES: dict[str, Factory] = {
    "amqp": _amqp,
    "amqps": _amqp,
    "rabbit": _amqp,
    "pyamqp": _amqp,
    "embedded": _embedded,
    "memory": _memory,
}
