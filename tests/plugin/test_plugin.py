"""The pytest plugin as a user's project meets it (pytester).

A copy of the shop example is the good project; each bad project breaks it
in one way that the built-in checks exist to catch.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
CHECKS = "from zerodown.testing.checks import *  # noqa\n"


@pytest.fixture
def shop(pytester: pytest.Pytester) -> Path:
    root = pytester.path
    for item in ("alembic.ini", "migrations", "shop"):
        source = SHOP / item
        if source.is_dir():
            shutil.copytree(
                source,
                root / item,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        else:
            shutil.copy(source, root / item)
    pytester.makeini("[pytest]\nzerodown_alembic_ini = alembic.ini\n")
    pytester.makepyfile(test_migrations=CHECKS)
    return root


def _run(pytester, *args):
    return pytester.runpytest_subprocess(
        "--zerodown-backends=sqlite", "-p", "no:cacheprovider", *args
    )


def _expand_scripts(root: Path) -> list[Path]:
    return sorted((root / "migrations" / "versions" / "expand").glob("*.py"))


def _newest(root: Path, branch: str) -> Path:
    return max(
        (root / "migrations" / "versions" / branch).glob("*release*.py"),
        key=lambda p: re.search(r"release (\d)", p.read_text())[1],
    )


def test_a_sound_project_passes_every_check(pytester, shop):
    result = _run(pytester, "-v")
    result.assert_outcomes(passed=7)
    for check in (
        "one_head_per_branch",
        "contract_depends_on_expand",
        "phases_hold",
        "upgrade_walk",
        "models_match_schema",
        "expand_downgrade_leaves_no_trace",
        "lint_clean",
    ):
        result.stdout.fnmatch_lines([f"*test_zerodown_{check}*PASSED*"])
    result.stdout.fnmatch_lines(["zerodown backends: sqlite"])


def _add_expand(root: Path, body: str, down: str = "pass") -> None:
    parent = _newest(root, "expand")
    parent_id = re.search(
        r"^revision = '(\w+)'|^revision: str = '(\w+)'",
        parent.read_text(),
        re.M,
    )
    parent_id = next(g for g in parent_id.groups() if g)
    (
        root / "migrations" / "versions" / "expand" / "ffff00000001_bad.py"
    ).write_text(
        f'''"""release 4: bad"""
import sqlalchemy as sa
from alembic import op
revision = "ffff00000001"
down_revision = "{parent_id}"
branch_labels = None
depends_on = None
def upgrade():
    {body}
def downgrade():
    {down}
'''
    )


def test_drop_in_expand_fails_the_phase_check(pytester, shop):
    _add_expand(
        shop,
        'op.drop_column("customers", "name")',
        'op.add_column("customers", sa.Column("name", sa.String(100)))',
    )
    result = _run(pytester, "-k", "phases_hold")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*PhaseViolation: expand revision ffff00000001 must not drop column (customers.name)*"
        ]
    )


def test_two_heads_fail_the_head_check(pytester, shop):
    _add_expand(shop, "pass")
    second = (
        shop / "migrations" / "versions" / "expand" / "ffff00000001_bad.py"
    ).read_text()
    (
        shop / "migrations" / "versions" / "expand" / "ffff00000002_bad.py"
    ).write_text(second.replace("ffff00000001", "ffff00000002"))
    result = _run(pytester, "-k", "one_head")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*MultipleHeads: branch 'expand' has 2 heads*"]
    )


def test_contract_without_depends_on_fails(pytester, shop):
    contract = _newest(shop, "contract")
    text = re.sub(
        r"^depends_on(.*)= '\w+'",
        r"depends_on\1= None",
        contract.read_text(),
        flags=re.M,
    )
    contract.write_text(text)
    result = _run(pytester, "-k", "contract_depends")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*MissingDependency: contract revision*does not depend on any expand revision*"
        ]
    )


def test_a_model_without_a_revision_fails(pytester, shop):
    models = shop / "shop" / "release3.py"
    models.write_text(
        models.read_text().replace(
            'sa.Column("total_cents", sa.Integer, nullable=False),',
            'sa.Column("total_cents", sa.Integer, nullable=False),\n    sa.Column("coupon", sa.String(20)),',
        )
    )
    result = _run(pytester, "-k", "models_match")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*models and migrations differ*add_column*coupon*"]
    )


def test_a_downgrade_that_forgets_fails_the_trace_check(pytester, shop):
    _add_expand(
        shop,
        'op.create_table("leftover", sa.Column("id", sa.Integer, primary_key=True))',
    )
    result = _run(pytester, "-k", "leaves_no_trace")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ffff00000001 left a trace*"])


def test_a_column_rename_fails_the_lint_check(pytester, shop):
    _add_expand(
        shop,
        'op.alter_column("customers", "name", new_column_name="full_name")',
        'op.alter_column("customers", "full_name", new_column_name="name")',
    )
    result = _run(pytester, "-k", "lint_clean")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnsafeMigration: lint found 1 error(s):*",
            "*ffff00000001_bad.py:9: renaming-column: renaming customers.name to full_name*",
            "*fix: zop.rename_column(*",
        ]
    )


def test_a_waiver_without_a_reason_fails_the_lint_check(pytester, shop):
    _add_expand(shop, "pass")
    bad = shop / "migrations" / "versions" / "expand" / "ffff00000001_bad.py"
    bad.write_text(
        bad.read_text().replace(
            "def upgrade():",
            "from zerodown.migrations import waive\n"
            'lint_waivers = [waive("raw-sql", "*", reason="")]\n'
            "def upgrade():",
        )
    )
    result = _run(pytester, "-k", "lint_clean")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*invalid-waiver: waive('raw-sql', '*') has no reason*"]
    )


def test_an_unreachable_backend_fails_the_run(pytester, shop, monkeypatch):
    monkeypatch.setenv(
        "ZERODOWN_TEST_POSTGRESQL_URL",
        "postgresql+psycopg://postgres@127.0.0.1:1/x",
    )
    result = pytester.runpytest_subprocess(
        "--zerodown-backends=sqlite,postgresql",
        "-p",
        "no:cacheprovider",
        "-k",
        "upgrade_walk",
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*postgresql: UNAVAILABLE*does not answer*"])
    result.stdout.fnmatch_lines(["*zerodown: backend postgresql FAILED*"])
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1 and outcomes.get("errors") == 1
    assert "skipped" not in outcomes


def test_an_unknown_backend_is_a_usage_error(pytester, shop):
    result = pytester.runpytest_subprocess("--zerodown-backends=oracle")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown zerodown backend*oracle*"])
