"""Domain XML for an instance whose NUMA topology is already fitted.

Guest NUMA cell ``i`` is the instance's ``numa_topology.cells[i]``; the
host cell it landed on is that cell's ``id``.  Pinned vCPUs get a
``vcpupin`` each; the emulator threads go to the reserved CPU under
``hw:emulator_threads_policy=isolate``, else to the guest's pinned CPUs
(Nova's choice), never onto a realtime vCPU's; realtime vCPUs (release
2) run under ``vcpusched`` FIFO; each guest cell's memory is bound to
its host cell (``memnode``) and backed by its page size
(``hugepages/page``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from zerodown.compute.hardware import get_best_cpu_topology
from zerodown.compute.objects import Instance, NUMATopology, format_cpu_spec

__all__ = ["domain_name", "domain_xml"]


def domain_name(instance: Instance) -> str:
    return f"instance-{instance.uuid}"


def domain_xml(
    instance: Instance,
    host: NUMATopology | None,
    domain_type: str = "kvm",
    arch: str = "x86_64",
) -> str:
    root = ET.Element("domain", type=domain_type)
    ET.SubElement(root, "name").text = domain_name(instance)
    ET.SubElement(root, "uuid").text = instance.uuid
    ET.SubElement(root, "memory", unit="KiB").text = str(
        instance.memory_mb * 1024
    )
    ET.SubElement(root, "vcpu", placement="static").text = str(instance.vcpus)
    guest = instance.numa_topology
    if guest is not None:
        _cputune(root, instance, host)
        _numatune(root, instance)
        _hugepages(root, instance)
    os_el = ET.SubElement(root, "os")
    ET.SubElement(os_el, "type", arch=arch).text = "hvm"
    cpu = ET.SubElement(root, "cpu")
    topology = get_best_cpu_topology(instance.flavor, instance.image_props)
    ET.SubElement(
        cpu,
        "topology",
        sockets=str(topology.sockets),
        dies="1",
        cores=str(topology.cores),
        threads=str(topology.threads),
    )
    if guest is not None:
        numa = ET.SubElement(cpu, "numa")
        for index, cell in enumerate(guest.cells):
            attrs = {
                "id": str(index),
                "cpus": format_cpu_spec(cell.cpuset | cell.pcpuset),
                "memory": str(cell.memory * 1024),
                "unit": "KiB",
            }
            if cell.pagesize and cell.pagesize != 4:
                attrs["memAccess"] = "shared"
            ET.SubElement(numa, "cell", attrs)
    devices = ET.SubElement(root, "devices")
    for device in instance.pci_devices or []:
        _hostdev(devices, str(device.address))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def _cputune(
    root: ET.Element, instance: Instance, host: NUMATopology | None
) -> None:
    guest = instance.numa_topology
    assert guest is not None
    tune = ET.SubElement(root, "cputune")
    pinned: set[int] = set()
    ordinary: set[int] = set()  # pCPUs of pinned vCPUs that are not realtime
    realtime: set[int] = set()
    reserved: set[int] = set()
    floating: set[int] = set()
    host_cells = {c.id: c for c in host.cells} if host else {}
    for cell in guest.cells:
        pinning = dict(cell.cpu_pinning or {})
        cell_realtime = cell.realtime_vcpus
        for vcpu, pcpu in sorted(pinning.items()):
            ET.SubElement(tune, "vcpupin", vcpu=str(vcpu), cpuset=str(pcpu))
            if vcpu not in cell_realtime:
                ordinary.add(pcpu)
        pinned |= set(pinning.values())
        realtime |= cell_realtime
        reserved |= set(cell.cpuset_reserved or ())
        if cell.id in host_cells:
            floating |= set(host_cells[cell.id].cpuset)
        # Unpinned vCPUs float over their host cell's shared CPUs.
        for vcpu in sorted(cell.cpuset - set(pinning)):
            if cell.id in host_cells and host_cells[cell.id].cpuset:
                ET.SubElement(
                    tune,
                    "vcpupin",
                    vcpu=str(vcpu),
                    cpuset=format_cpu_spec(host_cells[cell.id].cpuset),
                )
    # Emulator threads never share a pCPU with a realtime vCPU (Nova's
    # rule): the reserved CPU, else the ordinary vCPUs' pCPUs.
    emulator = reserved or (ordinary if realtime else pinned) or floating
    if emulator:
        ET.SubElement(tune, "emulatorpin", cpuset=format_cpu_spec(emulator))
    if realtime:
        ET.SubElement(
            tune,
            "vcpusched",
            vcpus=format_cpu_spec(realtime),
            scheduler="fifo",
            priority="1",
        )


def _numatune(root: ET.Element, instance: Instance) -> None:
    guest = instance.numa_topology
    assert guest is not None
    tune = ET.SubElement(root, "numatune")
    nodes = sorted({cell.id for cell in guest.cells})
    ET.SubElement(
        tune, "memory", mode="strict", nodeset=format_cpu_spec(nodes)
    )
    for index, cell in enumerate(guest.cells):
        ET.SubElement(
            tune,
            "memnode",
            cellid=str(index),
            mode="strict",
            nodeset=str(cell.id),
        )


def _hugepages(root: ET.Element, instance: Instance) -> None:
    guest = instance.numa_topology
    assert guest is not None
    sized = [
        (index, cell.pagesize)
        for index, cell in enumerate(guest.cells)
        if cell.pagesize and cell.pagesize != 4
    ]
    if not sized:
        return
    backing = ET.SubElement(root, "memoryBacking")
    pages = ET.SubElement(backing, "hugepages")
    for index, size in sized:
        ET.SubElement(
            pages, "page", size=str(size), unit="KiB", nodeset=str(index)
        )


def _hostdev(devices: ET.Element, address: str) -> None:
    domain, bus, rest = address.split(":")
    slot, function = rest.split(".")
    hostdev = ET.SubElement(
        devices, "hostdev", mode="subsystem", type="pci", managed="yes"
    )
    source = ET.SubElement(hostdev, "source")
    ET.SubElement(
        source,
        "address",
        domain=f"0x{domain}",
        bus=f"0x{bus}",
        slot=f"0x{slot}",
        function=f"0x{function}",
    )
