"""Importing oslo.versionedobjects without loading all of oslo.messaging.

``oslo_versionedobjects.base`` imports ``oslo_messaging`` for one name,
the base class of its serializer (``NoOpSerializer``).  That package's
``__init__`` imports all of oslo.messaging: its notifier and server,
oslo.service, eventlet and, through eventlet, dnspython.  That is about
half a second of CPU and 450 modules in every process that reads an
object (every service start, every ``zerodown`` command that loads a
project's objects), for code zerodown never runs.

:func:`import_ovo` imports o.vo while a stand-in for the package is
registered: the package's module with its ``__init__`` not run, holding
the ``serializer`` submodule, imported as usual, and its class.  The
stand-in is unregistered once o.vo is in, so a later ``import
oslo_messaging`` runs the package's ``__init__`` in full, in the thread
that imports it, as if nothing had happened: it finds the same
``serializer`` submodule, so o.vo's serializer is still a subclass of
``oslo_messaging.NoOpSerializer``.  If oslo.messaging is imported
already, or cannot be found, o.vo is imported as it is.

(Meanwhile, another thread that imports oslo.messaging would get the
stand-in; o.vo is imported when ``zerodown.objects`` is, at start-up.)
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings

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
        spec = None
        if _PACKAGE not in sys.modules:
            spec = importlib.util.find_spec(_PACKAGE)
        if spec is None or spec.loader is None:
            import oslo_versionedobjects.base

            return
        stand_in = importlib.util.module_from_spec(spec)
        sys.modules[_PACKAGE] = stand_in
        try:
            # import_module, not "from ... import": that asks the package
            # for the name before importing the submodule
            serializer = importlib.import_module(f"{_PACKAGE}.serializer")
            stand_in.NoOpSerializer = serializer.NoOpSerializer  # type: ignore[attr-defined]
            import oslo_versionedobjects.base  # noqa: F401
        finally:
            if sys.modules.get(_PACKAGE) is stand_in:
                del sys.modules[_PACKAGE]
