"""A revision script as lint sees it: its header, waivers and calls.

The script is parsed, never imported.  :func:`read_script` walks
``upgrade()`` (and the module-level helpers it calls) and records each
call on Alembic's ``op``, on a ``batch_alter_table`` block's operations,
and on zerodown's ``zop``, with the Alembic operation it would run when
its arguments are plain data.  What it cannot follow (``op`` or one of
its methods handed on as a value, a class's methods, a function passed
as a value) is recorded too, as a call nothing can be read of.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.operations import BatchOperations, Operations
from alembic.operations import ops as alembic_ops

from zerodown.migrations import guard
from zerodown.migrations.errors import ScriptError
from zerodown.migrations.lint.capture import Rebuilder, is_operation
from zerodown.migrations.lint.sql import Statement, statements
from zerodown.migrations.lint.values import (
    Namespace,
    Opaque,
    dotted,
    evaluate,
    opaque_in,
)
from zerodown.migrations.lint.waivers import (
    Waiver,
    read_phase_exceptions,
    read_waivers,
)
from zerodown.migrations.phases import Phase

__all__ = ["Call", "RevisionScript", "read_script"]


@dataclass(frozen=True)
class Call:
    """One operation a revision's ``upgrade()`` calls.

    ``receiver`` is ``op``, ``batch`` (inside ``batch_alter_table``) or
    ``zop``; ``operation`` is the Alembic operation it would run (None
    when an argument is not plain data, and for ``zop``); ``statements``
    holds the parsed SQL of ``op.execute``; ``unreadable`` the source of
    each argument that is not plain data.
    """

    receiver: str
    name: str
    line: int
    source: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    operation: alembic_ops.MigrateOperation | None = None
    batch_table: str | None = None
    autocommit: bool = False
    statements: tuple[Statement, ...] = ()
    unreadable: tuple[str, ...] = ()  # the arguments lint cannot know

    @property
    def table(self) -> str | None:
        """The table the call acts on, when lint can tell."""
        name = getattr(self.operation, "table_name", None) or self.batch_table
        if name is None and self.args and isinstance(self.args[0], str):
            name = self.args[0]
        return str(name) if name is not None else None

    @property
    def target(self) -> str:
        """What the call acts on, as the phase guard names it."""
        if self.operation is not None:
            return guard.classify(self.operation).target
        if self.receiver == "zop" and not self.unreadable:
            online = _online_operation(self.name, self.args, self.kwargs)
            if online is not None:
                return str(online.target_name)
        return self.table or "*"

    def kwarg(self, name: str, default: Any = None) -> Any:
        return self.kwargs.get(name, default)


def _online_operation(
    name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> Any:
    """The zop operation a call builds (a frozen dataclass: building it
    runs nothing), or None if its arguments do not fit."""
    from zerodown.migrations.operations import OnlineOperation

    kind = OnlineOperation.registry.get(name)
    try:
        return kind(*args, **kwargs) if kind is not None else None
    except TypeError:
        return None


@dataclass(frozen=True)
class RevisionScript:
    """A parsed revision script."""

    path: Path
    revision: str | None
    down_revision: tuple[str, ...]
    branch_labels: tuple[str, ...]
    depends_on: tuple[str, ...]
    calls: tuple[Call, ...]
    waivers: tuple[Waiver, ...]
    waiver_errors: tuple[tuple[int, str], ...]  # (line, problem)
    phase_exceptions: tuple[guard.PhaseException, ...]
    phase: Phase | None = None

    @property
    def created_tables(self) -> frozenset[str]:
        """Tables this revision creates: nobody uses them yet."""
        return frozenset(
            call.operation.table_name
            for call in self.calls
            if isinstance(call.operation, alembic_ops.CreateTableOp)
        )

    def is_new(self, table: str | None) -> bool:
        return table is not None and table in self.created_tables


def read_script(path: Path) -> RevisionScript:
    """Parse ``path`` into a :class:`RevisionScript`."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as err:
        raise ScriptError(path=str(path), reason=str(err)) from err
    except SyntaxError as err:
        raise ScriptError(
            path=f"{path}:{err.lineno}", reason=f"SyntaxError: {err.msg}"
        ) from err
    names = Namespace()
    header: dict[str, Any] = {}
    functions: dict[str, ast.FunctionDef] = {}
    classes: dict[str, ast.ClassDef] = {}
    for node in tree.body:
        _learn(node, names, header, functions)
        if isinstance(node, ast.ClassDef):
            classes[node.name] = node
    waivers, waiver_errors = read_waivers(tree, names)
    walker = _Walker(names, functions, classes)
    if "upgrade" in functions:
        walker.walk(functions["upgrade"].body, None, False, walker.scope())
    return RevisionScript(
        path=path,
        revision=_str(header.get("revision")),
        down_revision=_strings(header.get("down_revision")),
        branch_labels=_strings(header.get("branch_labels")),
        depends_on=_strings(header.get("depends_on")),
        calls=tuple(walker.calls),
        waivers=waivers,
        waiver_errors=waiver_errors,
        phase_exceptions=read_phase_exceptions(tree, names),
    )


