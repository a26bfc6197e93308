"""An in-process conductor for tests: the indirection API without RPC.

:class:`LocalIndirection` serves a client registry from a conductor's
:class:`~zerodown.objects.indirection.ObjectActions` in this process,
every argument and answer going through the wire codec, so a test of
remotable methods and conductor backports needs no broker.  It is the
reference of what :mod:`zerodown.rpc.indirection` must carry.
"""

from __future__ import annotations

from typing import Any

from zerodown.objects import wire
from zerodown.objects.base import ZerodownObject
from zerodown.objects.indirection import IndirectionAPI, ObjectActions
from zerodown.objects.protocols import Versions
from zerodown.objects.registry import ObjectRegistry
from zerodown.objects.serializer import ObjectSerializer
from zerodown.objects.wire import WireObject

__all__ = ["LocalIndirection"]


class LocalIndirection(IndirectionAPI):
    """Serve a client registry from a conductor's :class:`ObjectActions` in
    this process, every argument and answer going through the wire codec.

    Used by tests, and the reference of what the RPC layer must carry.
    """

    def __init__(self, actions: ObjectActions, client: ObjectRegistry) -> None:
        self.actions = actions
        self.client = ObjectSerializer(client)
        self.server = ObjectSerializer(actions.registry)

    def _to_server(self, context: Any, value: Any) -> Any:
        sent = wire.decode(
            wire.encode(self.client.serialize_entity(context, value))
        )
        return self.server.deserialize_entity(context, sent)

    def _to_client(self, context: Any, value: Any) -> Any:
        sent = wire.decode(
            wire.encode(self.server.serialize_entity(context, value))
        )
        return self.client.deserialize_entity(context, sent)

    def object_backport_versions(
        self, context: Any, objinst: WireObject, object_versions: Versions
    ) -> Any:
        sent = wire.decode(wire.encode(objinst))
        answer = self.actions.object_backport_versions(
            context, sent, object_versions
        )
        return wire.decode(wire.encode(answer))

    def object_class_action_versions(
        self,
        context: Any,
        objname: str,
        objmethod: str,
        object_versions: Versions,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        result = self.actions.object_class_action_versions(
            context,
            objname,
            objmethod,
            object_versions,
            tuple(self._to_server(context, list(args))),
            self._to_server(context, kwargs),
        )
        return self._to_client(context, result)

    def object_action(
        self,
        context: Any,
        objinst: ZerodownObject,
        objmethod: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        object_versions: Versions,
    ) -> tuple[dict[str, Any], Any]:
        updates, result = self.actions.object_action(
            context,
            self._to_server(context, objinst),
            objmethod,
            tuple(self._to_server(context, list(args))),
            self._to_server(context, kwargs),
            object_versions,
        )
        answer = self._to_client(context, [updates, result])
        return answer[0], answer[1]
