"""Importing oslo.versionedobjects without starting oslo.messaging.

``oslo_versionedobjects.base`` imports ``oslo_messaging`` for one name,
the base class of its serializer (``NoOpSerializer``).  That package's
``__init__`` imports all of oslo.messaging: its notifier and server,
oslo.service, eventlet and, through eventlet, dnspython.  That is about
half a second of CPU in every process that reads an object (every
service start, every ``zerodown`` command that loads a project's
objects), for code zerodown never runs.

:func:`import_ovo` imports o.vo with the ``oslo_messaging`` package
registered but its ``__init__`` not yet run.  Its submodules import as
usual (o.vo gets ``serializer``'s class), and the first access to any
other name runs the package's own ``__init__`` in place, so code that
uses oslo.messaging gets the whole package: the same module object, the
same classes.  If oslo.messaging is imported already, or cannot be
found, o.vo is imported as it is.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
import warnings
from importlib.machinery import ModuleSpec
from typing import Any

__all__ = ["import_ovo"]

_PACKAGE = "oslo_messaging"


def import_ovo() -> None:
    """Import ``oslo_versionedobjects.base`` (see the module's doc)."""
    with warnings.catch_warnings():
        # Should oslo.messaging be loaded whole here after all: its
        # eventlet backend warns at import that eventlet is deprecated,
        # and dnspython's DNSSEC code that cryptography deprecates DSA.
        warnings.filterwarnings("ignore", message=r"(?s).*eventlet")
        warnings.filterwarnings("ignore", module=r"dns\.")
        if _PACKAGE not in sys.modules:
            spec = importlib.util.find_spec(_PACKAGE)
            if spec is not None and spec.loader is not None:
                _register_deferred(spec)
        import oslo_versionedobjects.base  # noqa: F401


def _register_deferred(spec: ModuleSpec) -> None:
    module = importlib.util.module_from_spec(spec)
    lock = threading.RLock()
    state = {"loaded": False}

    class DeferredPackage(types.ModuleType):
        """``oslo_messaging`` until a name of its own is asked for."""

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__") and name != "__all__":
                raise AttributeError(name)
            if not state["loaded"]:
                if _is_submodule(name):
                    # the import system asks before importing it
                    raise AttributeError(name)
                _load(self)
            try:
                return self.__dict__[name]
            except KeyError:
                raise AttributeError(
                    f"module {_PACKAGE!r} has no attribute {name!r}"
                ) from None

    def _load(package: types.ModuleType) -> None:
        with lock:
            if state["loaded"]:
                return
            state["loaded"] = True
            try:
                assert spec.loader is not None
                spec.loader.exec_module(package)
            except BaseException:
                state["loaded"] = False
                raise
            package.__class__ = types.ModuleType

    module.__class__ = DeferredPackage
    sys.modules[_PACKAGE] = module
    try:
        from oslo_messaging import serializer  # type: ignore[import-untyped]
    except BaseException:
        del sys.modules[_PACKAGE]
        raise
    module.__dict__["NoOpSerializer"] = serializer.NoOpSerializer


def _is_submodule(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"{_PACKAGE}.{name}") is not None
    except (ImportError, ValueError):
        return False
