"""The root of zerodown's errors, and the exit-code contract.

Every error zerodown raises on purpose derives from :class:`ZerodownError`.
Each carries its data as attributes (named in its ``template``) and a stable
``exit_code`` that the ``zerodown`` command returns.  Each package owns its
errors in its own ``errors`` module, whose docstring draws its branch::

    ZerodownError                         1
    ├── ConfigError                       2   a setting is missing or bad
    ├── DatabaseUnreachable               1   the database does not answer
    ├── ObjectError                       1   zerodown.objects.errors
    ├── RPCError                          1   zerodown.rpc.errors
    ├── ServiceError                      1   zerodown.services.errors
    ├── MigrationError                    1   zerodown.migrations.errors
    ├── GrenadeError                      1   zerodown.grenade.errors
    └── an application's own: the compute stack's are in
        zerodown.compute.errors

Exit codes: 0 ok, 1 error, 2 usage or configuration, 3 not safe yet.

**On the wire** an error travels as its class's module and name
(:mod:`zerodown.rpc.remote`).  A class that moved keeps the module an
older release knows it by as ``wire_module`` (a class keyword, never
inherited)::

    class RPCError(ZerodownError, wire_module="zerodown.exceptions"): ...

That module is sent, and either module is accepted on receipt, so a
release-2 peer raises and receives the same typed error.  Drop an alias
once no supported release predates the move.

**Compatibility.**  Release 2 kept the framework's errors here:
``zerodown.exceptions.RPCError`` still works, with a
:class:`DeprecationWarning` that names its module now.  The compute
stack's errors are not re-exported: the framework names nothing of its
client's domain.
"""

from __future__ import annotations

import string
from typing import Any, ClassVar

from zerodown.moved import moved_to

__all__ = [
    "EXIT_ERROR",
    "EXIT_NOT_SAFE_YET",
    "EXIT_OK",
    "EXIT_USAGE",
    "FRAMEWORK_ERRORS",
    "ConfigError",
    "DatabaseUnreachable",
    "ZerodownError",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_SAFE_YET = 3

#: The framework packages' error modules: with this one, the tree
#: release 2 kept in this module.
FRAMEWORK_ERRORS = (
    "zerodown.objects.errors",
    "zerodown.rpc.errors",
    "zerodown.services.errors",
    "zerodown.migrations.errors",
)


class ZerodownError(Exception):
    """Root of every error zerodown raises on purpose.

    Subclasses set ``template``; the keyword arguments given to the
    constructor fill it and become attributes.  A missing field is a bug in
    the caller and raises :class:`TypeError` instead of a vaguer message.
    """

    template: ClassVar[str] = "zerodown failed"
    exit_code: ClassVar[int] = EXIT_ERROR
    #: The module a peer knows this class by (see the module's docstring).
    wire_module: ClassVar[str] = "zerodown.exceptions"

    def __init_subclass__(
        cls, *, wire_module: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        # Set on every class, so a subclass never inherits its base's.
        cls.wire_module = wire_module or cls.__module__

    def __init__(self, **fields: Any) -> None:
        missing = _template_fields(self.template) - fields.keys()
        if missing:
            raise TypeError(
                f"{type(self).__name__} needs {', '.join(sorted(missing))}"
            )
        self.fields = fields
        for name, value in fields.items():
            setattr(self, name, value)
        super().__init__(self.template.format(**fields))

    @property
    def message(self) -> str:
        return str(self)


def _template_fields(template: str) -> set[str]:
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field:
            names.add(field.split(".")[0].split("[")[0].split("!")[0])
    return names


class ConfigError(ZerodownError):
    template = "configuration error: {problem}"
    exit_code = EXIT_USAGE


class DatabaseUnreachable(ZerodownError):
    """Both the migration engine and the services table connect."""

    template = "cannot connect to the database at {url}: {reason}"


# Release 2's ``zerodown.exceptions.X`` for a framework error.
__getattr__ = moved_to(__name__, FRAMEWORK_ERRORS)
