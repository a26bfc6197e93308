"""Fingerprints of object schemas and the checked-in manifest file.

A fingerprint hashes a canonical description of a class: each field's name,
its type with element types and object targets, nullability, default,
read-only flag and the version that added it, and each remotable method's
signature (parameter names, kinds and defaults; annotations are left out,
so adding type hints is not a schema change).  oslo.versionedobjects'
fingerprint misses element types, object targets and ``read_only``, and
changes when annotations do.

The manifest file lists ``Name: version-fingerprint`` lines, each followed
by the description it covers, indented, so that a review shows what
changed and :func:`compare` can say it::

    NUMAPagesTopology: 1.1-3f0c...
        reserved: Integer default=0 @1.1
        size_kb: Integer @1.0
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oslo_versionedobjects import fields as ovo

from zerodown.objects import fields as zd
from zerodown.objects.errors import ManifestMismatch, ObjectError

if TYPE_CHECKING:
    from zerodown.objects.base import ZerodownObject
    from zerodown.objects.registry import ObjectRegistry

__all__ = [
    "Fingerprint",
    "ManifestChange",
    "check",
    "compare",
    "describe",
    "fingerprint",
    "read",
    "render",
    "write",
]

HEADER = (
    "# zerodown object manifest: 'Name: version-fingerprint', then what the\n"
    "# fingerprint covers.  A field change needs a version bump; then\n"
    "# regenerate with: zerodown objects manifest --write\n"
)


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    """One object's version, hash and the description hashed."""

    name: str
    version: str
    digest: str
    lines: tuple[str, ...]

    @property
    def line(self) -> str:
        return f"{self.name}: {self.version}-{self.digest}"


@dataclasses.dataclass(frozen=True)
class ManifestChange:
    """One difference between a registry and its manifest file."""

    object: str
    problem: str

    def __str__(self) -> str:
        return f"{self.object}: {self.problem}"


def describe(cls: type[ZerodownObject]) -> tuple[str, ...]:
    """The canonical description lines of ``cls``'s schema."""
    history = cls._zd_plan.history
    lines = []
    for name, field in sorted(cls.fields.items()):
        added = ".".join(map(str, history.added_in(name)))
        lines.append(f"{name}: {describe_field(field)} @{added}")
    lines.extend(_remotables(cls))
    return tuple(lines)


def describe_field(field: ovo.Field[Any]) -> str:
    """``Type`` plus ``nullable``, ``read_only`` and ``default=...``."""
    parts = [_type(field._type)]
    if field.nullable:
        parts.append("nullable")
    if field.read_only:
        parts.append("read_only")
    if field.default is not ovo.UnspecifiedDefault:
        parts.append(f"default={_canonical(field.default)}")
    return " ".join(parts)


def _type(ftype: Any) -> str:
    if isinstance(ftype, ovo.Object):
        extra = ",subclasses" if ftype._subclasses else ""
        return f"Object({ftype._obj_name}{extra})"
    if isinstance(ftype, (ovo.List, ovo.Set, ovo.Dict)):
        element = ftype._element_type
        inner = _type(element._type) + ("?" if element.nullable else "")
        return f"{type(ftype).__name__}({inner})"
    if isinstance(ftype, ovo.Enum):
        since = getattr(ftype, "since", {})
        values = [
            f"{v}@{since[v]}" if v in since else v
            for v in sorted(ftype.valid_values)
        ]
        return f"Enum({','.join(values)})"
    if isinstance(ftype, zd.DateTime | ovo.DateTime):
        return f"DateTime(tz={ftype.tzinfo_aware})"
    return type(ftype).__name__


