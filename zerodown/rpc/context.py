"""The request context: who asked, and which request a message belongs to.

A :class:`RequestContext` travels with every message.  The server hands it
to the endpoint method as its first argument and makes it the
:func:`current_context` while the method runs, so :class:`ContextFilter`
can put the request id into every log line of that request::

    handler.addFilter(ContextFilter())
    logging.Formatter("%(levelname)s [%(request_id)s] %(message)s")
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "ContextFilter",
    "RequestContext",
    "current_context",
    "using_context",
]

_CURRENT: contextvars.ContextVar[RequestContext | None] = (
    contextvars.ContextVar("zerodown_rpc_context", default=None)
)
_TEXT_FIELDS = ("request_id", "global_request_id", "user_id", "project_id")
_MAX_TEXT = 255
_MAX_ROLES = 64


def _request_id() -> str:
    return f"req-{uuid.uuid4()}"


@dataclasses.dataclass(frozen=True)
class RequestContext:
    """Identity and correlation data of one request.

    ``global_request_id`` is the id of the request that started a chain of
    calls across services (an API request); ``request_id`` is this
    service's own.
    """

    request_id: str = dataclasses.field(default_factory=_request_id)
    global_request_id: str | None = None
    user_id: str | None = None
    project_id: str | None = None
    roles: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        """The context as plain data for a message."""
        data: dict[str, Any] = {
            name: getattr(self, name)
            for name in _TEXT_FIELDS
            if getattr(self, name) is not None
        }
        if self.roles:
            data["roles"] = list(self.roles)
        return data

    @classmethod
    def from_wire(cls, data: object) -> RequestContext:
        """Read a context from a message.

        :raises ValueError: if ``data`` is not a context.
        """
        if data is None:
            return cls()
        if type(data) is not dict:
            raise ValueError("the context is not a map")
        unknown = data.keys() - {*_TEXT_FIELDS, "roles"}
        if unknown:
            names = sorted(map(str, unknown))
            raise ValueError(f"unknown context keys {names}")
        return cls(
            request_id=_text(data, "request_id") or _request_id(),
            global_request_id=_text(data, "global_request_id"),
            user_id=_text(data, "user_id"),
            project_id=_text(data, "project_id"),
            roles=_roles(data.get("roles", [])),
        )

    def log_fields(self) -> dict[str, str]:
        """The fields :class:`ContextFilter` adds to log records."""
        return {name: getattr(self, name) or "-" for name in _TEXT_FIELDS}


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if type(value) is not str or len(value) > _MAX_TEXT:
        raise ValueError(f"context {name} is not a short string")
    return value


def _roles(value: object) -> tuple[str, ...]:
    if type(value) is not list or len(value) > _MAX_ROLES:
        raise ValueError("context roles are not a short list")
    if not all(type(r) is str and len(r) <= _MAX_TEXT for r in value):
        raise ValueError("context roles are not strings")
    return tuple(value)


def current_context() -> RequestContext | None:
    """The context of the request being served, if any."""
    return _CURRENT.get()


@contextlib.contextmanager
def using_context(context: RequestContext) -> Iterator[RequestContext]:
    """Make ``context`` current for the enclosed block."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


_EMPTY = dict.fromkeys(_TEXT_FIELDS, "-")


class ContextFilter(logging.Filter):
    """Add the current request's ids (or ``-``) to every log record:
    ``request_id``, ``global_request_id``, ``user_id``, ``project_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _CURRENT.get()
        fields = context.log_fields() if context is not None else _EMPTY
        for name, value in fields.items():
            setattr(record, name, value)
        return True