def _learn(
    node: ast.stmt,
    names: Namespace,
    header: dict[str, Any],
    functions: dict[str, ast.FunctionDef],
) -> None:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names.learn_import(node)
    elif isinstance(node, (ast.Assign, ast.AnnAssign)):
        names.learn_constant(node)
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target]
        )
        for target in targets:
            if isinstance(target, ast.Name) and node.value is not None:
                header[target.id] = evaluate(node.value, names)
    elif isinstance(node, ast.FunctionDef):
        functions[node.name] = node


# A loop over more literal values than this is read as one pass with an
# unknown loop variable.
_MAX_UNROLL = 256


class _Walker:
    """Collects the calls of ``upgrade()`` in the order they run.

    Each function body is read with a scope: the module's names, plus
    the function's parameters (bound to the values a call passed) and
    the local names it assigned.  A loop over literal values runs its
    body once per value.  A name whose value is not plain data stays
    :class:`Opaque`, and so does every argument built from it.
    """

    def __init__(
        self,
        names: Namespace,
        functions: Mapping[str, ast.FunctionDef],
        classes: Mapping[str, ast.ClassDef] = {},
    ) -> None:
        self.names = names
        self.functions = dict(functions)
        self.classes = dict(classes)
        self.calls: list[Call] = []
        self.stack: list[str] = ["upgrade"]
        self.rebuilder = Rebuilder()
        self.unfollowed: set[str] = set()  # reported once each

    def scope(
        self,
        bound: Mapping[str, Any] = {},
        receivers: Mapping[str, str] = {},
    ) -> Namespace:
        """A function's own scope over the module's names (a parameter
        given ``op`` or ``zop`` stands for it)."""
        return dataclasses.replace(
            self.names,
            constants={**self.names.constants, **bound},
            receivers={**self.names.receivers, **receivers},
        )

    def walk(
        self,
        body: list[ast.stmt],
        batch: tuple[str, str] | None,
        auto: bool,
        scope: Namespace,
    ) -> None:
        for statement in body:
            if isinstance(statement, ast.FunctionDef):
                self.functions[statement.name] = statement  # a local helper
                continue
            self._escapes(statement, batch, scope)
            if isinstance(statement, (ast.With, ast.AsyncWith)):
                self._with(statement, batch, auto, scope)
                continue
            if isinstance(statement, (ast.For, ast.AsyncFor)):
                self._for(statement, batch, auto, scope)
                continue
            for node in _calls_in(statement):
                self._call(node, batch, auto, scope)
            _assign(statement, scope)
            for child in _blocks(statement):
                self.walk(child, batch, auto, scope)

    def _with(
        self,
        node: ast.With | ast.AsyncWith,
        batch: tuple[str, str] | None,
        auto: bool,
        scope: Namespace,
    ) -> None:
        for item in node.items:
            expr = item.context_expr
            if _is_method(expr, "autocommit_block"):
                auto = True
            elif self._is_batch(expr, scope) and isinstance(
                item.optional_vars, ast.Name
            ):
                assert isinstance(expr, ast.Call)
                table = evaluate(expr.args[0], scope) if expr.args else None
                batch = (item.optional_vars.id, str(table))
            elif item.optional_vars is not None:
                _bind(item.optional_vars, Opaque(_source(expr)), scope)
        self.walk(node.body, batch, auto, scope)

    def _for(
        self,
        node: ast.For | ast.AsyncFor,
        batch: tuple[str, str] | None,
        auto: bool,
        scope: Namespace,
    ) -> None:
        values = evaluate(node.iter, scope)
        if isinstance(values, dict):
            values = list(values)
        if isinstance(values, (list, tuple)) and len(values) <= _MAX_UNROLL:
            for value in values:
                _bind(node.target, value, scope)
                self.walk(node.body, batch, auto, scope)
        else:
            _bind(node.target, Opaque(_source(node.target)), scope)
            self.walk(node.body, batch, auto, scope)
        self.walk(node.orelse, batch, auto, scope)

    def _is_batch(self, expr: ast.expr, scope: Namespace) -> bool:
        return (
            _is_method(expr, "batch_alter_table")
            and isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and scope.receivers.get(dotted(expr.func.value) or "") == "op"
        )

    def _call(
        self,
        node: ast.Call,
        batch: tuple[str, str] | None,
        auto: bool,
        scope: Namespace,
    ) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.functions:
            if func.id not in self.stack:  # a helper, not a recursion
                helper = self.functions[func.id]
                self.stack.append(func.id)
                bound = _arguments(helper, node, scope, self.names)
                given = _receivers_passed(helper, node, scope)
                self.walk(helper.body, batch, auto, self.scope(bound, given))
                self.stack.pop()
            return
        if not isinstance(func, ast.Attribute):
            return
        owner = dotted(func.value)
        if owner is None:
            return
        receiver = scope.receivers.get(owner)
        if batch is not None and owner == batch[0]:
            receiver = "batch"
        if receiver is None or not is_operation(func.attr):
            return
        self.calls.append(
            self._record(node, receiver, func.attr, batch, auto, scope)
        )

    def _escapes(
        self,
        statement: ast.stmt,
        batch: tuple[str, str] | None,
        scope: Namespace,
    ) -> None:
        """Record what this statement hands on that lint cannot follow:
        ``op`` (or ``zop``, or a batch) as a value, one of its operations
        as a value (``create = op.create_index``), and classes or
        functions of this script that run operations but are not called
        the way lint reads (a method, a function passed as a value)."""
        shown = _source(statement)
        for node, parent, grand in _own_nodes(statement):
            if not isinstance(node, (ast.Name, ast.Attribute)) or not (
                isinstance(node.ctx, ast.Load)
            ):
                continue
            name = dotted(node)
            receiver = scope.receivers.get(name or "")
            if batch is not None and name == batch[0]:
                receiver = "batch"
            if receiver is not None:
                self._escaped(node, parent, grand, receiver, shown)
            elif not isinstance(node, ast.Name):
                continue
            elif node.id in self.classes or (
                node.id in self.functions
                and not (isinstance(parent, ast.Call) and parent.func is node)
            ):
                self._unfollowed(node.id)

    def _escaped(
        self,
        node: ast.Name | ast.Attribute,
        parent: ast.AST | None,
        grand: ast.AST | None,
        receiver: str,
        shown: str,
    ) -> None:
        call = grand if isinstance(parent, ast.keyword) else parent
        if isinstance(parent, ast.Attribute):
            if isinstance(grand, ast.Call) and grand.func is parent:
                return  # op.<method>(...): _call reads it
            if not _is_operation_of(receiver, parent.attr):
                return  # op.impl, op.f: no schema change
            name, value = parent.attr, _source(parent)
        elif (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id in self.functions
            and receiver != "batch"
            and (node in call.args or isinstance(parent, ast.keyword))
        ):
            return  # a helper given op: read with its parameter as op
        else:
            name, value = "?", _source(node)
        self.calls.append(
            Call(
                receiver=receiver,
                name=name,
                line=node.lineno,
                source=shown,
                unreadable=(f"{value} handed on as a value",),
            )
        )

    def _unfollowed(self, name: str) -> None:
        """Operations inside a class, or a function used as a value:
        lint does not follow them, so each is reported."""
        if name in self.unfollowed:
            return
        self.unfollowed.add(name)
        definition: ast.AST = self.classes.get(name) or self.functions[name]
        what = "class" if name in self.classes else "function"
        for node in ast.walk(definition):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
            ):
                continue
            receiver = self.names.receivers.get(dotted(node.func.value) or "")
            if receiver is None or not _is_operation_of(
                receiver, node.func.attr
            ):
                continue
            self.calls.append(
                Call(
                    receiver=receiver,
                    name=node.func.attr,
                    line=node.lineno,
                    source=_source(node),
                    unreadable=(f"{what} {name}, which lint does not follow",),
                )
            )

    def _record(
        self,
        node: ast.Call,
        receiver: str,
        name: str,
        batch: tuple[str, str] | None,
        auto: bool,
        scope: Namespace,
    ) -> Call:
        args = tuple(_argument(arg, scope) for arg in node.args)
        kwargs = {
            kw.arg: evaluate(kw.value, scope) for kw in node.keywords if kw.arg
        }
        unreadable = [
            str(found)
            for value in (*args, *kwargs.values())
            if (found := opaque_in(value)) is not None
        ]
        if any(kw.arg is None for kw in node.keywords):
            unreadable.append(
                next(_source(kw.value) for kw in node.keywords if not kw.arg)
            )
        table = batch[1] if receiver == "batch" and batch else None
        operation = None
        if receiver != "zop" and not unreadable:
            operation = self.rebuilder.rebuild(name, args, kwargs, table)
        return Call(
            receiver=receiver,
            name=name,
            line=node.lineno,
            source=ast.unparse(node),
            args=args,
            kwargs=kwargs,
            operation=operation,
            batch_table=table,
            autocommit=auto,
            statements=_sql_of(name, args, kwargs),
            unreadable=tuple(unreadable),
        )


