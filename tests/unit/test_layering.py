"""The framework never imports the compute stack (it is a user of it)."""

from __future__ import annotations

import ast
from pathlib import Path

import zerodown

ROOT = Path(zerodown.__file__).parent
FRAMEWORK = (
    "migrations",
    "objects",
    "rpc",
    "services",
    "testing",
    "config.py",
    "exceptions.py",
)


def _imports(path: Path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_framework_does_not_import_compute():
    offenders = []
    for part in FRAMEWORK:
        base = ROOT / part
        files = [base] if base.suffix == ".py" else base.rglob("*.py")
        for path in files:
            if not path.exists():
                continue
            for name in _imports(path):
                if name == "zerodown.compute" or name.startswith(
                    "zerodown.compute."
                ):
                    offenders.append(
                        f"{path.relative_to(ROOT)} imports {name}"
                    )
    assert offenders == []


def test_the_walk_sees_the_framework():
    assert list((ROOT / "migrations").rglob("*.py")), (
        "layering walk found nothing"
    )
