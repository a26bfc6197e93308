"""The release 1 -> this checkout job's own checks (grenade/compute.toml).

* mixed (new control plane, every compute still on release 1): a guest
  with a description boots on an old compute, which only gets Instance
  2.4 and InstanceNUMACell 1.6 (backported); its description survives
  the old compute's saves; a realtime guest (release 2) is refused with a
  409 naming the service version it waits for.
* final (everything new, contracted): the realtime guest boots, its
  realtime vCPUs recorded; it is deleted again (ComputeAPI 1.1's clean
  shutdown).
"""

from __future__ import annotations

import sys

from compute_faults import FAULTS, restart_rabbitmq
from compute_hooks import (
    all_new,
    boot_mixed,
    call,
    compute_versions,
    expect,
    wait_active,
    wait_gone,
)

#: The data migration ``kill-migrate`` interrupts: release 2's move of
#: ``instances.image_ref``.
BACKFILL = "move_column:instances.image_ref"
REALTIME = {
    "hw:cpu_policy": "dedicated",
    "hw:cpu_realtime": "yes",
    "hw:cpu_realtime_mask": "^0",
}
MIXED_NOTE = "booted while every compute ran release 1"


def mixed(recorded: dict) -> None:
    """Every compute is old: a new guest lands on one through backported
    objects, and the realtime feature waits."""
    if "rabbitmq-restart" in FAULTS:
        restart_rabbitmq()
    versions = compute_versions()
    if set(versions.values()) != {1}:
        sys.exit(f"expected only release-1 computes, found {versions}")
    expect(
        "POST",
        "/flavors",
        {
            "flavor": {
                "name": "grenade.realtime",
                "id": "grenade.realtime",
                "vcpus": 2,
                "ram": 512,
                "disk": 1,
            }
        },
    )
    expect(
        "POST",
        "/flavors/grenade.realtime/os-extra_specs",
        {"extra_specs": REALTIME},
    )
    status, body = call(
        "POST",
        "/servers",
        {"server": {"name": "rt-early", "flavorRef": "grenade.realtime"}},
    )
    if status != 409 or "at version 2" not in str(body):
        sys.exit(
            f"realtime guest not refused in the mixed phase: {status} {body}"
        )
    print(f"realtime refused while computes are old: {status} {body}")
    boot_mixed(recorded, "grenade.pinned", MIXED_NOTE, old=1)


def final(recorded: dict) -> None:
    """Every compute is new: the realtime guest boots."""
    all_new(recorded, MIXED_NOTE)
    server = expect(
        "POST",
        "/servers",
        {"server": {"name": "rt-1", "flavorRef": "grenade.realtime"}},
    )
    uuid = server["server"]["id"]  # type: ignore[index]
    active = wait_active(uuid)
    cells = active["zerodown:numa"]["cells"]
    realtime = sorted(v for c in cells for v in c["realtime_vcpus"])
    if realtime != [1]:
        sys.exit(f"rt-1 should have vCPU 1 realtime: {cells}")
    print(f"rt-1 ACTIVE on {active['host']} with realtime vCPUs {realtime}")
    expect("DELETE", f"/servers/{uuid}")
    wait_gone(uuid)


PHASES = {"mixed": mixed, "final": final}
