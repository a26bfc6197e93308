"""Object indirection over RPC: the conductor backports for old services.

A service without database access sets its registry's indirection API to
an :class:`ObjectIndirectionAPI` client of the conductor; the conductor
adds an :class:`ObjectIndirectionEndpoint` to its server.  Then an object
too new for the service is backported by the conductor
(``object_backport_versions``, Nova's flow), and remotable methods run
there.  The endpoint has its own namespace, so its version history is
independent of the conductor's own API.

Senders that know their receivers' object versions (``version_cap="auto"``
with a service history listing objects) backport before sending, and this
round trip is not needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zerodown.objects.base import ZerodownObject
from zerodown.objects.indirection import IndirectionAPI, ObjectActions
from zerodown.objects.registry import ObjectRegistry
from zerodown.objects.wire import WireObject
from zerodown.rpc.api import RPCAPI
from zerodown.rpc.context import RequestContext
from zerodown.rpc.target import Target

__all__ = [
    "NAMESPACE",
    "ObjectIndirectionAPI",
    "ObjectIndirectionEndpoint",
]

NAMESPACE = "zerodown.objects"


def _context(context: Any) -> RequestContext | None:
    return context if isinstance(context, RequestContext) else None


class ObjectIndirectionAPI(RPCAPI, IndirectionAPI):
    """Client side of the object indirection API (give ``topic=`` the
    conductor's topic).

    API version history:

    * 1.0 - object_backport_versions(), object_class_action_versions()
            and object_action(), each with the caller's version manifest.
    """

    TOPIC = "conductor"
    VERSION = "1.0"
    NAMESPACE = NAMESPACE

    def object_backport_versions(
        self,
        context: Any,
        objinst: WireObject,
        object_versions: Mapping[str, str],
    ) -> Any:
        return self.client.call(
            _context(context),
            "object_backport_versions",
            objinst=objinst,
            object_versions=dict(object_versions),
        )

    def object_class_action_versions(
        self,
        context: Any,
        objname: str,
        objmethod: str,
        object_versions: Mapping[str, str],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        return self.client.call(
            _context(context),
            "object_class_action_versions",
            objname=objname,
            objmethod=objmethod,
            object_versions=dict(object_versions),
            args=list(args),
            kwargs=kwargs,
        )

    def object_action(
        self,
        context: Any,
        objinst: ZerodownObject,
        objmethod: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        object_versions: Mapping[str, str],
    ) -> tuple[dict[str, Any], Any]:
        updates, result = self.client.call(
            _context(context),
            "object_action",
            objinst=objinst,
            objmethod=objmethod,
            args=list(args),
            kwargs=kwargs,
            object_versions=dict(object_versions),
        )
        return dict(updates), result


class ObjectIndirectionEndpoint:
    """The conductor's side: serves :class:`ObjectIndirectionAPI` from
    its (newest) registry.  Serve it with an ``ObjectSerializer`` of that
    registry."""

    target = Target(version="1.0", namespace=NAMESPACE)
    RPC_API = ObjectIndirectionAPI

    def __init__(self, registry: ObjectRegistry) -> None:
        self.actions = ObjectActions(registry)

    def object_backport_versions(
        self, context: RequestContext, objinst: Any, object_versions: Any
    ) -> WireObject:
        return self.actions.object_backport_versions(
            context, objinst, object_versions
        )

    def object_class_action_versions(
        self,
        context: RequestContext,
        objname: str,
        objmethod: str,
        object_versions: dict[str, str],
        args: list[Any],
        kwargs: dict[str, Any],
    ) -> Any:
        return self.actions.object_class_action_versions(
            context, objname, objmethod, object_versions, tuple(args), kwargs
        )

    def object_action(
        self,
        context: RequestContext,
        objinst: ZerodownObject,
        objmethod: str,
        args: list[Any],
        kwargs: dict[str, Any],
        object_versions: dict[str, str],
    ) -> list[Any]:
        updates, result = self.actions.object_action(
            context, objinst, objmethod, tuple(args), kwargs, object_versions
        )
        return [updates, result]
