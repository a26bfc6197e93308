"""Run every rule on every revision and apply the revisions' waivers."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

import sqlalchemy as sa

from zerodown.migrations.lint.dialects import DialectProfile, Version
from zerodown.migrations.lint.findings import Finding, blocking
from zerodown.migrations.lint.rules import (
    Context,
    Hit,
    LintOptions,
    Rule,
    all_rules,
)
from zerodown.migrations.lint.script import RevisionScript
from zerodown.migrations.lint.sources import Source, collect

__all__ = ["lint", "lint_script", "pending_errors", "server_of"]

LOG = logging.getLogger(__name__)


def lint(
    source: Source,
    dialect: str,
    server_version: str | Version | None = None,
    *,
    options: LintOptions | None = None,
    revisions: set[str] | None = None,
) -> list[Finding]:
    """Lint the revision scripts of ``source`` for ``dialect``.

    :param source: a :class:`~zerodown.migrations.layout.Layout`, or
        revision files and directories of them.
    :param dialect: ``postgresql``, ``mysql``, ``mariadb`` or ``sqlite``.
    :param server_version: the server's version (``"15.4"``,
        ``"10.11.6-MariaDB"``); default: the profile's
        ``assumed_version``, an old release still in wide use.
    :param revisions: only these revision ids (phases still come from
        every script of ``source``).
    :returns: every finding, waived ones included (see
        :attr:`Finding.waived`), in file and line order.
    """
    profile = DialectProfile.for_server(dialect, server_version)
    chosen = options or LintOptions()
    findings: list[Finding] = []
    for script in collect(source):
        if revisions is None or script.revision in revisions:
            findings.extend(lint_script(script, profile, chosen))
    LOG.info(
        "lint (%s): %d finding(s), %d blocking",
        profile.describe(),
        len(findings),
        sum(f.blocking for f in findings),
    )
    return sorted(findings, key=lambda f: (f.path, f.line, f.rule))


def pending_errors(
    source: Source,
    revisions: Iterable[str],
    connection: sa.Connection,
    options: LintOptions | None = None,
) -> list[Finding]:
    """The errors no waiver covers in ``revisions``, judged for the
    backend and server version of ``connection``.

    The contract gate's question: may these revisions run on this server?
    """
    dialect, version = server_of(connection)
    return blocking(
        lint(
            source,
            dialect,
            version,
            options=options,
            revisions=set(revisions),
        )
    )


def server_of(connection: sa.Connection) -> tuple[str, str | None]:
    """The lint dialect and server version of a live connection."""
    dialect = connection.dialect
    name = "mariadb" if getattr(dialect, "is_mariadb", False) else dialect.name
    info = dialect.server_version_info or ()
    numbers = [str(part) for part in info if isinstance(part, int)]
    return name, ".".join(numbers) or None


def lint_script(
    script: RevisionScript, profile: DialectProfile, options: LintOptions
) -> list[Finding]:
    """Every finding of every rule that applies to ``profile``."""
    findings = []
    for rule in all_rules().values():
        if profile.family not in rule.families:
            continue
        for context in _contexts(rule, script, profile, options):
            for hit in rule.check(context):
                findings.append(_finding(rule, hit, context))
    return findings


def _contexts(
    rule: Rule,
    script: RevisionScript,
    profile: DialectProfile,
    options: LintOptions,
) -> Iterator[Context]:
    if rule.scope == "revision":
        yield Context(script, profile, options)
        return
    for call in script.calls:
        yield Context(script, profile, options, call)


def _finding(rule: Rule, hit: Hit, context: Context) -> Finding:
    script = context.script
    line = hit.line or (context.call.line if context.call else 1)
    waiver = next(
        (w for w in script.waivers if w.covers(rule.id, hit.target)), None
    )
    return Finding(
        rule=rule.id,
        severity=hit.severity or rule.severity,
        message=hit.message,
        recipe=hit.recipe or rule.recipe,
        path=str(script.path),
        line=line,
        revision=script.revision,
        phase=script.phase,
        target=hit.target,
        waived=waiver.reason if waiver else None,
    )