def _argument(node: ast.expr, scope: Namespace) -> Any:
    if isinstance(node, ast.Starred):  # *args: how many, and which?
        return Opaque(_source(node))
    return evaluate(node, scope)


def _arguments(
    helper: ast.FunctionDef,
    call: ast.Call,
    scope: Namespace,
    module: Namespace,
) -> dict[str, Any]:
    """The helper's parameters bound to what ``call`` passes (defaults
    read in the module's scope); every other parameter is Opaque, and
    all of them when the call unpacks ``*args`` or ``**kwargs``."""
    spec = helper.args
    positional = [p.arg for p in (*spec.posonlyargs, *spec.args)]
    keyword_only = [p.arg for p in spec.kwonlyargs]
    extras = [p.arg for p in (spec.vararg, spec.kwarg) if p is not None]
    every = [*positional, *keyword_only, *extras]
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        kw.arg is None for kw in call.keywords
    ):
        return {name: Opaque(name) for name in every}
    bound: dict[str, Any] = {}
    firsts = positional[len(positional) - len(spec.defaults) :]
    for name, default in zip(firsts, spec.defaults, strict=True):
        bound[name] = evaluate(default, module)
    for name, maybe in zip(keyword_only, spec.kw_defaults, strict=True):
        if maybe is not None:
            bound[name] = evaluate(maybe, module)
    for name, value in zip(positional, call.args, strict=False):
        bound[name] = evaluate(value, scope)
    for kw in call.keywords:
        if kw.arg:
            bound[kw.arg] = evaluate(kw.value, scope)
    return {name: bound.get(name, Opaque(name)) for name in every}


