"""Errors as data: how an exception crosses the wire and comes back typed.

An error of zerodown's tree travels as its class name and fields and is
raised again as the same class on the calling side - ``UnsupportedVersion``
is ``UnsupportedVersion`` on both ends, and so is an application's own
``ZerodownError`` subclass (like oslo.messaging's expected exceptions).
Only classes of that tree, found by walking its subclasses, are ever
instantiated from a reply.  Anything else comes back as
:class:`~zerodown.rpc.errors.RemoteError` with the original type name and
message; no traceback crosses the wire.

A class travels under its ``wire_module`` (the module an older release
knows it by, if it moved; :mod:`zerodown.exceptions`) and is found by
that module or its own, so each side gets the same typed error.  The
framework's whole tree is imported before a class is given up for
unknown, as release 2's one module gave it.
"""

from __future__ import annotations

import importlib
from typing import Any

from zerodown.exceptions import FRAMEWORK_ERRORS, ZerodownError
from zerodown.rpc.errors import RemoteError

__all__ = ["error_from_wire", "error_to_wire"]

_MAX_TEXT = 2000
_SCALARS = (str, int, float, bool, type(None))


def error_to_wire(error: BaseException) -> dict[str, Any]:
    """``error`` as plain data."""
    kind = type(error)
    data: dict[str, Any] = {
        "type": kind.__name__,
        "module": getattr(kind, "wire_module", kind.__module__),
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
    found = _imported_class(module, name)
    if found is None:
        # A framework package this process never loaded (a compute
        # service runs no migrations) may hold it.
        for errors in FRAMEWORK_ERRORS:
            importlib.import_module(errors)
        found = _imported_class(module, name)
    return found


def _imported_class(module: str, name: str) -> type[ZerodownError] | None:
    pending: list[type[ZerodownError]] = [ZerodownError]
    while pending:
        cls = pending.pop()
        if cls.__name__ == name and module in (
            cls.__module__,
            cls.wire_module,
        ):
            return cls
        pending.extend(cls.__subclasses__())
    return None
