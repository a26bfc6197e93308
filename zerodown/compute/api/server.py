"""Serving the API with waitress (a production WSGI server, threads)."""

from __future__ import annotations

import contextlib
from typing import Any

import waitress.server

from zerodown.exceptions import ConfigError

__all__ = ["ApiServer", "make_server"]


class ApiServer:
    def __init__(self, server: Any) -> None:
        self._server = server

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def run(self) -> None:
        """Serve until :meth:`close` (blocks)."""
        # close() from another thread ends the loop with an OSError.
        with contextlib.suppress(OSError):
            self._server.run()

    def close(self) -> None:
        self._server.close()
        self._server.task_dispatcher.shutdown()


def make_server(
    app: Any, listen: str = "127.0.0.1:8774", threads: int = 8
) -> ApiServer:
    """Bind ``listen`` (``host:port``; port 0 picks a free one)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(problem=f"api listen {listen!r} is not host:port")
    server = waitress.server.create_server(
        app,
        host=host or "127.0.0.1",
        port=int(port),
        threads=threads,
        ident="zerodown-compute-api",
        clear_untrusted_proxy_headers=True,
    )
    return ApiServer(server)
