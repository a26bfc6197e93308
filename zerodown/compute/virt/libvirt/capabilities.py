"""A host's NUMA cells from libvirt's capabilities XML, and back.

:func:`parse` is the driver's one seam for host introspection: in
production it reads ``conn.getCapabilities()``; tests and the demo feed
it a file describing a real two-socket host, because libvirt's test
driver always reports its own fixed topology (2 cells of 8 CPUs, no
thread siblings, no huge pages).  :func:`render` writes such a file from
:class:`HostCell` values.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from zerodown.compute.objects import format_cpu_spec, parse_cpu_spec
from zerodown.compute.virt.host_topology import HostCell
from zerodown.exceptions import ConfigError

__all__ = ["parse", "render"]

_KIB = {"KiB": 1, "MiB": 1024, "GiB": 1024**2, "b": 1 / 1024}


def parse(text: str) -> list[HostCell]:
    """The cells of a capabilities document.

    :raises ConfigError: for XML that is not capabilities or has no cells.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        raise ConfigError(problem=f"capabilities are not XML: {err}") from err
    cells = root.findall("./host/topology/cells/cell")
    if not cells:
        raise ConfigError(problem="capabilities describe no NUMA cells")
    found = []
    for cell in cells:
        cell_id = int(cell.get("id", "0"))
        memory = cell.find("memory")
        memory_kib = _kib(memory) if memory is not None else 0
        pages = {
            int(p.get("size", "4")): int(p.text or 0)
            for p in cell.findall("pages")
        }
        cpus: dict[int, frozenset[int]] = {}
        sockets = set()
        for cpu in cell.findall("./cpus/cpu"):
            cpu_id = int(cpu.get("id", "0"))
            siblings = cpu.get("siblings")
            cpus[cpu_id] = frozenset(
                parse_cpu_spec(siblings) if siblings else {cpu_id}
            )
            if cpu.get("socket_id") is not None:
                sockets.add(int(cpu.get("socket_id", "0")))
        found.append(
            HostCell(
                cell_id,
                min(sockets) if sockets else cell_id,
                cpus,
                int(memory_kib // 1024),
                pages or {4: int(memory_kib // 4)},
            )
        )
    return found


def _kib(element: ET.Element) -> float:
    return float(element.text or 0) * _KIB.get(element.get("unit", "KiB"), 1)


def render(cells: Sequence[HostCell], arch: str = "x86_64") -> str:
    """Capabilities XML describing ``cells`` (what a real host reports)."""
    root = ET.Element("capabilities")
    host = ET.SubElement(root, "host")
    cpu = ET.SubElement(host, "cpu")
    ET.SubElement(cpu, "arch").text = arch
    sizes = sorted({size for cell in cells for size in cell.pages})
    for size in sizes:
        ET.SubElement(cpu, "pages", unit="KiB", size=str(size))
    topology = ET.SubElement(host, "topology")
    xml_cells = ET.SubElement(topology, "cells", num=str(len(cells)))
    for cell in cells:
        node = ET.SubElement(xml_cells, "cell", id=str(cell.id))
        ET.SubElement(node, "memory", unit="KiB").text = str(
            cell.memory_mb * 1024
        )
        for size, count in sorted(cell.pages.items()):
            ET.SubElement(
                node, "pages", unit="KiB", size=str(size)
            ).text = str(count)
        cpus = ET.SubElement(node, "cpus", num=str(len(cell.cpus)))
        for cpu_id in sorted(cell.cpus):
            siblings = cell.cpus[cpu_id]
            ET.SubElement(
                cpus,
                "cpu",
                id=str(cpu_id),
                socket_id=str(cell.socket),
                die_id="0",
                core_id=str(min(siblings)),
                siblings=format_cpu_spec(siblings),
            )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")
