"""Values of a revision script's arguments, worked out without running it.

Lint never imports a revision script.  It reads the arguments of each
call from the syntax tree and rebuilds the ones that are plain data:
literals, module-level constants, and SQLAlchemy constructors applied to
such data (``sa.Column("c", sa.String(20), nullable=False)``).  Anything
else (a helper function, a variable computed at run time) becomes an
:class:`Opaque` value that carries its source text, so rules can still
say what they could not see.
"""

from __future__ import annotations

import ast
import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import functions

__all__ = ["Namespace", "Opaque", "evaluate", "opaque_in"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opaque:
    """A value lint cannot know statically, with its source text."""

    source: str

    def __str__(self) -> str:
        return self.source


def opaque_in(value: Any) -> Opaque | None:
    """The first :class:`Opaque` in ``value`` or the lists, tuples and
    mappings it holds; None when it is plain data throughout."""
    if isinstance(value, Opaque):
        return value
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple)):
        for item in value:
            found = opaque_in(item)
            if found is not None:
                return found
    return None


# The only things lint ever calls: SQLAlchemy's schema, type and SQL
# expression constructors, which build objects and touch nothing else.
_SAFE_CLASSES: tuple[type[Any], ...] = (
    sa.types.TypeEngine,
    sa.schema.SchemaItem,
    sa.schema.FetchedValue,
    sa.sql.ClauseElement,
    sa.MetaData,
)
_SAFE_FUNCTIONS = {
    sa.text,
    sa.literal_column,
    sa.column,
    sa.table,
    sa.literal,
    sa.true,
    sa.false,
    sa.null,
    sa.cast,
    sa.and_,
    sa.or_,
    sa.not_,
    sa.select,
    sa.update,
    sa.delete,
    sa.insert,
}


@dataclass
class Namespace:
    """What the script's module-level names mean to lint.

    ``modules`` maps import aliases to SQLAlchemy modules or objects,
    ``constants`` holds module-level literals, and ``receivers`` maps the
    names that stand for Alembic's ``op`` or zerodown's ``zop``.
    """

    modules: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    receivers: dict[str, str] = field(default_factory=dict)
    waive_names: set[str] = field(default_factory=lambda: {"waive"})
    allow_names: set[str] = field(default_factory=lambda: {"allow"})

    def learn_import(self, node: ast.Import | ast.ImportFrom) -> None:
        """Record what an import statement binds."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                # import alembic / import alembic.op [as o]: op is
                # alembic.op, or o ("alembic.op" a dotted receiver).
                if alias.name == "alembic":
                    self.receivers[f"{alias.asname or 'alembic'}.op"] = "op"
                elif alias.name == "alembic.op":
                    self.receivers[alias.asname or "alembic.op"] = "op"
                if alias.name.split(".")[0] == "sqlalchemy":
                    bound = alias.asname or alias.name.split(".")[0]
                    target = alias.name if alias.asname else "sqlalchemy"
                    self._bind_module(bound, target)
            return
        module = node.module or ""
        for alias in node.names:
            self._learn_from(module, alias.name, alias.asname or alias.name)

    def _learn_from(self, module: str, name: str, bound: str) -> None:
        if module == "alembic" and name == "op":
            self.receivers[bound] = "op"
        elif module.startswith("zerodown.migrations") and name == "zop":
            self.receivers[bound] = "zop"
        elif module.startswith("zerodown.migrations") and name == "waive":
            self.waive_names.add(bound)
        elif module.startswith("zerodown.migrations") and name == "allow":
            self.allow_names.add(bound)
        elif module.split(".")[0] == "sqlalchemy":
            loaded = _import(module)
            if loaded is None:
                return
            value = getattr(loaded, name, None)
            if value is None:
                value = _import(f"{module}.{name}")
            if value is not None:
                self.modules[bound] = value

    def _bind_module(self, bound: str, target: str) -> None:
        loaded = _import(target)
        if loaded is not None:
            self.modules[bound] = loaded

    def learn_constant(self, node: ast.Assign | ast.AnnAssign) -> None:
        """Record a module-level ``NAME = <literal>``."""
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target]
        )
        if node.value is None:
            return
        value = evaluate(node.value, self)
        if isinstance(value, Opaque):
            return
        for target in targets:
            if isinstance(target, ast.Name):
                self.constants[target.id] = value


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def evaluate(node: ast.expr, names: Namespace) -> Any:
    """The value of ``node``, or :class:`Opaque` when it is not plain data."""
    try:
        return _evaluate(node, names)
    except Exception as err:  # a constructor refused odd arguments
        LOG.debug("lint cannot evaluate %s: %s", _source(node), err)
        return Opaque(_source(node))


def _evaluate(node: ast.expr, names: Namespace) -> Any:
    handler = _HANDLERS.get(type(node))
    if handler is None:
        return Opaque(_source(node))
    return handler(node, names)


def _constant(node: Any, names: Namespace) -> Any:
    return node.value


def _sequence(node: Any, names: Namespace) -> Any:
    values = [_evaluate(item, names) for item in node.elts]
    return tuple(values) if isinstance(node, ast.Tuple) else values


def _mapping(node: Any, names: Namespace) -> Any:
    if any(key is None for key in node.keys):
        return Opaque(_source(node))
    return {
        _evaluate(key, names): _evaluate(value, names)
        for key, value in zip(node.keys, node.values, strict=True)
    }


def _name(node: Any, names: Namespace) -> Any:
    for table in (names.constants, names.modules, _BUILTINS):
        if node.id in table:
            return table[node.id]
    return Opaque(node.id)


_BUILTINS: Mapping[str, Any] = {"True": True, "False": False, "None": None}


def _attribute(node: Any, names: Namespace) -> Any:
    base = _evaluate(node.value, names)
    if isinstance(base, Opaque) or not _from_sqlalchemy(base):
        return Opaque(_source(node))
    return getattr(base, node.attr)


def _call(node: Any, names: Namespace) -> Any:
    if _is_op_f(node, names):
        return _evaluate(node.args[0], names)
    function = _evaluate(node.func, names)
    if not _callable_safely(function):
        return Opaque(_source(node))
    if any(isinstance(arg, ast.Starred) for arg in node.args) or any(
        kw.arg is None for kw in node.keywords
    ):
        return Opaque(_source(node))
    args = [_evaluate(arg, names) for arg in node.args]
    kwargs = {
        kw.arg: _evaluate(kw.value, names) for kw in node.keywords if kw.arg
    }
    # A constructor given an unknown value would build a wrong object
    # (sa.Column(..., nullable=<unknown>) is nullable): the whole is
    # unknown.
    if opaque_in([*args, *kwargs.values()]) is not None:
        return Opaque(_source(node))
    return function(*args, **kwargs)


def _is_op_f(node: ast.Call, names: Namespace) -> bool:
    # op.f("ix_name") marks a name as final; its value is the name.
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "f"
        and names.receivers.get(dotted(func.value) or "") == "op"
        and len(node.args) == 1
    )


def dotted(node: ast.expr) -> str | None:
    """``op`` or ``alembic.op``: a name or a chain of attributes of one,
    as written; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = dotted(node.value)
        return f"{owner}.{node.attr}" if owner is not None else None
    return None


