"""Find the endpoint method a request names, and run it.

A server holds several endpoints, each an object with a ``target``
(:class:`~zerodown.rpc.target.Target` with the newest ``version`` it
implements and, optionally, a ``namespace``).  Several versions are served
at once by giving the server one endpoint per major version, the new one
beside the old (as Nova's compute manager serves 6.x beside a 5.x proxy).

A request goes to the first endpoint of its namespace whose version is
compatible (same major, minor no newer).  An endpoint names the API it
serves (``RPC_API``, an :class:`~zerodown.rpc.api.RPCAPI` class), and only
the methods that API's version history declares up to the endpoint's
version can be called, as ``method(context, **args)``: a helper such as
``init_host`` or a periodic task on the same object is out of reach,
whoever sends the message.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from zerodown.rpc import versions
from zerodown.rpc.api import RPCAPI
from zerodown.rpc.context import RequestContext, using_context
from zerodown.rpc.errors import (
    InvalidArguments,
    NoSuchMethod,
    RPCDeclarationError,
    UnsupportedVersion,
)
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
        self._signatures: dict[tuple[int, str], _Parameters] = {}
        self._methods = {
            id(endpoint): _declared(endpoint) for endpoint in self.endpoints
        }

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
        if request.method not in self._methods[id(endpoint)]:
            raise NoSuchMethod(
                method=request.method,
                version=request.version,
                served=self.served(),
            )
        method = getattr(endpoint, request.method)
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
        params = self._signatures.get(key)
        if params is None:
            params = self._signatures[key] = _Parameters(method)
        if params.fit(request.args):
            return
        try:
            params.signature.bind(None, **request.args)
        except TypeError as err:
            raise InvalidArguments(
                method=request.method, version=request.version, reason=err
            ) from None


class _Parameters:
    """A method's parameters after its context, for a quick check that
    keyword arguments fit (``Signature.bind`` cost more than the rest of
    dispatching; it still words the error when they do not)."""

    __slots__ = ("allowed", "required", "signature")

    def __init__(self, method: Callable[..., Any]) -> None:
        self.signature = inspect.signature(method)
        P = inspect.Parameter
        after_context = list(self.signature.parameters.values())[1:]
        named = [
            p
            for p in after_context
            if p.kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY)
        ]
        self.allowed = frozenset(p.name for p in named)
        self.required = frozenset(
            p.name for p in named if p.default is P.empty
        )
        # Anything else after the context (positional-only parameters, a
        # context that is not positional...): leave it all to bind().
        plain = all(
            p.kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY, P.VAR_KEYWORD)
            for p in after_context
        )
        first = next(iter(self.signature.parameters.values()), None)
        positional = (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)
        context_ok = first is not None and (
            first.kind in positional or first.kind is P.VAR_POSITIONAL
        )
        if not plain or not context_ok:
            self.allowed = self.required = frozenset({"\0never"})

    def fit(self, args: dict[Any, Any]) -> bool:
        """Whether ``args`` surely bind (``False``: ask ``bind``, which
        also takes what a ``**`` parameter collects)."""
        return self.required <= args.keys() <= self.allowed


def _target(endpoint: object) -> Target:
    target: Target = getattr(endpoint, "target")  # noqa: B009
    return target


def _label(request: Request) -> str:
    if request.namespace:
        return f"{request.namespace}:{request.version}"
    return request.version


def _declared(endpoint: object) -> frozenset[str]:
    """The methods ``endpoint`` may be asked to run.

    :raises RPCDeclarationError: without a versioned target and an
        ``RPC_API`` of the target's namespace.
    """
    name = type(endpoint).__name__
    target = getattr(endpoint, "target", None)
    if not isinstance(target, Target) or target.version is None:
        raise RPCDeclarationError(
            api=name, problem="an endpoint needs a target with a version"
        )
    api = getattr(endpoint, "RPC_API", None)
    if not (isinstance(api, type) and issubclass(api, RPCAPI)):
        raise RPCDeclarationError(
            api=name,
            problem="an endpoint names the API it serves (RPC_API = an "
            "RPCAPI class): only the methods its version history declares "
            "are dispatched",
        )
    if target.namespace != api.NAMESPACE:
        raise RPCDeclarationError(
            api=name,
            problem=f"serves namespace {target.namespace!r} but "
            f"{api.__name__} is in {api.NAMESPACE!r}",
        )
    methods = api.declared_methods(target.version)
    return frozenset(
        m
        for m in methods
        if not m.startswith("_") and callable(getattr(endpoint, m, None))
    )
