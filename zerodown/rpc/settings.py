"""RPC settings, read from zerodown's configuration sources.

In ``[zerodown]`` of ``alembic.ini``, ``[tool.zerodown]`` of
``pyproject.toml`` or ``ZERODOWN_*`` variables::

    transport_url = amqp://zd:secret@rabbit-1//;amqp://zd:secret@rabbit-2//
    rpc_signing_keys = <new key>,<old key>
    service_history = myproject.services:HISTORY
    rpc_apis = myproject.rpcapi:ComputeAPI,myproject.rpcapi:ConductorAPI
"""

from __future__ import annotations

import dataclasses
import importlib

from zerodown.exceptions import ConfigError
from zerodown.rpc.protocol import DEFAULT_MAX_SIZE, Protocol
from zerodown.rpc.signing import Signer
from zerodown.rpc.transport import Transport, TransportOptions, get_transport

__all__ = ["RPCSettings", "load_object"]


@dataclasses.dataclass(frozen=True)
class RPCSettings:
    """How a service reaches its peers."""

    #: Broker URL(s); the default is an embedded broker in ./.zerodown.
    transport_url: str = "embedded://.zerodown/broker.db"
    #: HMAC keys: the first signs, all verify.  Empty: unsigned messages.
    rpc_signing_keys: tuple[str, ...] = ()
    #: Largest message body, in bytes.
    rpc_max_message_size: int = DEFAULT_MAX_SIZE
    #: Seconds a call waits for its reply.
    rpc_timeout: float = 60.0
    #: Seconds a cast keeps retrying while the broker is away.
    rpc_cast_timeout: float = 60.0
    #: TLS for amqps:// URLs.
    rpc_ssl_ca_file: str | None = None
    rpc_ssl_cert_file: str | None = None
    rpc_ssl_key_file: str | None = None
    #: AMQP heartbeat of consuming connections, seconds.
    rpc_heartbeat: float = 30.0
    #: Seconds without a heartbeat after which a service is down.
    service_down_time: float = 60.0
    #: Seconds between re-resolves of automatic caps.
    rpc_cap_refresh_interval: float = 10.0
    #: ``module:attribute`` of the project's ServiceHistory.
    service_history: str | None = None
    #: ``module:Class`` of each RPCAPI, for ``zerodown rpc caps``.
    rpc_apis: tuple[str, ...] = ()
    #: The deployment's database (the services table).
    database_url: str | None = None

    def transport(self) -> Transport:
        """The transport of :attr:`transport_url`."""
        options = TransportOptions(
            ssl_ca_file=self.rpc_ssl_ca_file,
            ssl_cert_file=self.rpc_ssl_cert_file,
            ssl_key_file=self.rpc_ssl_key_file,
            heartbeat=self.rpc_heartbeat,
        )
        return get_transport(self.transport_url, options)

    def protocol(self) -> Protocol:
        """The message protocol: signing and size limit."""
        try:
            signer = (
                Signer(self.rpc_signing_keys)
                if self.rpc_signing_keys
                else None
            )
        except ValueError as err:
            raise ConfigError(problem=f"rpc_signing_keys: {err}") from None
        return Protocol(signer=signer, max_size=self.rpc_max_message_size)


def load_object(spec: str, what: str) -> object:
    """The object ``module:attribute`` names.

    :raises ConfigError: if it cannot be imported.
    """
    module, _, attribute = spec.partition(":")
    if not module or not attribute:
        raise ConfigError(problem=f"{what} {spec!r} is not module:attribute")
    try:
        found: object = importlib.import_module(module)
        for part in attribute.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as err:
        raise ConfigError(problem=f"{what} {spec!r}: {err}") from None
    return found
