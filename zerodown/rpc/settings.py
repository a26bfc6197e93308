"""RPC settings, read from zerodown's configuration sources.

In ``[zerodown]`` of ``alembic.ini``, ``[tool.zerodown]`` of
``pyproject.toml`` or ``ZERODOWN_*`` variables::

    transport_url = amqp://zd:secret@rabbit-1//;amqp://zd:secret@rabbit-2//
    rpc_signing_keys = <new key>,<old key>
    rpc_signing = required               # or permissive, or off
    service_history = myproject.services:HISTORY
    rpc_apis = myproject.rpcapi:ComputeAPI,myproject.rpcapi:ConductorAPI
"""

from __future__ import annotations

import dataclasses
import importlib

from zerodown.exceptions import ConfigError
from zerodown.rpc.protocol import DEFAULT_MAX_SIZE, Protocol
from zerodown.rpc.signing import Signing, SigningMode
from zerodown.rpc.transport import Transport, TransportOptions, get_transport

__all__ = ["RPCSettings", "load_object"]


@dataclasses.dataclass(frozen=True)
class RPCSettings:
    """How a service reaches its peers."""

    #: Broker URL(s); the default is an embedded broker in ./.zerodown.
    transport_url: str = "embedded://.zerodown/broker.db"
    #: HMAC keys: the first signs, all verify.
    rpc_signing_keys: tuple[str, ...] = ()
    #: ``required``, ``permissive`` or ``off``; unset: ``required``, which
    #: needs keys (no keys and no ``off`` written out is an error).
    rpc_signing: str | None = None
    #: Seconds a cast or reply stays valid once signed (a call: its
    #: timeout); the replay window.
    rpc_message_lifetime: float = 600.0
    #: Seconds hosts' clocks may disagree.
    rpc_max_clock_skew: float = 60.0
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

    def signing(self) -> Signing:
        """The signing policy.

        :raises ConfigError: for an unknown mode, short keys, or no keys
            without ``rpc_signing = off``.
        """
        try:
            mode = SigningMode((self.rpc_signing or "required").lower())
        except ValueError:
            raise ConfigError(
                problem=f"rpc_signing {self.rpc_signing!r} is not one of "
                "required, permissive, off"
            ) from None
        if mode is not SigningMode.OFF and not self.rpc_signing_keys:
            raise ConfigError(
                problem="rpc_signing_keys is not set: give keys (at least "
                "16 bytes), or write rpc_signing = off to run without "
                "message signing (anyone who can publish to the broker can "
                "then call every service)"
            )
        try:
            return Signing(
                self.rpc_signing_keys,
                mode,
                lifetime=self.rpc_message_lifetime,
                max_skew=self.rpc_max_clock_skew,
            )
        except ValueError as err:
            raise ConfigError(problem=f"rpc_signing_keys: {err}") from None

    def protocol(self) -> Protocol:
        """The message protocol: signing and size limit."""
        return Protocol(self.signing(), max_size=self.rpc_max_message_size)


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
