"""CPU, emulator-thread and PCI affinity policies of a flavor and image.

Each function reads one setting from the flavor's extra specs and the
image's properties, validates it and resolves the two as Nova does: the
flavor decides, and the image may only narrow what the flavor leaves open.
"""

from __future__ import annotations

from zerodown.compute.errors import ImagePropertyConflict, InvalidExtraSpec
from zerodown.compute.hardware.specs import (
    FLAVOR,
    IMAGE,
    Settings,
    parse_cpu_mask,
)
from zerodown.compute.objects import Flavor, ImageMetaProps
from zerodown.compute.objects.enums import (
    CPU_ALLOCATION_POLICIES,
    CPU_EMULATOR_THREADS_POLICIES,
    CPU_THREAD_POLICIES,
    PCI_NUMA_AFFINITY_POLICIES,
)

__all__ = [
    "get_cpu_policy_constraint",
    "get_cpu_thread_policy_constraint",
    "get_dedicated_cpu_constraint",
    "get_emulator_thread_policy_constraint",
    "get_pci_numa_policy_constraint",
    "get_realtime_cpu_constraint",
    "is_realtime_enabled",
]

_TRUE = ("1", "t", "true", "on", "y", "yes")
# The image may ask for these CPU policies under each flavor policy.
_IMAGE_CPU_POLICIES: dict[str, tuple[str | None, ...]] = {
    "dedicated": (None, *CPU_ALLOCATION_POLICIES),
    "mixed": (None, "shared", "mixed"),
    "shared": (None, "shared"),
}


