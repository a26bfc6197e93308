"""Find the endpoint method a request names, and run it.

A server holds several endpoints, each an object with a ``target``
(:class:`~zerodown.rpc.target.Target` with the newest ``version`` it
implements and, optionally, a ``namespace``).  Several versions are served
at once by giving the server one endpoint per major version, the new one
beside the old (as Nova's compute manager serves 6.x beside a 5.x proxy).

A request goes to the first endpoint of its namespace whose version is
compatible (same major, minor no newer).  Public methods of the endpoint
are callable as ``method(context, **args)``; names starting with ``_``
and ``target`` are not.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from zerodown.exceptions import (
    InvalidArguments,
    NoSuchMethod,
    RPCDeclarationError,
    UnsupportedVersion,
)
from zerodown.rpc import versions
from zerodown.rpc.context import RequestContext, using_context
from zerodown.rpc.protocol import Request
from zerodown.rpc.serializer import NoOpSerializer, Serializer
from zerodown.rpc.target import Target

__all__ = ["Dispatcher", "Invocation"]


@dataclasses.dataclass
class Invocation:
    """A request bound to its endpoint method, arguments hydrated."""

    method: Callable[..., Any]
    context: RequestContext
    args: dict[str, Any]
    serializer: Serializer

    def run(self) -> Any:
        """Run the method with its context current; return the result in
        wire form."""
        with using_context(self.context):
            result = self.method(self.context, **self.args)
            return self.serializer.serialize_entity(self.context, result)


class Dispatcher:
    """Map requests to endpoint methods by namespace and version."""

    def __init__(
        self,
        endpoints: Sequence[object],
        serializer: Serializer | None = None,
    ) -> None:
        self.endpoints = list(endpoints)
        self.serializer = serializer or NoOpSerializer()
        self._signatures: dict[tuple[int, str], inspect.Signature] = {}
        for endpoint in self.endpoints:
            target = getattr(endpoint, "target", None)
            if not isinstance(target, Target) or target.version is None:
                raise RPCDeclarationError(
                    api=type(endpoint).__name__,
                    problem="an endpoint needs a target with a version",
                )

    def served(self) -> str:
        """The versions served, for errors: ``"1.4, 2.1"``."""
        return ", ".join(
            f"{t.namespace + ':' if t.namespace else ''}{t.version}"
            for t in (_target(e) for e in self.endpoints)
        )

    def bind(self, request: Request, context: RequestContext) -> Invocation:
        """The invocation ``request`` names.

        :raises UnsupportedVersion: no endpoint serves the version.
        :raises NoSuchMethod: a compatible endpoint lacks the method.
        :raises InvalidArguments: the arguments do not fit the method.
        :raises ObjectError: an argument's object cannot be read here.
        """
        endpoint = self._endpoint(request)
        method = _public_method(endpoint, request.method)
        if method is None:
            raise NoSuchMethod(
                method=request.method,
                version=request.version,
                served=self.served(),
            )
        self._check_arguments(endpoint, method, request)
        deserialize = self.serializer.deserialize_entity
        args = {
            name: deserialize(context, value)
            for name, value in request.args.items()
        }
        return Invocation(method, context, args, self.serializer)

    def _endpoint(self, request: Request) -> object:
        wanted = versions.parse(request.version)
        for endpoint in self.endpoints:
            target = _target(endpoint)
            if target.namespace != request.namespace:
                continue
            have = versions.parse(target.version or "0.0")
            if have[0] == wanted[0] and wanted[1] <= have[1]:
                return endpoint
        raise UnsupportedVersion(
            method=request.method,
            version=_label(request),
            served=self.served(),
        )

    def _check_arguments(
        self, endpoint: object, method: Callable[..., Any], request: Request
    ) -> None:
        key = (id(type(endpoint)), request.method)
        signature = self._signatures.get(key)
        if signature is None:
            signature = self._signatures[key] = inspect.signature(method)
        try:
            signature.bind(None, **request.args)
        except TypeError as err:
            raise InvalidArguments(
                method=request.method, version=request.version, reason=err
            ) from None


def _target(endpoint: object) -> Target:
    target: Target = getattr(endpoint, "target")  # noqa: B009
    return target


def _label(request: Request) -> str:
    if request.namespace:
        return f"{request.namespace}:{request.version}"
    return request.version


def _public_method(endpoint: object, name: str) -> Callable[..., Any] | None:
    if name.startswith("_") or name == "target":
        return None
    method = getattr(endpoint, name, None)
    return method if callable(method) else None
