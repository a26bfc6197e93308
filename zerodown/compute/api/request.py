"""One HTTP request as the handlers see it: its path, who asks, its
JSON body, and the context every RPC message of it carries.

The body is read only up to :data:`MAX_BODY`, and only when its declared
length is within it; waitress is given the same limit
(:mod:`.server`), so a larger body is refused before it is buffered.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from zerodown.compute.api.errors import HTTPError
from zerodown.compute.api.policy import Identity
from zerodown.rpc import RequestContext

__all__ = ["MAX_BODY", "Request", "decode_path"]

#: Largest request body accepted (bytes).
MAX_BODY = 64 * 1024


def decode_path(environ: Mapping[str, Any]) -> str:
    """``PATH_INFO`` as text.  WSGI hands the percent-decoded bytes over
    as latin-1 (PEP 3333); they are UTF-8 or the path is refused.

    :raises HTTPError: 400 for a path that is not UTF-8.
    """
    raw = str(environ.get("PATH_INFO") or "/")
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise HTTPError(400, "the path is not UTF-8") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class Request:
    def __init__(self, environ: Mapping[str, Any]) -> None:
        self.environ = environ
        self.method = str(environ.get("REQUEST_METHOD", "GET"))
        self.params: dict[str, Any] = {}
        self.identity: Identity | None = None
        #: The negotiated microversion; ``None`` for the root document.
        self.version: tuple[int, int] | None = None
        self.request_id = f"req-{uuid.uuid4()}"

    @property
    def context(self) -> RequestContext:
        """The RPC context: this request's id and who asked."""
        identity = self.identity
        return RequestContext(
            request_id=self.request_id,
            global_request_id=self.request_id,
            user_id=identity.user if identity else None,
            project_id=identity.project if identity else None,
            roles=identity.roles if identity else (),
        )

    def json(self) -> Any:
        """The body as JSON.

        :raises HTTPError: 413, 415 or 400 for a body that is too large,
            not declared as JSON, or not JSON.
        """
        kind = str(self.environ.get("CONTENT_TYPE") or "")
        if kind and kind.split(";")[0].strip().lower() != "application/json":
            raise HTTPError(415, f"content type {kind[:100]!r} is not JSON")
        length = self._length()
        raw = self.environ["wsgi.input"].read(length) if length else b""
        if not raw:
            raise HTTPError(400, "a JSON body is required")
        try:
            # NaN and Infinity are Python's extension, not JSON.
            return json.loads(raw, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as err:
            raise HTTPError(400, f"malformed JSON: {err}"[:300]) from None

    def _length(self) -> int:
        text = str(self.environ.get("CONTENT_LENGTH") or "0").strip()
        # int() would also take "+5", "5_0" and non-ASCII digits.
        if not text.isascii() or not text.isdigit():
            raise HTTPError(400, "bad Content-Length")
        if len(text) > 12 or int(text) > MAX_BODY:
            raise HTTPError(413, f"body over {MAX_BODY} bytes")
        return int(text)
