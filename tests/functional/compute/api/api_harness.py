"""The compute API on a real database, called in-process (WSGI) or over
HTTP through a real waitress server, with tokens of every kind."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from compute_samples import deployed_db

from zerodown.compute.api import make_app, make_server
from zerodown.compute.api.auth import TokenAuth
from zerodown.compute.api.tokens import TokenKeys, issue
from zerodown.compute.pci_alias import parse_aliases
from zerodown.compute.version import HISTORY
from zerodown.services import ServiceDirectory

KEYS = TokenKeys((b"k" * 32, b"second key, verifies only, 32+ bytes"))
SMALL = {"name": "small", "id": "small", "vcpus": 1, "ram": 512, "disk": 1}


class Recorder:
    """Stands in for the RPC clients: records what would be cast."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda ctx, *args: self.calls.append((name, ctx, args))


def token(role: str = "admin", project: str = "p1", user: str = "u1") -> str:
    made, _ = issue(KEYS, project=project, user=user, roles=[role])
    return made


TOKENS = {
    "admin": token("admin", "p1", "admin-1"),
    "member": token("member", "p1", "member-1"),
    "other": token("member", "p2", "member-2"),
}


class Api:
    """The app on a deployed database, and a way to call it."""

    def __init__(self, workdir: Path, url: str) -> None:
        self.db = deployed_db(workdir, url)
        self.conductor, self.compute = Recorder(), Recorder()
        self.app = make_app(
            db=self.db,
            conductor=self.conductor,
            compute=self.compute,
            services=ServiceDirectory(self.db.engine, HISTORY),
            pci_aliases=parse_aliases([{"name": "nic", "vendor_id": "8086"}]),
            auth=TokenAuth(KEYS),
        )

    def close(self) -> None:
        self.db.engine.dispose()

    def wsgi(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        token: str | None = TOKENS["admin"],
        environ: Mapping[str, Any] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        """One request straight to the WSGI app (``PATH_INFO`` as WSGI
        gives it: percent-decoded bytes as latin-1)."""
        data = raw if raw is not None else _encode(body)
        env: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
        }
        if token is not None:
            env["HTTP_X_AUTH_TOKEN"] = token
        env.update(environ or {})
        seen: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]]) -> None:
            seen["status"], seen["headers"] = status, dict(headers)

        payload = b"".join(self.app(env, start))
        assert "X-Request-Id" in seen["headers"]
        return (
            int(seen["status"].split()[0]),
            _decode(payload),
            seen["headers"],
        )

    @contextlib.contextmanager
    def served(self) -> Iterator[HttpClient]:
        """The app behind a real waitress server on a free port."""
        server = make_server(self.app, "127.0.0.1:0", threads=2)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            yield HttpClient(server.port)
        finally:
            server.close(grace=2)
            thread.join(10)


class HttpClient:
    def __init__(self, port: int) -> None:
        self.port = port

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        token: str | None = TOKENS["admin"],
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        """One request; ``path`` goes on the wire as given (quote it)."""
        data = raw if raw is not None else _encode(body)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["X-Auth-Token"] = token
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, data or None, sent)
            answer = conn.getresponse()
            payload = answer.read()
        finally:
            conn.close()
        return answer.status, _decode(payload), dict(answer.getheaders())


def _encode(body: Any) -> bytes:
    return b"" if body is None else json.dumps(body).encode()


def _decode(payload: bytes) -> Any:
    if not payload:
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("latin-1")


def message(body: Any) -> str:
    """The message of a Nova-style error body."""
    assert isinstance(body, dict) and len(body) == 1, body
    (inner,) = body.values()
    assert set(inner) == {"code", "message"}, inner
    return str(inner["message"])
