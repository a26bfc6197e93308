"""Names that moved to another module, still found where they were.

A module whose names moved away sets ``__getattr__ = moved_to(__name__,
[new modules])``: an import of an old name still works (Python asks the
module's ``__getattr__`` for a name it lacks) and warns with a
:class:`DeprecationWarning` that names the new module.  Only names in a
new module's ``__all__`` are found: what was private stays private.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["moved_to"]


def moved_to(old: str, modules: Sequence[str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for module ``old``, whose public names
    now live in ``modules`` (searched in order, each imported lazily)."""

    def __getattr__(name: str) -> Any:
        # Import machinery probes dunders (``__path__`` on every
        # ``from old import x``): never import the new modules for those.
        if name.startswith("__"):
            raise AttributeError(name)
        for module_name in modules:
            module = importlib.import_module(module_name)
            if name in getattr(module, "__all__", ()):
                warnings.warn(
                    f"{old}.{name} moved to {module_name}",
                    DeprecationWarning,
                    stacklevel=2,
                )
                return getattr(module, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    return __getattr__