def _binary(node: Any, names: Namespace) -> Any:
    left, right = _evaluate(node.left, names), _evaluate(node.right, names)
    same = type(left) is type(right)
    if isinstance(node.op, ast.Add) and same and isinstance(left, str):
        return left + right
    return Opaque(_source(node))


def _unary(node: Any, names: Namespace) -> Any:
    value = _evaluate(node.operand, names)
    if isinstance(node.op, ast.USub) and isinstance(value, (int, float)):
        return -value
    if isinstance(node.op, ast.Not) and isinstance(value, bool):
        return not value
    return Opaque(_source(node))


def _joined(node: Any, names: Namespace) -> Any:
    # An f-string of plain values: f"ix_{table}_{column}".
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
            continue
        if value.conversion != -1 or value.format_spec is not None:
            return Opaque(_source(node))
        part = _evaluate(value.value, names)
        if isinstance(part, bool) or not isinstance(part, (str, int)):
            return Opaque(_source(node))
        parts.append(str(part))
    return "".join(parts)


_HANDLERS: Mapping[type[ast.expr], Any] = {
    ast.JoinedStr: _joined,
    ast.Constant: _constant,
    ast.List: _sequence,
    ast.Tuple: _sequence,
    ast.Set: _sequence,
    ast.Dict: _mapping,
    ast.Name: _name,
    ast.Attribute: _attribute,
    ast.Call: _call,
    ast.BinOp: _binary,
    ast.UnaryOp: _unary,
}


def _from_sqlalchemy(value: Any) -> bool:
    module = value.__name__ if isinstance(value, ModuleType) else ""
    if not module:
        module = getattr(type(value), "__module__", "") or ""
        if isinstance(value, type) or callable(value):
            module = getattr(value, "__module__", module) or module
    return module == "sqlalchemy" or module.startswith("sqlalchemy.")


def _callable_safely(function: Any) -> bool:
    if isinstance(function, type):
        return issubclass(function, _SAFE_CLASSES)
    if isinstance(function, functions._FunctionGenerator):
        return True  # sa.func.<name>(...) builds a SQL function call
    try:
        return function in _SAFE_FUNCTIONS
    except TypeError:  # unhashable
        return False


def _source(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles any parsed tree
        return type(node).__name__
