"""Versioned RPC over a message broker, for rolling upgrades.

A service's client is an :class:`RPCAPI` subclass whose docstring is its
version history; its messages are capped at what the oldest running peer
speaks (``version_cap="auto"``, re-resolved by itself), objects travel
backported to the receivers' versions, and a server serves several API
versions at once and never silently drops a cast it cannot dispatch.
Messages are msgpack, signed with HMAC-SHA256 (bound to their destination
and lifetime, never run twice) unless signing is turned off in words,
over RabbitMQ, an embedded broker (one SQLite file) or memory.  See
``docs/rpc.md``.
"""

from __future__ import annotations

from zerodown.rpc.api import RPCAPI, HistoryEntry
from zerodown.rpc.autocap import AutoCap, CapDecision, announce
from zerodown.rpc.caps import CapSource, StaticCap
from zerodown.rpc.client import CallContext, RPCClient
from zerodown.rpc.context import (
    ContextFilter,
    RequestContext,
    current_context,
)
from zerodown.rpc.deadletter import DeadLetter, list_dead_letters
from zerodown.rpc.indirection import (
    ObjectIndirectionAPI,
    ObjectIndirectionEndpoint,
)
from zerodown.rpc.lifecycle import ServiceLifecycle
from zerodown.rpc.protocol import DEFAULT_MAX_SIZE, Protocol
from zerodown.rpc.replay import (
    FileReplayStore,
    MemoryReplayStore,
    ReplayStore,
    SqlReplayStore,
)
from zerodown.rpc.server import RPCServer
from zerodown.rpc.settings import RPCSettings
from zerodown.rpc.signing import Signer, Signing, SigningMode, generate_key
from zerodown.rpc.target import Target
from zerodown.rpc.transport import (
    MemoryTransport,
    Transport,
    TransportOptions,
    get_transport,
)

__all__ = [
    "DEFAULT_MAX_SIZE",
    "RPCAPI",
    "AutoCap",
    "CallContext",
    "CapDecision",
    "CapSource",
    "ContextFilter",
    "DeadLetter",
    "FileReplayStore",
    "HistoryEntry",
    "MemoryReplayStore",
    "MemoryTransport",
    "ObjectIndirectionAPI",
    "ObjectIndirectionEndpoint",
    "Protocol",
    "RPCClient",
    "RPCServer",
    "RPCSettings",
    "ReplayStore",
    "RequestContext",
    "ServiceLifecycle",
    "Signer",
    "Signing",
    "SigningMode",
    "SqlReplayStore",
    "StaticCap",
    "Target",
    "Transport",
    "TransportOptions",
    "announce",
    "current_context",
    "generate_key",
    "get_transport",
    "list_dead_letters",
]
