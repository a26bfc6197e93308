"""The compute stack's configuration: one TOML file for every service.

::

    host = "node-1"                      # default: the machine's name
    database_url = "sqlite:////var/lib/zerodown/compute.db"
    transport_url = "embedded:////var/lib/zerodown/broker.db"
    topic_prefix = ""                    # deployments sharing a broker
    rpc_signing_keys = ["<new key>", "<old key>"]   # first signs, all verify
    rpc_signing = "required"             # or "permissive", or "off"
    state_path = "/var/lib/zerodown/state"   # each server's replay store

    [service]
    heartbeat_interval = 10.0            # seconds between heartbeats
    down_after = 60.0                    # Nova's service_down_time
    report_interval = 10.0               # a compute's resource report

    [api]
    listen = "127.0.0.1:8774"
    threads = 8
    auth = "token"                       # required: "token" or "none"
    token_key_file = "/etc/zerodown/api-token-keys"   # mode 0600
    token_audience = "zerodown-compute"  # names the deployment

    [scheduler]
    max_attempts = 3                     # hosts tried per build
    host_subset_size = 1                 # choose at random among the N best

    [compute]
    driver = "fake"                      # or "libvirt"
    cpu_allocation_ratio = 16.0
    ram_allocation_ratio = 1.5
    disk_allocation_ratio = 1.0
    shutdown_timeout = 60.0              # seconds a guest gets to stop
    task_timeout = 300.0                 # then a lost action is finished

    [compute.driver_options]             # passed to the driver
    uri = "test:///default"

    [[pci.alias]]
    name = "nic"
    vendor_id = "8086"
    product_id = "154d"

Every message between services is signed (``docs/security.md``): a
file without ``rpc_signing_keys`` is refused, unless it says
``rpc_signing = "off"`` in words, and then every start warns.
``permissive`` signs and checks signatures but accepts unsigned messages
(counted in ``zerodown status``): the step a live fleet takes from
``off`` to ``required``.

``ZERODOWN_DATABASE_URL`` and ``ZERODOWN_TRANSPORT_URL`` override the
file, and so do the command's ``--database-url`` / ``--transport-url``.
An unknown key or a value of the wrong type is a :class:`ConfigError`
naming it: a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from zerodown.exceptions import ConfigError
from zerodown.rpc import DEFAULT_MAX_SIZE, RPCSettings, Signing

__all__ = [
    "API_AUTH_MODES",
    "ApiConfig",
    "ComputeConfig",
    "ComputeDriverConfig",
    "SchedulerConfig",
    "ServiceConfig",
    "load",
    "parse",
]


@dataclasses.dataclass(frozen=True)
class ServiceConfig:
    heartbeat_interval: float = 10.0
    down_after: float = 60.0
    report_interval: float = 10.0
    #: How long an instance may stay in BUILD on a host that is down
    #: before the conductor puts it in ERROR.
    build_timeout: float = 120.0


#: ``[api] auth``: every request carries a token, or none is checked.
API_AUTH_MODES = ("token", "none")


@dataclasses.dataclass(frozen=True)
class ApiConfig:
    """``[api]``.  ``auth`` has no working default on purpose: an API
    whose file says nothing about authentication refuses to start
    (:meth:`auth_mode`) rather than serve everyone.  ``token_key_file``
    holds the token keys, one a line, the first signing (the file, not
    this one, because a key file can be kept at mode 0600 while service
    files are shared); ``token_audience`` names the deployment, so a
    token made for one is refused by another that shares its keys."""

    listen: str = "127.0.0.1:8774"
    threads: int = 8
    auth: str = ""
    token_key_file: str = ""
    token_audience: str = "zerodown-compute"

    def __post_init__(self) -> None:
        if self.auth and self.auth not in API_AUTH_MODES:
            raise ConfigError(
                problem=f"[api] auth = {self.auth!r}: choose "
                + " or ".join(repr(m) for m in API_AUTH_MODES)
            )
        # Relative to what?  A service's working directory is rarely the
        # file's; an absolute path cannot be read two ways.
        if self.token_key_file and not os.path.isabs(self.token_key_file):
            raise ConfigError(
                problem=f"[api] token_key_file {self.token_key_file!r} "
                "must be an absolute path"
            )
        if not 0 < len(self.token_audience) <= 255:
            raise ConfigError(
                problem="[api] token_audience must be 1 to 255 characters"
            )

    def auth_mode(self) -> str:
        """``"token"`` or ``"none"``, as the file says.

        :raises ConfigError: saying how to fix a file that does not
            say, that asks for tokens without keys, or that gives keys
            while turning authentication off.
        """
        mode = self.auth or ("token" if self.token_key_file else "")
        if not mode:
            raise ConfigError(
                problem="[api] says nothing about authentication: set "
                'auth = "token" and token_key_file = "/path/to/keys" '
                "(create it with `zerodown compute token add-key "
                'PATH`), or auth = "none" to let anyone who reaches '
                "the API do anything"
            )
        if mode == "token" and not self.token_key_file:
            raise ConfigError(
                problem='[api] auth = "token" needs token_key_file '
                "(create it with `zerodown compute token add-key PATH`)"
            )
        if mode == "none" and self.token_key_file:
            raise ConfigError(
                problem='[api] auth = "none" contradicts token_key_file; '
                "remove one of them"
            )
        return mode


@dataclasses.dataclass(frozen=True)
class SchedulerConfig:
    max_attempts: int = 3
    #: Nova's ``host_subset_size``: the choice is made at random among
    #: this many of the best hosts, so that concurrent requests (and
    #: several schedulers) spread instead of all racing for the best.
    host_subset_size: int = 1

    def __post_init__(self) -> None:
        if self.host_subset_size < 1:
            raise ConfigError(
                problem="[scheduler] host_subset_size must be at least 1"
            )


@dataclasses.dataclass(frozen=True)
class ComputeDriverConfig:
    driver: str = "fake"
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    # Release 2: how long a deleted guest may take to shut down by itself
    # before it is destroyed (Nova's shutdown_timeout).
    shutdown_timeout: float = 60.0
    # After release 3: seconds an action (pause, unpause, reboot, delete) may
    # stay in its task state with no cast handled before the compute
    # carries it out itself (its cast died with a transient queue); 0:
    # never.
    task_timeout: float = 300.0
    driver_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ComputeConfig:
    """Everything a compute-stack service reads from its file."""

    host: str = dataclasses.field(default_factory=socket.gethostname)
    database_url: str | None = None
    transport_url: str = "memory://"
    #: Prefixed to every RPC topic, so deployments can share a broker.
    topic_prefix: str = ""
    #: HMAC keys (at least 16 bytes): the first signs, all verify.
    rpc_signing_keys: tuple[str, ...] = ()
    #: ``required`` (the default), ``permissive`` or ``off``.
    rpc_signing: str | None = None
    #: Seconds a cast or reply stays valid once signed (a call: its
    #: timeout); the replay window.
    rpc_message_lifetime: float = 600.0
    #: Seconds the hosts' clocks may disagree.
    rpc_max_clock_skew: float = 60.0
    #: Largest message body sent or accepted, in bytes.
    rpc_max_message_size: int = DEFAULT_MAX_SIZE
    #: Where each RPC server keeps the ids of the messages it took, so a
    #: restart cannot let a captured message run again.
    state_path: str = ".zerodown/state"
    service: ServiceConfig = ServiceConfig()
    api: ApiConfig = ApiConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    compute: ComputeDriverConfig = ComputeDriverConfig()
    pci_aliases: tuple[Mapping[str, Any], ...] = ()

    def signing(self) -> Signing:
        """The signing policy the file asks for.

        :raises ConfigError: no keys without ``rpc_signing = "off"``, an
            unknown mode, or short keys.
        """
        return RPCSettings(
            rpc_signing_keys=self.rpc_signing_keys,
            rpc_signing=self.rpc_signing,
            rpc_message_lifetime=self.rpc_message_lifetime,
            rpc_max_clock_skew=self.rpc_max_clock_skew,
        ).signing()

    def require_database(self) -> str:
        """The database URL, for the services that have one."""
        if not self.database_url:
            raise ConfigError(
                problem="database_url is not set (in the file, "
                "ZERODOWN_DATABASE_URL or --database-url)"
            )
        return self.database_url


_SECTIONS: dict[str, type[Any]] = {
    "service": ServiceConfig,
    "api": ApiConfig,
    "scheduler": SchedulerConfig,
    "compute": ComputeDriverConfig,
}


def load(
    path: str | Path | None,
    *,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> ComputeConfig:
    """Read ``path`` (none: defaults only), then the environment, then
    ``overrides`` that are not ``None``."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as stream:
                data = tomllib.load(stream)
        except OSError as err:
            raise ConfigError(
                problem=f"cannot read {path}: {err.strerror}"
            ) from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(problem=f"{path} is not TOML: {err}") from err
        if data.get("rpc_signing_keys"):
            _private(Path(path))
    env = os.environ if environ is None else environ
    for key in ("database_url", "transport_url", "host"):
        value = env.get(f"ZERODOWN_{key.upper()}")
        if value:
            data[key] = value
    data.update({k: v for k, v in overrides.items() if v is not None})
    return parse(data, source=str(path or "defaults"))


