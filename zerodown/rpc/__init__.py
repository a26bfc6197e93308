"""Versioned RPC over a message broker, for rolling upgrades.

See ``docs/rpc.md``.
"""

from __future__ import annotations

from zerodown.rpc.caps import CapSource, StaticCap
from zerodown.rpc.client import CallContext, RPCClient
from zerodown.rpc.context import ContextFilter, RequestContext, current_context
from zerodown.rpc.server import RPCServer
from zerodown.rpc.target import Target
from zerodown.rpc.transport import get_transport

__all__ = [
    "CallContext",
    "CapSource",
    "ContextFilter",
    "RPCClient",
    "RPCServer",
    "RequestContext",
    "StaticCap",
    "Target",
    "current_context",
    "get_transport",
]
