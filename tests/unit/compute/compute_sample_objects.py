"""The one builder of sample compute objects the tests and benchmarks share.

Test helpers (``placement_samples``, ``compute_samples``,
``compute_examples``) and the benchmarks (``bench/``, which put this
folder on ``sys.path``) build their flavors here, with only what differs
spelled out at the call.
"""

from __future__ import annotations

from zerodown.compute.objects import Flavor

__all__ = ["flavor"]


def flavor(
    name: str = "f",
    vcpus: int = 2,
    ram: int = 1024,
    *,
    id: int = 1,
    flavorid: str | None = None,
    root_gb: int = 1,
    description: str | None = None,
    **specs: str,
) -> Flavor:
    """A public, enabled flavor; ``specs`` are its extra specs
    (``flavor(**{"hw:cpu_policy": "dedicated"})``)."""
    return Flavor(
        id=id,
        flavorid=name if flavorid is None else flavorid,
        name=name,
        memory_mb=ram,
        vcpus=vcpus,
        root_gb=root_gb,
        ephemeral_gb=0,
        swap=0,
        disabled=False,
        is_public=True,
        description=description,
        extra_specs=dict(specs),
        rxtx_factor=1.0,
        vcpu_weight=None,
    )
