"""Requests for fuzzing the compute API: structure-aware, then mutated.

Bodies start as instances of the API's own schemas (filled from pools
of values that sit at and beyond every limit), then are mutated as data
(a key dropped or added, a value of another type) and as bytes
(truncated, a byte changed, junk inserted).  Paths come from the route
table with good and bad parameters, percent-decoded bytes as WSGI hands
them over (latin-1, so not always UTF-8); methods, tokens, content types
and lengths vary too.  Everything is drawn from one seeded
:class:`random.Random`, so a failure replays from its seed and index.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

from zerodown.compute.api import validation
from zerodown.compute.api.app import ROUTES

STRINGS = [
    "",
    "a",
    "small",
    "x" * 255,
    "x" * 256,
    "fx\n",
    "a\x00b",
    "\ud800",
    "\udfff tail",
    "\u00b2",
    "\u0662",
    "\U0001f600" * 64,
    "hw:cpu_policy",
    "dedicated",
    "shared",
    "9" * 30,
    "-1",
    "0",
    "4096",
    "4097",
    "2",
    "1GB",
    "2048",
    "^0",
    "0-65535",
    "nic:1",
    "required",
    "yes",
    "' OR 1=1 --",
    "%00",
    "../..",
    "\\",
    " ",
]
INTEGERS = [0, 1, -1, 2, 4096, 4097, 2**31 - 1, 2**31, -(2**31) - 1, 2**63]
ODD_NUMBERS = [1e300, 2.0, 0.5, -0.0, float("inf")]
SPEC_KEYS = [
    "hw:cpu_policy",
    "hw:cpu_sockets",
    "hw:cpu_cores",
    "hw:cpu_max_threads",
    "hw:numa_nodes",
    "hw:numa_cpus.0",
    "hw:numa_mem.0",
    "hw:numa_cpus.99999",
    "hw:mem_page_size",
    "hw:cpu_realtime",
    "hw:cpu_realtime_mask",
    "hw:emulator_threads_policy",
    "hw:pci_numa_affinity_policy",
    "pci_passthrough:alias",
    "hw:cpu_polcy",
    "trait:CUSTOM",
    "k" * 256,
]
IMAGE_KEYS = [
    "hw_cpu_policy",
    "hw_numa_nodes",
    "hw_mem_page_size",
    "hw_cpu_sockets",
    "hw_cpu_max_cores",
    "hw_pci_numa_affinity_policy",
    "hw_cpu_realtime_mask",
    "unknown_prop",
]
METHODS = (
    ["GET"] * 6
    + ["POST"] * 6
    + ["PUT", "DELETE", "DELETE"]
    + [
        "PATCH",
        "HEAD",
        "OPTIONS",
        "TRACE",
        "get",
        "",
        "G\x00T",
    ]
)
CONTENT_TYPES = ["application/json"] * 8 + [
    "",
    "APPLICATION/JSON; charset=utf-8",
    "text/plain",
    "application/json-patch+json",
    "multipart/form-data; boundary=x",
    "\x00",
]


def _weight(name: str) -> int:
    return {"admin": 8, "member": 4, "other": 2}.get(name, 1)


class Generator:
    """One seeded stream of WSGI environ pieces."""

    def __init__(
        self, seed: int, tokens: Mapping[str, str | None], ids: IdPool
    ) -> None:
        self.rng = random.Random(seed)
        # Mostly valid tokens: the handlers behind the door get most of
        # the stream; every kind of bad token still comes often.
        self.tokens = [tokens[n] for n in tokens for _ in range(_weight(n))]
        self.ids = ids

    def request(self) -> dict[str, Any]:
        """Method, raw path, token, content type and length, body."""
        rng = self.rng
        route = rng.choice(ROUTES)
        method = route.method if rng.random() < 0.85 else rng.choice(METHODS)
        body = self.body(route.template, method)
        length: str = str(len(body))
        if rng.random() < 0.03:
            length = rng.choice(["-1", "abc", "", "1e3", str(2**70), "+5"])
        return {
            "method": method,
            "path": self.path(route.template),
            "token": rng.choice(self.tokens),
            "content_type": rng.choice(CONTENT_TYPES),
            "length": length,
            "body": body,
        }

    # -- paths -----------------------------------------------------------

    def path(self, template: str) -> str:
        rng = self.rng
        if rng.random() < 0.05:
            return self._noise_path()
        path = re.sub(
            r"\{(\w+)\}", lambda m: self._param(m.group(1)), template
        )
        if rng.random() < 0.05:
            path += rng.choice(["/", "//", "\n", "/extra", "%2F", "?x=1"])
        return path

    def _param(self, name: str) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            known = self.ids.pick(name, rng)
            if known is not None:
                return known
        return rng.choice(
            [
                "1",
                "0",
                "99999999999999999999",
                "\xb2",
                "\xc2\xb2",
                "\xff\xfe",
                "4f1c0ffe-0000-0000-0000-000000000000",
                "4F1C0FFE-0000-0000-0000-00000000000",
                "detail",
                "small",
                "x" * 300,
                "a\x00b",
                "..",
                " ",
                "hw:cpu_policy",
                "fx\n",
            ]
        )

    def _noise_path(self) -> str:
        rng = self.rng
        size = rng.randrange(0, 40)
        raw = bytes(rng.randrange(0, 256) for _ in range(size))
        return "/" + raw.decode("latin-1")

    # -- bodies ----------------------------------------------------------

    def body(self, template: str, method: str) -> bytes:
        rng = self.rng
        if method not in ("POST", "PUT") and rng.random() < 0.9:
            return b""
        data = self._document(template)
        if rng.random() < 0.35:
            data = self._mutate(data, depth=0)
        raw = _dumps(data, rng)
        if rng.random() < 0.1:
            raw = self._mutate_bytes(raw)
        return raw

    def _document(self, template: str) -> Any:
        rng = self.rng
        if template == "/flavors":
            return self._instance(validation.FLAVOR.schema)
        if template == "/servers":
            return self._instance(validation.SERVER.schema)
        if template.endswith("/os-extra_specs"):
            return self._instance(validation.EXTRA_SPECS.schema)
        if template.endswith("{key}"):
            return {rng.choice(SPEC_KEYS): rng.choice(STRINGS)}
        if template.endswith("/action"):
            return rng.choice(
                [
                    {"pause": None},
                    {"unpause": None},
                    {"reboot": {"type": rng.choice(["SOFT", "HARD", "X"])}},
                    {"reboot": None},
                    {"pause": None, "unpause": None},
                    {"explode": {}},
                    [],
                ]
            )
        return self._value(depth=0)

    def _instance(self, schema: Mapping[str, Any]) -> Any:
        """A value for ``schema`` (a subset of JSON Schema: what the
        API's schemas use), usually valid, often at a limit."""
        rng = self.rng
        if "anyOf" in schema:
            return self._instance(rng.choice(schema["anyOf"]))
        if "const" in schema and rng.random() < 0.75:
            return schema["const"]
        if "enum" in schema and rng.random() < 0.75:
            return rng.choice(schema["enum"])
        kind = schema.get("type")
        if isinstance(kind, list):  # a nullable value
            kind = rng.choice(kind)
        if kind == "object":
            return self._object(schema)
        if kind == "integer":
            low = schema.get("minimum", -(2**31))
            high = schema.get("maximum", 2**31 - 1)
            if rng.random() < 0.75:  # most values fit
                return rng.choice([low, high, rng.randint(low, low + 8)])
            return rng.choice(INTEGERS)
        if kind == "string":
            return self._string(schema)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "null":
            return None
        return self._value(depth=1)

    def _object(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        rng = self.rng
        result: dict[str, Any] = {}
        for name, sub in schema.get("properties", {}).items():
            if name in schema.get("required", ()) or rng.random() < 0.5:
                result[name] = self._instance(sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            keys = SPEC_KEYS if "flavor" not in result else STRINGS
            if "propertyNames" in schema:
                keys = SPEC_KEYS if rng.random() < 0.7 else IMAGE_KEYS
                if "hw_cpu_policy" in keys and rng.random() < 0.5:
                    keys = IMAGE_KEYS
            for _ in range(rng.randrange(0, 4)):
                result[rng.choice(keys)] = self._instance(extra)
        return result

    def _string(self, schema: Mapping[str, Any]) -> str:
        rng = self.rng
        if rng.random() < 0.6:  # names and ids that exist or could
            return rng.choice(["small", "pinned", "f1", "a.b-c_d", "x" * 255])
        return rng.choice(STRINGS)

    def _value(self, depth: int) -> Any:
        rng = self.rng
        kinds: list[Callable[[], Any]] = [
            lambda: rng.choice(STRINGS),
            lambda: rng.choice(INTEGERS),
            lambda: rng.choice(ODD_NUMBERS),
            lambda: rng.random() < 0.5,
            lambda: None,
        ]
        if depth < 3:
            kinds += [
                lambda: [self._value(depth + 1) for _ in range(3)],
                lambda: {
                    rng.choice(STRINGS): self._value(depth + 1)
                    for _ in range(2)
                },
            ]
        return rng.choice(kinds)()

    def _mutate(self, data: Any, depth: int) -> Any:
        """Change one thing somewhere in ``data``."""
        rng = self.rng
        if not isinstance(data, dict) or not data or depth > 3:
            return self._value(depth=1)
        key = rng.choice(list(data))
        choice = rng.random()
        copy = dict(data)
        if choice < 0.2:
            del copy[key]
        elif choice < 0.35:
            copy[rng.choice(STRINGS)] = self._value(depth=1)
        elif choice < 0.7:
            copy[key] = self._mutate(copy[key], depth + 1)
        else:
            copy[key] = self._value(depth=1)
        return copy

    def _mutate_bytes(self, raw: bytes) -> bytes:
        rng = self.rng
        if not raw:
            return bytes(rng.randrange(256) for _ in range(8))
        at = rng.randrange(len(raw))
        return rng.choice(
            [
                raw[:at],
                raw[:at] + bytes([rng.randrange(256)]) + raw[at + 1 :],
                raw[:at]
                + rng.choice([b"\x00", b"\xff", b"[" * 50])
                + raw[at:],
                raw + b"garbage",
                b"\xef\xbb\xbf" + raw,
                raw.decode("latin-1").encode("utf-16"),
            ]
        )


def _dumps(data: Any, rng: random.Random) -> bytes:
    # ensure_ascii=False writes lone surrogates that UTF-8 cannot
    # encode: escape those, and sometimes everything.
    if rng.random() < 0.3:
        return json.dumps(data).encode()
    return json.dumps(data, ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


class IdPool:
    """Ids of resources that exist, so paths hit real ones too."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {
            "flavor_id": ["small", "pinned"],
            "server_id": [],
            "hypervisor_id": [],
            "key": ["hw:cpu_policy"],
        }

    def pick(self, name: str, rng: random.Random) -> str | None:
        found = self.values.get(name) or []
        return rng.choice(found) if found else None

    def learn(self, answer: Any) -> None:
        """Remember ids the API answered with."""
        if not isinstance(answer, dict):
            return
        for kind, name in (("server", "server_id"), ("flavor", "flavor_id")):
            item = answer.get(kind)
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                pool = self.values[name]
                pool.append(item["id"])
                del pool[:-50]
