"""zerodown: upgrade a distributed service with zero downtime.

Importing ``zerodown`` stays cheap: the framework lives in
``zerodown.migrations``, ``zerodown.objects`` and ``zerodown.rpc``.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("zerodown")
except PackageNotFoundError:  # pragma: no cover - running from a bare tree
    __version__ = "0+unknown"
