"""What a service needs to join a deployment: :class:`ServiceRegistry`.

:class:`~zerodown.services.ServiceDirectory` is the implementation on the
database.  A service without database access (Nova's computes) registers
and heartbeats through another service instead, with an object of the
same shape that forwards these calls over RPC.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from zerodown.services.history import ServiceHistory

__all__ = ["ServiceRegistry", "SigningReport"]


@dataclasses.dataclass(frozen=True)
class SigningReport:
    """What a service's RPC servers say of message signing: the mode,
    the unsigned messages accepted and the messages refused since the
    service started."""

    mode: str
    unsigned: int
    refused: int


class ServiceRegistry(Protocol):
    """Register, heartbeat and stop one ``(host, binary)``."""

    @property
    def history(self) -> ServiceHistory: ...

    def register(
        self,
        host: str,
        binary: str,
        version: int | None = None,
        *,
        check: bool = True,
        supports_from: int | None = None,
    ) -> Any: ...

    def heartbeat(
        self, host: str, binary: str, signing: SigningReport | None = None
    ) -> bool: ...

    def stop(self, host: str, binary: str) -> None: ...
