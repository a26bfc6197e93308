"""Instance states (Nova's ``vm_states``/``task_states``) and the API
status they show as.

``vm_state`` is where the instance rests; ``task_state`` the operation in
flight (``None`` when idle).  The API saves a task state with an expected
one before it casts, so two operations never race on one instance.
"""

from __future__ import annotations

__all__ = [
    "ACTIVE",
    "BUILDING",
    "DELETED",
    "DELETING",
    "ERROR",
    "PAUSED",
    "PAUSING",
    "REBOOTING",
    "REBOOTING_HARD",
    "SCHEDULING",
    "SPAWNING",
    "UNPAUSING",
    "api_status",
]

# vm_state
BUILDING = "building"
ACTIVE = "active"
PAUSED = "paused"
ERROR = "error"
DELETED = "deleted"

# task_state
SCHEDULING = "scheduling"
SPAWNING = "spawning"
PAUSING = "pausing"
UNPAUSING = "unpausing"
REBOOTING = "rebooting"
REBOOTING_HARD = "rebooting_hard"
DELETING = "deleting"

_STATUS = {
    BUILDING: "BUILD",
    ACTIVE: "ACTIVE",
    PAUSED: "PAUSED",
    ERROR: "ERROR",
    DELETED: "DELETED",
}
_TASK_STATUS = {
    (ACTIVE, REBOOTING): "REBOOT",
    (ACTIVE, REBOOTING_HARD): "HARD_REBOOT",
    (PAUSED, REBOOTING_HARD): "HARD_REBOOT",
}


def api_status(vm_state: str | None, task_state: str | None) -> str:
    """The ``status`` the API shows (Nova's ``status_from_state``)."""
    if task_state == DELETING:
        return (
            "DELETED"
            if vm_state == DELETED
            else _STATUS.get(vm_state or "", "UNKNOWN")
        )
    found = _TASK_STATUS.get((vm_state or "", task_state or ""))
    return found or _STATUS.get(vm_state or "", "UNKNOWN")
