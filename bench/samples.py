"""The compute tests' sample objects, for the benchmarks.

The builders live with the compute test helpers
(``tests/unit/compute/compute_sample_objects.py``); this puts their folder
on ``sys.path`` so that a benchmark builds the same objects the tests do.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HELPERS = Path(__file__).resolve().parents[1] / "tests" / "unit" / "compute"
if str(_HELPERS) not in sys.path:
    sys.path.insert(0, str(_HELPERS))

from compute_sample_objects import flavor, pci_device  # noqa: E402

__all__ = ["flavor", "pci_device"]
