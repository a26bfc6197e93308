"""Test modules load with ``--import-mode=importlib`` (two test files in
different folders may share a basename).  Helper modules that sit beside
the tests (``apps.py``, ``sample_objects.py``...) are imported by name, so
their folders go on ``sys.path``."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).parent
for _folder in sorted(
    {
        path.parent
        for path in _HERE.rglob("*.py")
        if not path.name.startswith(("test_", "conftest"))
    }
):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
