"""The public API of zerodown.rpc and zerodown.services is ``__all__``."""

from __future__ import annotations

import importlib

import pytest

PINNED = {
    "zerodown.rpc": [
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
    ],
    "zerodown.rpc.transport": [
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
    ],
    "zerodown.services": [
        "SERVICES",
        "Heartbeat",
        "ServiceDirectory",
        "ServiceHistory",
        "ServiceRecord",
        "ServiceRegistry",
        "ServiceVersion",
        "SigningReport",
        "create_schema",
        "utcnow",
    ],
}


@pytest.mark.parametrize("module", sorted(PINNED))
def test_all_is_pinned(module):
    loaded = importlib.import_module(module)
    assert sorted(loaded.__all__) == sorted(PINNED[module])
    for name in loaded.__all__:
        assert hasattr(loaded, name), f"{module}.{name} is listed but missing"


def test_rpc_never_imports_the_compute_stack():
    import sys

    importlib.import_module("zerodown.rpc")
    importlib.import_module("zerodown.rpc.indirection")
    importlib.import_module("zerodown.services")
    assert not [
        m for m in sys.modules if m.startswith("zerodown.compute")
    ] or (
        # another test may have imported it; then check the sources
        _sources_clean()
    )


def _sources_clean():
    import ast
    from pathlib import Path

    import zerodown

    root = Path(zerodown.__file__).parent
    for package in ("rpc", "services"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and (
                    node.module or ""
                ).startswith("zerodown.compute"):
                    return False
    return True