def _private(path: Path) -> None:
    """A file that holds signing keys is readable by its owner only: the
    keys let whoever reads them act as any service (ssh refuses a private
    key open to others in the same way)."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(
            problem=f"{path} holds rpc_signing_keys but is readable by "
            f"others (mode {mode:04o}): chmod 600 {path}"
        )


def parse(data: Mapping[str, Any], source: str = "config") -> ComputeConfig:
    """A :class:`ComputeConfig` from parsed TOML."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SECTIONS:
            values[key] = _section(_SECTIONS[key], value, f"{source}: [{key}]")
        elif key == "pci":
            values["pci_aliases"] = _aliases(value, source)
        elif key in _TEXT:
            values[key] = _typed(key, value, str, source)
        elif key in _SECONDS:
            values[key] = _typed(key, value, float, source)
        elif key in _COUNTS:
            values[key] = _typed(key, value, int, source)
        elif key == "rpc_signing_keys":
            values[key] = _keys(value, source)
        else:
            raise ConfigError(problem=f"{source}: unknown setting {key!r}")
    return ComputeConfig(**values)


_TEXT = frozenset(
    {
        "host",
        "database_url",
        "transport_url",
        "topic_prefix",
        "rpc_signing",
        "state_path",
    }
)
_SECONDS = frozenset({"rpc_message_lifetime", "rpc_max_clock_skew"})
_COUNTS = frozenset({"rpc_max_message_size"})


