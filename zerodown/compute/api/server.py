"""Serving the API with waitress (a production WSGI server, threads).

waitress gets the API's own limits, so a request over them is refused
(413, 431) by the server before it is buffered, not after: left alone,
waitress would read a body of up to 1 GiB into memory and temporary
files before the application could say no.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import waitress.server

from zerodown.compute.api.request import MAX_BODY
from zerodown.exceptions import ConfigError

__all__ = ["MAX_HEADERS", "ApiServer", "make_server"]

#: The request line and headers together (a token is ~400 bytes).
MAX_HEADERS = 32 * 1024


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

    def close(self, grace: float = 10.0) -> None:
        """Stop accepting; let every connection finish the request it is
        serving and then hang up (idle keep-alive connections at once),
        so clients and load balancers move to another process without a
        failed request; then stop the workers."""
        server = self._server
        server.close()
        for channel in list(server._map.values()):
            channel.will_close = True
        deadline = time.monotonic() + grace
        while server._map and time.monotonic() < deadline:
            for channel in list(server._map.values()):
                # Idle: nothing being served, nothing left to send.  A
                # request the peer sent meanwhile is unread; the close
                # tells a balancer to retry it elsewhere at once.
                if not channel.requests and not channel.total_outbufs_len:
                    channel.handle_close()
            time.sleep(0.05)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)


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
        # waitress refuses a body of this many bytes or more: one more
        # than the largest the API takes.
        max_request_body_size=MAX_BODY + 1,
        max_request_header_size=MAX_HEADERS,
    )
    return ApiServer(server)
