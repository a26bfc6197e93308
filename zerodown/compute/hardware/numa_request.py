"""The guest NUMA topology a flavor and image ask for.

:func:`numa_get_constraints` is Nova's function of that name: it returns
the :class:`~zerodown.compute.objects.InstanceNUMATopology` to place, or
``None`` when the guest needs no NUMA placement.  A topology is built when
the flavor or image asks for NUMA nodes, a page size, or pinned CPUs
(``dedicated`` or ``mixed``); its cells split the flavor's vCPUs and memory
evenly (``hw:numa_nodes``) or as ``hw:numa_cpus.N`` / ``hw:numa_mem.N``
say, and every cell carries the same page size and CPU policies.
"""

from __future__ import annotations

from zerodown.compute.errors import (
    CPUPolicyConflict,
    GuestNUMATopologyInvalid,
    ImagePropertyConflict,
    InvalidExtraSpec,
)
from zerodown.compute.hardware.policies import (
    get_cpu_policy_constraint,
    get_cpu_thread_policy_constraint,
    get_dedicated_cpu_constraint,
    get_emulator_thread_policy_constraint,
    get_realtime_cpu_constraint,
)
from zerodown.compute.hardware.specs import (
    FLAVOR,
    IMAGE,
    Settings,
    parse_cpu_mask,
    parse_page_size,
)
from zerodown.compute.objects import (
    Flavor,
    ImageMetaProps,
    InstanceNUMACell,
    InstanceNUMATopology,
)

__all__ = ["get_mem_page_size_constraint", "numa_get_constraints"]

#: The most ``hw:numa_cpus.N`` / ``hw:numa_mem.N`` entries read (Nova's).
NUMA_NODES_MAX = 128


def numa_get_constraints(
    flavor: Flavor, image: ImageMetaProps | None = None
) -> InstanceNUMATopology | None:
    """The guest NUMA topology to place, or ``None`` if none is needed.

    :raises PlacementRequestInvalid: one of its subclasses for settings
        that do not parse (:class:`InvalidExtraSpec`), an image that
        contradicts the flavor (:class:`ImagePropertyConflict`), CPU
        settings that do not combine (:class:`CPUPolicyConflict`) or NUMA
        nodes that do not add up (:class:`GuestNUMATopologyInvalid`).
    """
    cpu_policy = get_cpu_policy_constraint(flavor, image)
    thread_policy = get_cpu_thread_policy_constraint(flavor, image)
    realtime = get_realtime_cpu_constraint(flavor, image)
    dedicated = get_dedicated_cpu_constraint(flavor)
    emulator = get_emulator_thread_policy_constraint(flavor)
    pinned = _pinned_cpus(
        flavor, cpu_policy, thread_policy, emulator, realtime, dedicated
    )
    settings = Settings(flavor, image)
    nodes = _node_count(settings)
    pagesize = get_mem_page_size_constraint(flavor, image)
    if not (nodes or pagesize or cpu_policy in ("dedicated", "mixed")):
        return None
    topology = _cells(settings, nodes or 1, pinned)
    for cell in topology.cells:
        cell.pagesize = pagesize
        cell.cpu_policy = cpu_policy
        cell.cpu_thread_policy = thread_policy
        if realtime is not None:
            cell.cpuset_realtime = cell.pcpuset & realtime
    topology.emulator_threads_policy = emulator
    return topology


def _pinned_cpus(
    flavor: Flavor,
    cpu_policy: str | None,
    thread_policy: str | None,
    emulator: str | None,
    realtime: set[int] | None,
    dedicated: set[int] | None,
) -> set[int]:
    """The guest CPUs to pin, after checking the settings combine."""
    if cpu_policy in ("shared", None):
        _refuse_unpinned(cpu_policy, thread_policy, emulator, realtime)
    policy = str(cpu_policy)
    if dedicated and policy != "mixed":
        raise CPUPolicyConflict(
            setting="hw:cpu_dedicated_mask",
            problem="needs the mixed CPU policy",
            cpu_policy=policy,
        )
    if policy == "dedicated":
        return set(range(int(flavor.vcpus)))
    if policy == "mixed":
        if bool(realtime) == bool(dedicated):
            raise CPUPolicyConflict(
                setting="hw:cpu_dedicated_mask",
                problem="or hw:cpu_realtime_mask (one, not both) must say "
                "which CPUs a mixed instance pins",
                cpu_policy=policy,
            )
        return set(dedicated or realtime or ())
    return set()


def _refuse_unpinned(
    cpu_policy: str | None,
    thread_policy: str | None,
    emulator: str | None,
    realtime: set[int] | None,
) -> None:
    needs = "needs the dedicated or mixed CPU policy"
    refused = (
        ("hw:cpu_thread_policy", thread_policy),
        ("hw:emulator_threads_policy=isolate", emulator == "isolate"),
        ("hw:cpu_realtime", realtime),
    )
    for setting, value in refused:
        if value:
            raise CPUPolicyConflict(
                setting=setting, problem=needs, cpu_policy=str(cpu_policy)
            )


def _node_count(settings: Settings) -> int | None:
    wanted, offered = settings.pair("numa_nodes")
    if wanted and offered:
        raise ImagePropertyConflict(
            prop="hw_numa_nodes",
            value=offered,
            reason="the flavor sets hw:numa_nodes",
        )
    if wanted:
        return settings.spec_int("numa_nodes", minimum=1)
    return settings.prop_int("numa_nodes", minimum=1)