def _choice(
    settings: Settings, name: str, allowed: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """The flavor's and the image's value of ``name``, each checked
    against ``allowed``."""
    flavor, image = settings.pair(name)
    for source, key, value in (
        (FLAVOR, "hw:" + name, flavor),
        (IMAGE, "hw_" + name, image),
    ):
        if value and value not in allowed:
            raise InvalidExtraSpec(
                source=source,
                key=key,
                value=value,
                reason=f"must be one of {', '.join(allowed)}",
            )
    return flavor, image or None


def get_cpu_policy_constraint(
    flavor: Flavor, image: ImageMetaProps | None = None
) -> str | None:
    """``dedicated``, ``shared``, ``mixed`` or ``None`` (unset).

    A ``dedicated`` flavor wins over any image; under a ``mixed`` or
    ``shared`` flavor the image may not ask for more pinning.

    :raises InvalidExtraSpec: for an unknown policy.
    :raises ImagePropertyConflict: for an image asking for more pinning.
    """
    settings = Settings(flavor, image)
    wanted, offered = _choice(settings, "cpu_policy", CPU_ALLOCATION_POLICIES)
    if wanted is None:
        return offered
    if offered not in _IMAGE_CPU_POLICIES[wanted]:
        raise ImagePropertyConflict(
            prop="hw_cpu_policy",
            value=offered,
            reason=f"the flavor's hw:cpu_policy is {wanted}",
        )
    return wanted


def get_cpu_thread_policy_constraint(
    flavor: Flavor, image: ImageMetaProps | None = None
) -> str | None:
    """``prefer``, ``isolate``, ``require`` or ``None``.

    The image chooses when the flavor says nothing; a flavor's ``prefer``
    stands whatever the image says (Nova's rule); otherwise the image must
    agree with the flavor.

    :raises InvalidExtraSpec: for an unknown policy.
    :raises ImagePropertyConflict: for an image that disagrees.
    """
    settings = Settings(flavor, image)
    wanted, offered = _choice(
        settings, "cpu_thread_policy", CPU_THREAD_POLICIES
    )
    if wanted in (None, "prefer"):
        return wanted or offered
    if offered and offered != wanted:
        raise ImagePropertyConflict(
            prop="hw_cpu_thread_policy",
            value=offered,
            reason=f"the flavor's hw:cpu_thread_policy is {wanted}",
        )
    return wanted


def get_emulator_thread_policy_constraint(flavor: Flavor) -> str | None:
    """``share``, ``isolate`` or ``None``: a flavor-only setting.

    :raises InvalidExtraSpec: for an unknown policy.
    """
    settings = Settings(flavor)
    return _choice(
        settings, "emulator_threads_policy", CPU_EMULATOR_THREADS_POLICIES
    )[0]


def get_pci_numa_policy_constraint(
    flavor: Flavor, image: ImageMetaProps | None = None
) -> str | None:
    """``required``, ``preferred``, ``legacy``, ``socket`` or ``None``.

    :raises ImagePropertyConflict: when flavor and image disagree.
    :raises InvalidExtraSpec: for an unknown policy.
    """
    settings = Settings(flavor, image)
    wanted, offered = settings.pair("pci_numa_affinity_policy")
    if wanted and offered and wanted != offered:
        raise ImagePropertyConflict(
            prop="hw_pci_numa_affinity_policy",
            value=offered,
            reason=f"the flavor's hw:pci_numa_affinity_policy is {wanted}",
        )
    _choice(settings, "pci_numa_affinity_policy", PCI_NUMA_AFFINITY_POLICIES)
    return wanted or offered


def get_dedicated_cpu_constraint(flavor: Flavor) -> set[int] | None:
    """The guest CPUs ``hw:cpu_dedicated_mask`` pins (``mixed`` policy).

    :raises InvalidExtraSpec: for a mask that pins all CPUs or none, or
        names CPUs the flavor does not have.
    """
    settings = Settings(flavor)
    mask = settings.spec("cpu_dedicated_mask")
    if not mask:
        return None
    key = "hw:cpu_dedicated_mask"
    pinned = parse_cpu_mask(FLAVOR, key, mask, settings.vcpus)
    _check_mask(FLAVOR, key, mask, pinned, settings.vcpus)
    if pinned == set(range(settings.vcpus)):
        raise InvalidExtraSpec(
            source=FLAVOR,
            key=key,
            value=mask,
            reason="a mixed instance needs shared CPUs too",
        )
    return pinned


def _check_mask(
    source: str, key: str, mask: str, cpus: set[int], vcpus: int
) -> None:
    if not cpus:
        raise InvalidExtraSpec(
            source=source, key=key, value=mask, reason="selects no CPU"
        )
    beyond = sorted(cpu for cpu in cpus if cpu >= vcpus)
    if beyond:
        raise InvalidExtraSpec(
            source=source,
            key=key,
            value=mask,
            reason=f"CPU {beyond[0]} is beyond the flavor's {vcpus} vCPUs",
        )


def is_realtime_enabled(flavor: Flavor) -> bool:
    """Whether ``hw:cpu_realtime`` is true."""
    value = Settings(flavor).spec("cpu_realtime") or ""
    return value.strip().lower() in _TRUE


def get_realtime_cpu_constraint(
    flavor: Flavor, image: ImageMetaProps | None = None
) -> set[int] | None:
    """The realtime guest CPUs, ``None`` without ``hw:cpu_realtime``.

    The image's ``hw_cpu_realtime_mask`` comes before the flavor's; no mask
    means every CPU, which needs an emulator thread policy.

    :raises InvalidExtraSpec: for a mask that selects nothing or too much.
    """
    if not is_realtime_enabled(flavor):
        return None
    settings = Settings(flavor, image)
    wanted, offered = settings.pair("cpu_realtime_mask")
    source, key, mask = (
        (IMAGE, "hw_cpu_realtime_mask", offered)
        if offered
        else (FLAVOR, "hw:cpu_realtime_mask", wanted)
    )
    everything = set(range(settings.vcpus))
    cpus = (
        parse_cpu_mask(source, key, str(mask), settings.vcpus)
        if mask
        else everything
    )
    _check_mask(source, key, str(mask), cpus, settings.vcpus)
    if cpus == everything and not get_emulator_thread_policy_constraint(
        flavor
    ):
        raise InvalidExtraSpec(
            source=source,
            key=key,
            value=mask,
            reason="every vCPU is realtime, which needs "
            "hw:emulator_threads_policy",
        )
    return cpus
