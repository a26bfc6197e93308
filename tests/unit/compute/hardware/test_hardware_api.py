"""The placement package's public API, and that it stays pure: no I/O, no
printing, no module state."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import zerodown.compute.hardware as hardware

PINNED = [
    "MEMPAGES_ANY",
    "MEMPAGES_LARGE",
    "MEMPAGES_SMALL",
    "CellLimits",
    "CellPlacement",
    "FitResult",
    "GuestView",
    "HostView",
    "PciPool",
    "PciRequest",
    "PciStats",
    "Topology",
    "TopologyConstraints",
    "check_fit",
    "desirable_cpu_topologies",
    "fit_instance_to_host",
    "get_best_cpu_topology",
    "get_cpu_policy_constraint",
    "get_cpu_thread_policy_constraint",
    "get_cpu_topology_constraints",
    "get_dedicated_cpu_constraint",
    "get_emulator_thread_policy_constraint",
    "get_mem_page_size_constraint",
    "get_pci_numa_policy_constraint",
    "get_realtime_cpu_constraint",
    "is_realtime_enabled",
    "numa_fit_instance_to_host",
    "numa_get_constraints",
    "numa_usage_from_instance_numa",
    "possible_cpu_topologies",
    "sort_cpu_topologies",
]
MODULES = sorted(info.name for info in pkgutil.iter_modules(hardware.__path__))
IMPURE_IMPORTS = {"os", "io", "socket", "subprocess", "pathlib", "logging"}
IMPURE_CALLS = {"print", "open", "input"}


def test_all_is_pinned():
    assert sorted(hardware.__all__) == sorted(PINNED)
    for name in hardware.__all__:
        assert hasattr(hardware, name)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_its_api(name):
    module = importlib.import_module(f"zerodown.compute.hardware.{name}")
    assert module.__all__, name
    for item in module.__all__:
        assert hasattr(module, item), f"{name}.{item}"


@pytest.mark.parametrize("name", MODULES)
def test_modules_are_pure_and_small(name):
    path = Path(hardware.__file__).with_name(f"{name}.py")
    source = path.read_text()
    assert len(source.splitlines()) <= 400, f"{name}.py is too long"
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name for a in node.names} & IMPURE_IMPORTS
        if isinstance(node, ast.ImportFrom):
            assert node.module not in IMPURE_IMPORTS
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in IMPURE_CALLS, f"{name}: {node.func.id}"
        if isinstance(node, ast.Global):
            pytest.fail(f"{name} keeps module state")
