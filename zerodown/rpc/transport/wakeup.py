"""A self-pipe: wake a consuming thread that waits in ``select()``.

A consumer thread owns its channel, so acknowledgements made on worker
threads are queued for it; it must learn of them at once rather than at
the end of its next wait for the broker (a 50 ms wait once bounded a
server's casts to its prefetch every 50 ms).  Pokes are coalesced: at
most one byte is in flight until the consumer clears it.
"""

from __future__ import annotations

import contextlib
import socket

__all__ = ["Wakeup"]


class Wakeup:
    """Something to ``select()`` on that another thread can make ready."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        # A byte is on its way (or waiting): no need to send another.
        self._armed = False

    def fileno(self) -> int:
        return self._reader.fileno()

    def poke(self) -> None:
        """Make the next (or current) wait return; safe from any thread."""
        if self._armed:
            return
        self._armed = True
        # Full (it is awake anyway) or closed (it is gone): nothing to do.
        with contextlib.suppress(OSError):
            self._writer.send(b"\0")

    def clear(self) -> None:
        """Consume the pokes; call before looking at what they announce."""
        self._armed = False
        with contextlib.suppress(OSError):
            while self._reader.recv(512):
                pass

    def close(self) -> None:
        self._reader.close()
        self._writer.close()
