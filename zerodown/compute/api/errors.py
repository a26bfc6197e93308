"""HTTP errors with Nova's body shape: ``{"badRequest": {"code": 400,
"message": "..."}}``."""

from __future__ import annotations

from typing import ClassVar

from zerodown.compute.exceptions import Conflict, NotFound
from zerodown.exceptions import (
    ConfigError,
    MalformedPayload,
    ObjectError,
    PlacementRequestInvalid,
    ZerodownError,
)

__all__ = ["HTTPError", "from_error"]

_KINDS = {
    400: "badRequest",
    404: "itemNotFound",
    405: "methodNotAllowed",
    409: "conflictingRequest",
    413: "requestEntityTooLarge",
    415: "unsupportedMediaType",
    500: "computeFault",
    503: "serviceUnavailable",
}
REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class HTTPError(Exception):
    status: ClassVar[int] = 500

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = status, message

    def body(self) -> dict[str, dict[str, object]]:
        kind = _KINDS.get(self.code, "computeFault")
        return {kind: {"code": self.code, "message": self.message}}


def from_error(err: ZerodownError) -> HTTPError:
    """The answer to an error of zerodown's tree raised by a request."""
    if isinstance(err, NotFound):
        return HTTPError(404, str(err))
    if isinstance(err, Conflict):
        return HTTPError(409, str(err))
    if isinstance(
        err,
        (PlacementRequestInvalid, MalformedPayload, ObjectError, ConfigError),
    ):
        return HTTPError(400, str(err))
    return HTTPError(503, f"the request could not be completed: {err}")
