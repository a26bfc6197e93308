"""Errors of upgrade jobs; each names what the operator must fix::

GrenadeError                          1   upgrade job
├── RefNotFound                       1   a release or ref the clone
│                                         lacks
└── JobFailed                     10-21   a phase failed; the exit
                                          code names the phase
JobFileError (a ConfigError)          2   the job or RELEASES file
                                          is wrong
"""

from __future__ import annotations

from zerodown.exceptions import ConfigError, ZerodownError
from zerodown.grenade.phases import phase_exit_code

__all__ = ["GrenadeError", "JobFailed", "JobFileError", "RefNotFound"]


class JobFileError(ConfigError):
    template = "{path}: {where}: {problem}"


class GrenadeError(ZerodownError):
    template = "upgrade job: {problem}"


class RefNotFound(GrenadeError):
    """A release or ref the clone's history does not have: never skipped."""

    template = "{what} is not in this clone's history ({repo}): {hint}"


class JobFailed(GrenadeError, wire_module="zerodown.grenade.runner"):
    """Exits with ``10 +`` the phase's index (:func:`phase_exit_code`);
    release 2 defined it in the runner."""

    template = "phase {phase} failed: {reason}"

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return phase_exit_code(str(self.fields["phase"]))
