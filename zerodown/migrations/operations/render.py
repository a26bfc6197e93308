"""Autogenerate writes online operations as ``zop.<name>(...)`` calls."""

from __future__ import annotations

import dataclasses
from typing import Any

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext

from zerodown.migrations.operations.base import OnlineOperation

__all__ = ["render_online"]

_IMPORT = "from zerodown.migrations.operations import zop"


@renderers.dispatch_for(OnlineOperation)
def render_online(context: AutogenContext, operation: OnlineOperation) -> str:
    """``zop.<name>(required..., changed=...)`` for an online operation."""
    context.imports.add(_IMPORT)
    args: list[str] = []
    for field in dataclasses.fields(operation):  # type: ignore[arg-type]
        value = getattr(operation, field.name)
        if field.default is dataclasses.MISSING:
            args.append(_literal(value))
        elif value != field.default:
            args.append(f"{field.name}={_literal(value)}")
    return f"zop.{operation.name}({', '.join(args)})"


def _literal(value: Any) -> str:
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(
            f"{_literal(k)}: {_literal(v)}" for k, v in value.items()
        )
        return "{" + items + "}"
    raise TypeError(f"cannot render {value!r} in a revision script")
