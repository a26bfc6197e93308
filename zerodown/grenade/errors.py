"""Errors of upgrade jobs; each names what the operator must fix."""

from __future__ import annotations

from zerodown.exceptions import ConfigError, ZerodownError

__all__ = ["GrenadeError", "JobFileError", "RefNotFound"]


class JobFileError(ConfigError):
    template = "{path}: {where}: {problem}"


class GrenadeError(ZerodownError):
    template = "upgrade job: {problem}"


class RefNotFound(GrenadeError):
    """A release or ref the clone's history does not have: never skipped."""

    template = "{what} is not in this clone's history ({repo}): {hint}"
