"""The phases of an upgrade and the Alembic branch that holds each."""

from __future__ import annotations

import enum

__all__ = ["BRANCH_PHASES", "Phase"]


class Phase(str, enum.Enum):
    """Where a change runs relative to the rollout of new code.

    ``expand`` runs while the old release still serves, so it may only add;
    ``migrate`` moves data online; ``contract`` runs once nothing old
    remains, so it may remove.
    """

    EXPAND = "expand"
    MIGRATE = "migrate"
    CONTRACT = "contract"

    def __str__(self) -> str:
        return self.value


# The phases that own an Alembic branch (labelled with the phase's value).
BRANCH_PHASES = (Phase.EXPAND, Phase.CONTRACT)
