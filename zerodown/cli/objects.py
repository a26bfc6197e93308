"""``zerodown objects ...``: fingerprints, versions and backport checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from zerodown.cli.render import console, table
from zerodown.config import Config, load_config
from zerodown.exceptions import EXIT_ERROR

if TYPE_CHECKING:
    from zerodown.objects.command import ObjectSettings

__all__ = ["objects"]

# zerodown.objects imports oslo.versionedobjects (half a second): only the
# commands that need it pay for it, not every ``zerodown`` invocation.
pass_config = click.make_pass_decorator(Config)


def _settings(config: Config) -> ObjectSettings:
    from zerodown.objects.command import ObjectSettings

    return config.settings(ObjectSettings)


@click.group()
@click.option(
    "--registry",
    metavar="MODULE:ATTR",
    default=None,
    help="The ObjectRegistry to work on; default: object_registry from "
    "[tool.zerodown] in ./pyproject.toml or ZERODOWN_OBJECT_REGISTRY.",
)
@click.option(
    "--manifest",
    "manifest_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The manifest file; default: object_manifest, else the MANIFEST "
    "path the registry's module defines.",
)
@click.pass_context
def objects(
    ctx: click.Context, registry: str | None, manifest_file: Path | None
) -> None:
    """Versioned objects: the fingerprint manifest, versions, backports."""
    ctx.obj = load_config(
        pyproject=Path("pyproject.toml"),
        overrides={
            "object_registry": registry,
            "object_manifest": manifest_file,
        },
    )


@objects.command("manifest")
@click.option(
    "--check",
    "mode",
    flag_value="check",
    default=True,
    help="Compare the registry with the manifest file (the default); exit "
    "1 naming each object that differs and what changed.",
)
@click.option(
    "--write",
    "mode",
    flag_value="write",
    help="Regenerate the manifest file from the registry.",
)
@pass_config
def manifest_command(config: Config, mode: str) -> None:
    """Check or regenerate the fingerprints of every object.

    A fingerprint covers each field's name, type (element types and object
    targets included), nullability, default, read-only flag and the version
    that added it, and each remotable method's signature.  A class that
    changed without a version bump fails the check; bump VERSION, add the
    change to the class's history, then run --write.
    """
    from zerodown.objects import command

    settings = _settings(config)
    if mode == "write":
        path, changed = command.write_manifest(settings)
        click.echo(f"{'wrote' if changed else 'unchanged'}: {path}")
        return
    changes = command.compare_manifest(settings)
    path = command.manifest_path(settings)
    if not changes:
        click.echo(f"ok: every object matches {path}")
        return
    for change in changes:
        click.echo(f"{change}", err=True)
    click.echo(
        f"error: {len(changes)} object(s) differ from {path}; bump the "
        "version of each changed object, then run "
        "'zerodown objects manifest --write'",
        err=True,
    )
    raise SystemExit(EXIT_ERROR)


@objects.command("versions")
@pass_config
def versions_command(config: Config) -> None:
    """List every object with its current and oldest version."""
    from zerodown.objects import command, manifest

    registry = command.load_registry(_settings(config))
    rows = []
    for name in registry:
        fp = manifest.fingerprint(registry[name])
        oldest = registry.oldest_versions()[name]
        rows.append((name, fp.version, oldest, fp.digest))
    console().print(
        table("object", "version", "oldest", "fingerprint", rows=rows)
    )


@objects.command("verify")
@click.argument("names", nargs=-1)
@click.option(
    "--examples",
    default=25,
    show_default=True,
    type=click.IntRange(1),
    help="Generated instances per object.",
)
@pass_config
def verify_command(
    config: Config, names: tuple[str, ...], examples: int
) -> None:
    """Backport generated instances of each object to every older version.

    Checks each result carries exactly its version's fields, is read by a
    registry frozen at that version, and reads forward to the same data;
    a refused backport must be a typed refusal.  NAMES limits the run.
    Needs hypothesis.
    """
    from zerodown.objects import command

    for report in command.verify(_settings(config), names, examples):
        click.echo(str(report))
