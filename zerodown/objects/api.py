"""Deprecated name of :mod:`zerodown.objects.command`, the command façade.

"api" is kept for what serves requests (the RPC API a server serves, the
compute stack's HTTP API); release 3 renamed the façades after Alembic's
``command``.  Every public name still resolves here, with a warning.
"""

from __future__ import annotations

from zerodown.moved import moved_to

__all__: list[str] = []

__getattr__ = moved_to(__name__, ["zerodown.objects.command"])
