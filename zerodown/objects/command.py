"""Command façade of the objects package: what ``zerodown objects`` runs.

Each function takes :class:`ObjectSettings` (read by
:meth:`zerodown.config.Config.settings`) so that the CLI, the pytest plugin
and scripts share one way to find a project's registry and manifest::

    [tool.zerodown]
    object_registry = "myproject.objects:REGISTRY"
    object_manifest = "myproject/objects/manifest.txt"   # optional

Without ``object_manifest``, the registry's module must define
``MANIFEST``, the path of the file.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from zerodown.exceptions import ConfigError
from zerodown.objects import manifest
from zerodown.objects.registry import ObjectRegistry

if TYPE_CHECKING:
    from zerodown.objects.verify import Report

__all__ = [
    "ObjectSettings",
    "check_manifest",
    "compare_manifest",
    "load_registry",
    "manifest_path",
    "verify",
    "write_manifest",
]


@dataclasses.dataclass(frozen=True)
class ObjectSettings:
    """Where a project's objects and their manifest are."""

    #: ``module:attribute`` of the :class:`ObjectRegistry`.
    object_registry: str | None = None
    #: The manifest file; default: ``MANIFEST`` of the registry's module.
    object_manifest: Path | None = None


def load_registry(settings: ObjectSettings) -> ObjectRegistry:
    """Import the registry ``settings.object_registry`` names.

    :raises ConfigError: if it is unset, does not import, or is not a
        registry.
    """
    ref = settings.object_registry
    if not ref:
        raise ConfigError(
            problem="no object registry: pass --registry MODULE:ATTR or set "
            "object_registry in [tool.zerodown]"
        )
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(
            problem=f"cannot import {module_name}: {err}"
        ) from err
    registry = getattr(module, attr or "REGISTRY", None)
    if not isinstance(registry, ObjectRegistry):
        raise ConfigError(problem=f"{ref} is not an ObjectRegistry")
    return registry


def manifest_path(settings: ObjectSettings) -> Path:
    """The manifest file of the configured registry.

    :raises ConfigError: if neither the settings nor the module say.
    """
    if settings.object_manifest is not None:
        return settings.object_manifest
    load_registry(settings)
    module_name = (settings.object_registry or "").partition(":")[0]
    path = getattr(importlib.import_module(module_name), "MANIFEST", None)
    if path is None:
        raise ConfigError(
            problem=f"{module_name} defines no MANIFEST; set object_manifest"
        )
    return Path(path)


def compare_manifest(
    settings: ObjectSettings,
) -> list[manifest.ManifestChange]:
    """How the registry differs from its manifest file (empty: matches)."""
    return manifest.compare(load_registry(settings), manifest_path(settings))


def check_manifest(settings: ObjectSettings) -> None:
    """Fail unless the manifest matches: for CI and the pytest plugin.

    :raises ManifestMismatch: naming each object and what changed.
    """
    manifest.check(load_registry(settings), manifest_path(settings))


def write_manifest(settings: ObjectSettings) -> tuple[Path, bool]:
    """Regenerate the manifest; return its path and whether it changed."""
    path = manifest_path(settings)
    return path, manifest.write(load_registry(settings), path)


def verify(
    settings: ObjectSettings,
    names: tuple[str, ...] = (),
    max_examples: int = 25,
) -> list[Report]:
    """Backport generated instances of each object (default: all) to
    every older version; see :mod:`zerodown.objects.verify`.

    :raises BackportVerificationFailed: at the first bad backport.
    :raises ConfigError: if hypothesis is not installed.
    """
    try:
        from zerodown.objects import verify as checks
    except ImportError as err:
        raise ConfigError(
            problem=f"verify needs hypothesis ({err}); install zerodown[test]"
        ) from err
    registry = load_registry(settings)
    return [
        checks.verify_object(registry, name, max_examples=max_examples)
        for name in (names or tuple(registry))
    ]
