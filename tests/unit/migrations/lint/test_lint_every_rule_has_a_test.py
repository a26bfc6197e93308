"""Every lint rule has its own test module, and every module a rule.

Nova and Neutron fail the build when a migration has no test; zerodown
does the same for lint rules: a rule without unsafe and safe cases is a
rule nobody has seen fire or stay quiet.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zerodown.migrations.lint import all_rules

HERE = Path(__file__).parent
RULES = all_rules()


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_rule_has_a_test_module(rule_id):
    rule = RULES[rule_id]
    module = HERE / f"test_rule_{rule.module}.py"
    assert module.exists(), f"lint rule {rule_id} has no {module.name}"
    text = module.read_text()
    assert f'RULE = "{rule_id}"' in text, f"{module.name} tests another rule"
    assert "pytest.mark.parametrize" in text, f"{module.name} has no table"


def test_every_rule_test_module_has_a_rule():
    modules = {rule.module for rule in RULES.values()}
    orphans = [
        path.name
        for path in HERE.glob("test_rule_*.py")
        if path.stem.removeprefix("test_rule_") not in modules
    ]
    assert orphans == []


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_rule_is_described(rule_id):
    rule = RULES[rule_id]
    assert rule_id == rule_id.lower() and " " not in rule_id
    assert rule.why and rule.recipe and rule.families
    assert rule.module.replace("_", "-") == rule_id, (
        "one rule per module, named after its id"
    )


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_rule_is_in_the_docs_table(rule_id):
    docs = HERE.parents[3] / "docs" / "migrations.md"
    assert f"| `{rule_id}` |" in docs.read_text()
