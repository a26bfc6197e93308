"""A TCP proxy a test controls: a network that can stop talking back.

Cutting a client's own socket races with what the broker already sent
(the kernel keeps received bytes readable after ``shutdown``), so a test
that needs a reply to be *lost* holds the broker-to-client direction
first (bytes are read from the broker and dropped), then cuts: whatever
the broker answered in between never reaches the client.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading


class TCPProxy:
    """Forward ``127.0.0.1:<port>`` to ``upstream``, one pair a client."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._held = threading.Event()
        self._closed = threading.Event()
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def hold(self) -> None:
        """Drop everything the upstream sends from now on."""
        self._held.set()

    def cut(self) -> None:
        """Break every open pair (each pump wakes on the shutdown and
        resets both ends); later clients are forwarded again, nothing
        held."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
            self._held.clear()
            for pair in pairs:
                for sock in pair:
                    _shutdown(sock)

    def close(self) -> None:
        self._closed.set()
        _shutdown(self.listener)
        self.listener.close()
        self.cut()
        self._accepting.join(5)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._pairs.append((client, server))
            threading.Thread(
                target=self._pump, args=(client, server), daemon=True
            ).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, server)
            selector.register(server, selectors.EVENT_READ, client)
            while True:
                try:
                    events = selector.select()
                    for key, _ in events:
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            raise OSError("closed")
                        with self._lock:
                            if key.fileobj is server and self._held.is_set():
                                continue  # the network drops the reply
                        key.data.sendall(data)
                except (OSError, ValueError):
                    _reset(client)
                    _reset(server)
                    return


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already gone
        sock.shutdown(socket.SHUT_RDWR)


def _reset(sock: socket.socket) -> None:
    """Close with a reset, as a broken network or a dead peer would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
    sock.close()
