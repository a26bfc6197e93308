"""A corpus of one-pattern revisions (corpus/<phase>/cNN_*.py), each
the shape of one dangerous operation from squawk's and
strong_migrations' catalogues or MySQL's online DDL rules, or a safe
one lint used to flag.  Each names in ``EXPECT`` what lint reports on
each backend and server version where the answer differs; this test
lints each file for each of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from zerodown.migrations.lint import lint

CORPUS = Path(__file__).parent / "corpus"


def _expectations(path: Path) -> dict[str, list[str]]:
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "EXPECT" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} has no EXPECT")


CASES = [
    pytest.param(path, target, expected, id=f"{path.stem}-{target}")
    for path in sorted(CORPUS.rglob("c*.py"))
    for target, expected in _expectations(path).items()
]


@pytest.mark.parametrize("path, target, expected", CASES)
def test_lint_reports_what_the_corpus_expects(path, target, expected):
    dialect, version = target.split()
    found = sorted(
        f"{f.rule}:{f.severity}"
        for f in lint(path, dialect, version)
        if f.waived is None
    )
    assert found == sorted(expected)


def test_the_corpus_covers_both_dialects_everywhere():
    for path in sorted(CORPUS.rglob("c*.py")):
        dialects = {target.split()[0] for target in _expectations(path)}
        assert {"postgresql", "mysql", "mariadb"} <= dialects, path.name