def _is_operation_of(receiver: str, name: str) -> bool:
    """``name`` is a schema-changing method of ``op``, a batch or ``zop``
    (``op.impl``, an attribute, is none)."""
    from zerodown.migrations.operations import OnlineOperation

    if receiver == "zop":
        return name in OnlineOperation.registry
    kind = BatchOperations if receiver == "batch" else Operations
    return is_operation(name) and callable(getattr(kind, name, None))


def _receivers_passed(
    helper: ast.FunctionDef, call: ast.Call, scope: Namespace
) -> dict[str, str]:
    """The helper's parameters that ``call`` gives ``op`` or ``zop``."""
    spec = helper.args
    positional = [p.arg for p in (*spec.posonlyargs, *spec.args)]
    passed = list(zip(positional, call.args, strict=False))
    passed += [(kw.arg, kw.value) for kw in call.keywords if kw.arg]
    return {
        name: scope.receivers[value.id]
        for name, value in passed
        if isinstance(value, ast.Name) and value.id in scope.receivers
    }


def _assign(statement: ast.stmt, scope: Namespace) -> None:
    # A local name: its value when it is plain data, else Opaque (which
    # also hides a module-level constant of the same name).
    if isinstance(statement, ast.Assign):
        value = evaluate(statement.value, scope)
        for target in statement.targets:
            _bind(target, value, scope)
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        _bind(statement.target, evaluate(statement.value, scope), scope)
    elif isinstance(statement, ast.AugAssign):
        _bind(statement.target, Opaque(_source(statement.target)), scope)


