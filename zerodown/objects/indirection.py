"""Remotable methods and the indirection interface a conductor serves.

A service without database access (a compute) sets its registry's
``indirection_api`` to a client of the conductor.  Then:

* a method decorated with :func:`remotable` runs on the conductor
  (``object_action`` / ``object_class_action_versions``), and the caller's
  object takes the changes back;
* an object too new to read is sent to the conductor to be backported
  (``object_backport_versions``) - unless the sender already backported it,
  which :class:`~zerodown.objects.serializer.ObjectSerializer` does when it
  knows the receiver's versions.

Every call carries the caller's version manifest, and the conductor answers
in those versions, so a newer conductor never hands an older service a
field or value it cannot read.  :class:`ObjectActions` is the conductor's
side; the RPC layer exposes its three methods.
:class:`~zerodown.testing.indirection.LocalIndirection` runs them in one
process through the wire codec, for tests.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from zerodown.objects.base import ZerodownObject
from zerodown.objects.errors import (
    ObjectError,
    UnknownObject,
    UnknownObjectMethod,
)
from zerodown.objects.protocols import IndirectionAPI, Versions
from zerodown.objects.wire import WireObject

if TYPE_CHECKING:
    from zerodown.objects.registry import ObjectRegistry

__all__ = [
    "IndirectionAPI",
    "ObjectActions",
    "remotable",
]

F = TypeVar("F", bound=Callable[..., Any])
_UNSET = object()


def remotable(fn: F) -> F:
    """Decorate a method - or a classmethod, under ``@classmethod`` - that
    runs on the conductor when the class's registry has an indirection API.

    A classmethod takes the request context as its first argument; an
    instance method uses the object's own context.
    """

    @functools.wraps(fn)
    def wrapper(first: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(first, type):
            return _class_call(fn, first, args, kwargs)
        return _instance_call(fn, first, args, kwargs)

    # The attributes o.vo's tooling looks for.
    wrapper.__dict__.update(remotable=True, original_fn=fn)
    return cast(F, wrapper)


def _class_call(
    fn: Callable[..., Any],
    cls: type[ZerodownObject],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    registry = cls.obj_registry
    api = registry.indirection_api
    if api is None:
        result = fn(cls, *args, **kwargs)
        if isinstance(result, ZerodownObject) and args:
            result._context = args[0]
        return result
    context, rest = (args[0], args[1:]) if args else (None, ())
    versions = registry.tree_versions(cls.obj_name())
    return api.object_class_action_versions(
        context, cls.obj_name(), fn.__name__, versions, rest, kwargs
    )


def _instance_call(
    fn: Callable[..., Any],
    obj: ZerodownObject,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    registry = type(obj).obj_registry
    api = registry.indirection_api
    if api is None:
        return fn(obj, *args, **kwargs)
    if obj._context is None:
        raise ObjectError(
            problem=f"{obj.obj_name()}.{fn.__name__} runs remotely and "
            "needs the object to carry a request context"
        )
    versions = registry.tree_versions(obj.obj_name())
    updates, result = api.object_action(
        obj._context, obj, fn.__name__, args, kwargs, versions
    )
    updates = dict(updates)
    changed = updates.pop("obj_what_changed", [])
    obj._zd_plan.assign(obj, updates, obj._context, registry)
    obj._changed_fields = {name for name in changed if name in obj.fields}
    return result


def remotable_function(cls: type, name: str) -> Callable[..., Any]:
    """The undecorated function of ``cls``'s remotable method ``name``.

    :raises UnknownObjectMethod: if there is none.
    """
    try:
        attr = inspect.getattr_static(cls, name)
    except AttributeError:
        attr = None
    if isinstance(attr, (classmethod, staticmethod)):
        attr = attr.__func__
    if not getattr(attr, "remotable", False):
        raise UnknownObjectMethod(object=cls.__name__, method=name)
    return cast(Callable[..., Any], attr.original_fn)


class ObjectActions:
    """The conductor's side of :class:`IndirectionAPI`, for one registry."""

    def __init__(self, registry: ObjectRegistry) -> None:
        self.registry = registry

    def object_backport_versions(
        self, context: Any, objinst: Any, object_versions: Versions
    ) -> WireObject:
        """Read ``objinst`` (object or :class:`WireObject`) and return it in
        the caller's versions."""
        obj = objinst
        if not isinstance(obj, ZerodownObject):
            obj = self.registry.obj_from_wire(objinst, context)
        return _in_versions(obj, object_versions)

    def object_class_action_versions(
        self,
        context: Any,
        objname: str,
        objmethod: str,
        object_versions: Versions,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        cls = self.registry[objname]
        fn = remotable_function(cls, objmethod)
        result = fn(cls, context, *args, **kwargs)
        return _result_in(result, object_versions)

    def object_action(
        self,
        context: Any,
        objinst: ZerodownObject,
        objmethod: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        object_versions: Versions,
    ) -> tuple[dict[str, Any], Any]:
        fn = remotable_function(type(objinst), objmethod)
        before = _in_versions(objinst, object_versions).data
        objinst._context = context
        result = fn(objinst, *args, **kwargs)
        after = _in_versions(objinst, object_versions).data
        updates: dict[str, Any] = {
            name: value
            for name, value in after.items()
            if before.get(name, _UNSET) != value
        }
        updates["obj_what_changed"] = sorted(
            objinst.obj_what_changed() & after.keys()
        )
        return updates, _result_in(result, object_versions)


def _in_versions(obj: ZerodownObject, versions: Versions) -> WireObject:
    target = versions.get(obj.obj_name())
    if target is None:
        raise UnknownObject(
            name=obj.obj_name(),
            version=obj.VERSION,
            namespace=f"{obj.OBJ_PROJECT_NAMESPACE} (as the caller knows it)",
        )
    return obj.obj_to_wire(target, versions)


def _result_in(result: Any, versions: Versions) -> Any:
    if isinstance(result, ZerodownObject):
        return _in_versions(result, versions)
    if isinstance(result, (list, tuple)):
        return [_result_in(item, versions) for item in result]
    return result
