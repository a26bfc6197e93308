"""HTTP errors with Nova's body shape: ``{"badRequest": {"code": 400,
"message": "..."}}``, and the status each error of zerodown's tree gets.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import sqlalchemy as sa

from zerodown.compute.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    PlacementRequestInvalid,
)
from zerodown.exceptions import ConfigError, ZerodownError
from zerodown.objects.errors import MalformedPayload, ObjectError

__all__ = ["REASONS", "HTTPError", "from_error", "from_unfit_value"]

LOG = logging.getLogger(__name__)

_KINDS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "methodNotAllowed",
    406: "notAcceptable",
    409: "conflictingRequest",
    413: "requestEntityTooLarge",
    415: "unsupportedMediaType",
    500: "computeFault",
    501: "notImplemented",
    503: "serviceUnavailable",
}
REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}
#: Longest message an answer carries: some quote the input.
MAX_MESSAGE = 1000


class HTTPError(Exception):
    status: ClassVar[int] = 500

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.code = status
        self.message = message[:MAX_MESSAGE]

    def body(self) -> dict[str, dict[str, object]]:
        kind = _KINDS.get(self.code, "computeFault")
        return {kind: {"code": self.code, "message": self.message}}

    def headers(self) -> list[tuple[str, str]]:
        if self.code == 401:
            # RFC 9110: a 401 names how to authenticate.
            return [("WWW-Authenticate", 'X-Auth-Token realm="compute"')]
        return []


# Families of zerodown's tree by status, most specific first.
_STATUSES: tuple[tuple[type[ZerodownError] | tuple[type, ...], int], ...] = (
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (
        (PlacementRequestInvalid, MalformedPayload, ObjectError, ConfigError),
        400,
    ),
)


def from_error(err: ZerodownError) -> HTTPError:
    """The answer to an error of zerodown's tree raised by a request."""
    for kind, status in _STATUSES:
        if isinstance(err, kind):
            return HTTPError(status, str(err))
    return HTTPError(503, f"the request could not be completed: {err}")


#: What the database layer raises for a value its column cannot hold:
#: out of range or too long (PostgreSQL, MariaDB), an integer SQLite
#: cannot bind, text no driver can encode (a lone surrogate).
UNFIT_VALUE: tuple[type[Exception], ...] = (
    sa.exc.DataError,
    OverflowError,
    UnicodeEncodeError,
)


def from_unfit_value(err: Exception, request_id: str) -> HTTPError:
    """A 400 for a value the database refused.  The schemas refuse
    every such value first; reaching this is a gap in them, logged."""
    LOG.warning(
        "request %s: the database refused a value the schemas let through: %s",
        request_id,
        type(err).__name__,
    )
    return HTTPError(400, "a value does not fit its database column")
