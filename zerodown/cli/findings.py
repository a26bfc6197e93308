"""Rendering lint findings for ``zerodown db lint`` and ``db revision``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from zerodown.cli.render import console, table
from zerodown.migrations.lint import Finding, Severity

__all__ = ["findings_json", "print_findings", "summary"]


def print_findings(
    findings: Sequence[Finding], show_waived: bool = False
) -> None:
    """A table of findings (waived ones only if asked), then a summary."""
    shown = [f for f in findings if show_waived or f.waived is None]
    if shown:
        rows = [_row(finding) for finding in shown]
        console().print(
            table("severity", "rule", "where", "phase", "finding", rows=rows)
        )
    click.echo(summary(findings))


def summary(findings: Sequence[Finding]) -> str:
    errors = sum(f.blocking for f in findings)
    warnings = sum(
        f.severity is Severity.WARNING and f.waived is None for f in findings
    )
    waived = sum(f.waived is not None for f in findings)
    return f"lint: {errors} error(s), {warnings} warning(s), {waived} waived"


def findings_json(findings: Sequence[Finding]) -> dict[str, Any]:
    return {
        "errors": sum(f.blocking for f in findings),
        "findings": [finding.as_dict() for finding in findings],
    }


def _row(finding: Finding) -> tuple[str, str, str, str, str]:
    severity = "waived" if finding.waived else str(finding.severity)
    text = f"{finding.message}\nfix: {finding.recipe}"
    if finding.waived:
        text += f"\nwaived: {finding.waived}"
    # Recipes quote Python ("[allow(...)]"), which rich would take for
    # markup.
    return (
        severity,
        finding.rule,
        escape(f"{_relative(finding.path)}:{finding.line}"),
        str(finding.phase or "-"),
        escape(text),
    )


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(Path(path))
