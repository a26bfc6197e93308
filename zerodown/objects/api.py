"""Deprecated name of :mod:`zerodown.objects.command`, the command façade.

"api" is kept for what serves requests (the RPC API a server serves, the
compute stack's HTTP API); release 3 renamed the façades after Alembic's
``command``.  Every name still resolves here, with a warning.
"""

from __future__ import annotations

import warnings
from typing import Any

from zerodown.objects import command as _command

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    value = getattr(_command, name)
    warnings.warn(
        f"zerodown.objects.api is deprecated: use "
        f"zerodown.objects.command.{name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return value