def _bind(target: ast.expr, value: Any, scope: Namespace) -> None:
    if isinstance(target, ast.Name):
        scope.constants[target.id] = value
    elif isinstance(target, (ast.Tuple, ast.List)):
        items = value if isinstance(value, (list, tuple)) else None
        if items is None or len(items) != len(target.elts):
            items = [Opaque(_source(e)) for e in target.elts]
        for element, item in zip(target.elts, items, strict=True):
            _bind(element, item, scope)


def _source(node: ast.AST) -> str:
    return ast.unparse(node)


def _calls_in(statement: ast.stmt) -> list[ast.Call]:
    # Calls in this statement itself, outermost first; nested blocks
    # (if/for/try bodies) are walked separately to keep their context.
    found: list[ast.Call] = []
    todo: list[ast.AST] = [
        child
        for name, child in ast.iter_fields(statement)
        if name not in ("body", "orelse", "finalbody", "handlers")
        for child in (child if isinstance(child, list) else [child])
        if isinstance(child, ast.AST)
    ]
    while todo:
        node = todo.pop(0)
        if isinstance(node, ast.Call):
            found.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return found


def _own_nodes(
    statement: ast.stmt,
) -> list[tuple[ast.AST, ast.AST | None, ast.AST | None]]:
    """Every node of the statement itself (not of its nested blocks or
    definitions), with its parent and grandparent."""
    found: list[tuple[ast.AST, ast.AST | None, ast.AST | None]] = []
    todo: list[tuple[ast.AST, ast.AST | None, ast.AST | None]] = [
        (child, statement, None)
        for name, child in ast.iter_fields(statement)
        if name not in ("body", "orelse", "finalbody", "handlers")
        for child in (child if isinstance(child, list) else [child])
        if isinstance(child, ast.AST)
    ]
    while todo:
        node, parent, grand = todo.pop(0)
        found.append((node, parent, grand))
        todo.extend((c, node, parent) for c in ast.iter_child_nodes(node))
    return found


def _blocks(statement: ast.stmt) -> list[list[ast.stmt]]:
    blocks: list[list[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(statement, name, None)
        if isinstance(value, list) and not isinstance(
            statement, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)
        ):
            blocks.append(value)
    for handler in getattr(statement, "handlers", []) or []:
        blocks.append(handler.body)
    return blocks


def _is_method(expr: ast.expr, name: str) -> bool:
    return (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == name
    )


def _sql_of(
    name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Statement, ...]:
    if name != "execute":
        return ()
    sql = args[0] if args else kwargs.get("sqltext")
    text = getattr(sql, "text", sql)  # sa.text(...) keeps its string
    if isinstance(text, str):
        return tuple(statements(text))
    return ()


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if isinstance(v, str))
    return ()