def _keys(value: Any, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(k, str) for k in value
    ):
        raise ConfigError(
            problem=f"{source}: rpc_signing_keys must be an array of strings"
        )
    return tuple(value)


def _section(cls: type[Any], value: Any, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise ConfigError(problem=f"{where} must be a table")
    known = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, item in value.items():
        if key not in known:
            raise ConfigError(problem=f"{where}: unknown setting {key!r}")
        default = getattr(cls(), key)
        if isinstance(default, Mapping):
            if not isinstance(item, Mapping):
                raise ConfigError(problem=f"{where}: {key} must be a table")
            values[key] = dict(item)
        else:
            values[key] = _typed(key, item, type(default), where)
    return cls(**values)


def _typed(key: str, value: Any, kind: type[Any], where: str) -> Any:
    if (
        kind is float
        and isinstance(value, int)
        and not isinstance(value, bool)
    ):
        value = float(value)
    if not isinstance(value, kind) or (
        kind is not bool and isinstance(value, bool)
    ):
        raise ConfigError(
            problem=f"{where}: {key} must be {kind.__name__}, "
            f"not {type(value).__name__}"
        )
    if kind in (int, float) and value < 0:
        raise ConfigError(problem=f"{where}: {key} must not be negative")
    return value


def _aliases(value: Any, source: str) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, Mapping) or set(value) - {"alias"}:
        raise ConfigError(problem=f"{source}: [pci] takes only 'alias'")
    aliases = value.get("alias", [])
    if not isinstance(aliases, list) or not all(
        isinstance(a, Mapping) for a in aliases
    ):
        raise ConfigError(
            problem=f"{source}: pci.alias must be an array of tables"
        )
    return tuple(dict(a) for a in aliases)
