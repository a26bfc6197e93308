"""Fast RPC tests: the in-memory transport, no broker, no database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import zerodown.objects  # noqa: F401  (o.vo without its eventlet warning)
from zerodown.rpc import MemoryTransport


@pytest.fixture
def transport() -> Iterator[MemoryTransport]:
    memory = MemoryTransport()
    yield memory
    memory.close()