def get_mem_page_size_constraint(
    flavor: Flavor, image: ImageMetaProps | None = None
) -> int | None:
    """The page size asked for: ``MEMPAGES_*`` or KiB, else ``None``.

    The image may ask for a size only when the flavor says ``any`` or
    ``large``.

    :raises InvalidExtraSpec: for a size that does not parse.
    :raises ImagePropertyConflict: for an image the flavor does not allow.
    """
    settings = Settings(flavor, image)
    wanted, offered = settings.pair("mem_page_size")
    if offered and wanted not in ("any", "large"):
        raise ImagePropertyConflict(
            prop="hw_mem_page_size",
            value=offered,
            reason=f"the flavor's hw:mem_page_size is {wanted or 'unset'}",
        )
    if not wanted:
        return None
    if offered:
        return parse_page_size(IMAGE, "hw_mem_page_size", str(offered))
    return parse_page_size(FLAVOR, "hw:mem_page_size", wanted)


def _cells(
    settings: Settings, nodes: int, pinned: set[int]
) -> InstanceNUMATopology:
    cpu_list = _cpu_mapping(settings)
    mem_list = _mem_mapping(settings)
    if cpu_list is None and mem_list is None:
        layout = _even_layout(settings, nodes)
    elif cpu_list is None or mem_list is None:
        raise GuestNUMATopologyInvalid(
            nodes=nodes, problem="give both numa_cpus.N and numa_mem.N"
        )
    else:
        layout = _manual_layout(settings, nodes, cpu_list, mem_list)
    cells = [
        InstanceNUMACell(
            id=node,
            cpuset=cpus - pinned,
            pcpuset=cpus & pinned,
            memory=memory,
        )
        for node, (cpus, memory) in enumerate(layout)
    ]
    return InstanceNUMATopology(cells=cells)


def _even_layout(settings: Settings, nodes: int) -> list[tuple[set[int], int]]:
    vcpus, memory = settings.vcpus, settings.memory_mb
    if vcpus % nodes or memory % nodes:
        raise GuestNUMATopologyInvalid(
            nodes=nodes,
            problem=f"{vcpus} vCPUs and {memory} MiB do not split evenly; "
            "give numa_cpus.N and numa_mem.N",
        )
    per_cpu, per_mem = vcpus // nodes, memory // nodes
    return [
        (set(range(node * per_cpu, (node + 1) * per_cpu)), per_mem)
        for node in range(nodes)
    ]


def _manual_layout(
    settings: Settings,
    nodes: int,
    cpu_list: list[set[int]],
    mem_list: list[int],
) -> list[tuple[set[int], int]]:
    if len(cpu_list) != nodes or len(mem_list) != nodes:
        raise GuestNUMATopologyInvalid(
            nodes=nodes,
            problem=f"numa_cpus.N and numa_mem.N must cover every node "
            f"(got {len(cpu_list)} and {len(mem_list)})",
        )
    unassigned = set(range(settings.vcpus))
    for cpus in cpu_list:
        _assign(nodes, settings.vcpus, unassigned, cpus)
    if unassigned:
        raise GuestNUMATopologyInvalid(
            nodes=nodes,
            problem=f"vCPUs {sorted(unassigned)} are in no node",
        )
    if sum(mem_list) != settings.memory_mb:
        raise GuestNUMATopologyInvalid(
            nodes=nodes,
            problem=f"numa_mem.N add up to {sum(mem_list)} MiB, the flavor "
            f"has {settings.memory_mb} MiB",
        )
    return list(zip(cpu_list, mem_list, strict=True))


def _assign(nodes: int, vcpus: int, free: set[int], cpus: set[int]) -> None:
    for cpu in sorted(cpus):
        if cpu >= vcpus:
            raise GuestNUMATopologyInvalid(
                nodes=nodes,
                problem=f"vCPU {cpu} is beyond the flavor's {vcpus}",
            )
        if cpu not in free:
            raise GuestNUMATopologyInvalid(
                nodes=nodes, problem=f"vCPU {cpu} is in two nodes"
            )
        free.discard(cpu)


def _cpu_mapping(settings: Settings) -> list[set[int]] | None:
    flavor = _flavor_mapping(settings, "numa_cpus")
    offered = settings.prop("numa_cpus")
    if flavor is not None and offered is not None:
        raise ImagePropertyConflict(
            prop="hw_numa_cpus",
            value=offered,
            reason="the flavor sets hw:numa_cpus.N",
        )
    if flavor is None:
        return None if offered is None else [set(c) for c in offered]
    return [
        parse_cpu_mask(FLAVOR, f"hw:numa_cpus.{n}", text, settings.vcpus)
        for n, text in enumerate(flavor)
    ]


def _mem_mapping(settings: Settings) -> list[int] | None:
    flavor = _flavor_mapping(settings, "numa_mem")
    offered = settings.prop("numa_mem")
    if flavor is not None and offered is not None:
        raise ImagePropertyConflict(
            prop="hw_numa_mem",
            value=offered,
            reason="the flavor sets hw:numa_mem.N",
        )
    if flavor is None:
        return None if offered is None else [int(m) for m in offered]
    return [_memory(n, text) for n, text in enumerate(flavor)]


def _memory(node: int, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidExtraSpec(
            source=FLAVOR,
            key=f"hw:numa_mem.{node}",
            value=text,
            reason="not an integer (MiB)",
        ) from None


def _flavor_mapping(settings: Settings, name: str) -> list[str] | None:
    found: list[str] = []
    for node in range(NUMA_NODES_MAX):
        value = settings.raw_spec(f"hw:{name}.{node}")
        if value is None:
            break
        found.append(value)
    return found or None