def _canonical(value: Any) -> str:
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(_canonical(v) for v in value)) + "}"
    if isinstance(value, dict):
        items = sorted((str(k), _canonical(v)) for k, v in value.items())
        return "{" + ",".join(f"{k!r}:{v}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)


_PREFIX: dict[Any, str] = {
    inspect.Parameter.VAR_POSITIONAL: "*",
    inspect.Parameter.VAR_KEYWORD: "**",
    inspect.Parameter.KEYWORD_ONLY: "kw:",
}


def _remotables(cls: type) -> list[str]:
    found = []
    for name in sorted(dir(cls)):
        attr = inspect.getattr_static(cls, name, None)
        kind = "method"
        if isinstance(attr, classmethod):
            attr, kind = attr.__func__, "classmethod"
        if not getattr(attr, "remotable", False):
            continue
        signature = inspect.signature(attr.original_fn)
        params = []
        for param in signature.parameters.values():
            text = _PREFIX.get(param.kind, "") + param.name
            if param.default is not param.empty:
                text += "=" + _canonical(param.default)
            params.append(text)
        found.append(f"remotable {kind} {name}({', '.join(params)})")
    return found


def fingerprint(cls: type[ZerodownObject]) -> Fingerprint:
    """The :class:`Fingerprint` of ``cls`` at its ``VERSION``."""
    lines = describe(cls)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]
    return Fingerprint(cls.obj_name(), cls.VERSION, digest, lines)


def render(registry: ObjectRegistry) -> str:
    """The manifest file text of every object in ``registry``."""
    out = [HEADER]
    for name in registry:
        fp = fingerprint(registry[name])
        out.append(fp.line + "\n")
        out.extend(f"    {line}\n" for line in fp.lines)
    return "".join(out)


def read(path: Path) -> dict[str, Fingerprint]:
    """Parse a manifest file.

    :raises ObjectError: if a line is neither a comment, an object line nor
        an indented description line.
    """
    heads: dict[str, tuple[str, str]] = {}
    lines: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        if raw.startswith(" ") and current is not None:
            current.append(raw.strip())
            continue
        name, sep, rest = raw.partition(": ")
        version, dash, digest = rest.partition("-")
        if not (sep and dash and name.isidentifier() and digest):
            raise ObjectError(problem=f"{path}:{number}: not a manifest line")
        heads[name] = (version, digest)
        current = lines[name] = []
    return {
        name: Fingerprint(name, version, digest, tuple(lines[name]))
        for name, (version, digest) in heads.items()
    }


def compare(registry: ObjectRegistry, path: Path) -> list[ManifestChange]:
    """What differs between ``registry`` and the manifest at ``path``."""
    recorded = read(path) if path.exists() else {}
    changes = []
    for name in registry:
        actual = fingerprint(registry[name])
        known = recorded.get(name)
        if known is None:
            changes.append(ManifestChange(name, "not in the manifest"))
        elif (known.version, known.digest) != (actual.version, actual.digest):
            changes.append(ManifestChange(name, _explain(known, actual)))
    for name in sorted(set(recorded) - set(registry)):
        changes.append(ManifestChange(name, "in the manifest, not registered"))
    return changes


def _explain(known: Fingerprint, actual: Fingerprint) -> str:
    diff = "; ".join(_diff(known.lines, actual.lines)) or "description same"
    if known.version == actual.version:
        return f"changed without a version bump from {known.version}: {diff}"
    return (
        f"version {known.version} -> {actual.version} but the manifest is "
        f"not updated: {diff}"
    )


def _diff(old: Iterable[str], new: Iterable[str]) -> list[str]:
    before = {line.split(": ", 1)[0]: line for line in old}
    after = {line.split(": ", 1)[0]: line for line in new}
    found = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        if was is None:
            found.append(f"{key} added ({now})")
        elif now is None:
            found.append(f"{key} removed (was {was})")
        else:
            found.append(f"{key} was {_rest(was)!r}, is {_rest(now)!r}")
    return found


def _rest(line: str) -> str:
    return line.split(": ", 1)[-1]


def check(registry: ObjectRegistry, path: Path) -> None:
    """Raise unless ``path`` matches ``registry``.

    :raises ManifestMismatch: with ``changes``, one entry an object.
    """
    changes = compare(registry, path)
    if changes:
        raise ManifestMismatch(
            count=len(changes),
            path=path,
            summary="; ".join(str(c) for c in changes),
            changes=changes,
        )


def write(registry: ObjectRegistry, path: Path) -> bool:
    """Write the manifest; return whether the file changed."""
    text = render(registry)
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    return True
