"""Errors as data: how an exception crosses the wire and comes back typed.

An error of zerodown's tree travels as its class name and fields and is
raised again as the same class on the calling side - ``UnsupportedVersion``
is ``UnsupportedVersion`` on both ends, and so is an application's own
``ZerodownError`` subclass (like oslo.messaging's expected exceptions).
Only classes of that tree, found by walking its subclasses, are ever
instantiated from a reply.  Anything else comes back as
:class:`~zerodown.exceptions.RemoteError` with the original type name and
message; no traceback crosses the wire.
"""

from __future__ import annotations

from typing import Any

from zerodown.exceptions import RemoteError, ZerodownError

__all__ = ["error_from_wire", "error_to_wire"]

_MAX_TEXT = 2000
_SCALARS = (str, int, float, bool, type(None))


def error_to_wire(error: BaseException) -> dict[str, Any]:
    """``error`` as plain data."""
    kind = type(error)
    data: dict[str, Any] = {
        "type": kind.__name__,
        "module": kind.__module__,
        "message": str(error)[:_MAX_TEXT],
    }
    if isinstance(error, ZerodownError):
        data["fields"] = {
            str(name): _plain(value) for name, value in error.fields.items()
        }
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value[:_MAX_TEXT] if isinstance(value, str) else value
    if isinstance(value, (list, tuple)) and all(
        isinstance(item, _SCALARS) for item in value
    ):
        return list(value)
    return str(value)[:_MAX_TEXT]


def error_from_wire(
    data: dict[str, Any], method: str, destination: str
) -> Exception:
    """The exception ``data`` describes (never raises itself)."""
    name, module = data.get("type"), data.get("module")
    fields = data.get("fields")
    message = str(data.get("message", ""))[:_MAX_TEXT]
    if type(fields) is dict and type(name) is str:
        cls = _zerodown_class(str(module), name)
        if cls is not None:
            try:
                return cls(**{str(k): v for k, v in fields.items()})
            except Exception:  # a peer's fields that do not fit the
                pass  # class's template: report it generically
    return RemoteError(
        method=method,
        destination=destination,
        exc_type=str(name)[:200],
        value=message,
    )


def _zerodown_class(module: str, name: str) -> type[ZerodownError] | None:
    pending: list[type[ZerodownError]] = [ZerodownError]
    while pending:
        cls = pending.pop()
        if cls.__name__ == name and cls.__module__ == module:
            return cls
        pending.extend(cls.__subclasses__())
    return None
