"""A whole compute stack on one machine: its files, schema and processes.

:class:`Deployment` writes one TOML file per service under a work
directory, deploys the schema, starts the conductor, the scheduler, the
computes and the API as separate processes, and stops them in reverse
order.  ``zerodown demo`` and the multi-process tests use it; each
service's log is ``<workdir>/logs/<name>.log``.  It runs two schedulers
by default (``scheduler`` and ``scheduler-2``, sharing their topic), as
operators do for high availability: they claim in the database, so they
never give away the same room.

The API checks tokens: the deployment makes a key file
(``<workdir>/etc/api-token-keys``, mode 0600), names it in the API's
file, and :attr:`Deployment.api` is a client with an admin token;
:meth:`Deployment.token` makes others.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from zerodown.compute.api.keys import add_key, load_keys
from zerodown.compute.api.tokens import issue
from zerodown.compute.client import ComputeClient
from zerodown.compute.conf import ApiConfig
from zerodown.compute.deploy import deploy_schema
from zerodown.compute.launcher import ServiceProcess, write_config
from zerodown.rpc import generate_key

__all__ = ["ComputeHost", "Deployment"]


@dataclasses.dataclass(frozen=True)
class ComputeHost:
    """One compute service: its name, driver and driver options."""

    host: str
    driver: str = "fake"
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.0
    task_timeout: float = 300.0


@dataclasses.dataclass
class Deployment:
    workdir: Path
    database_url: str
    transport_url: str
    computes: tuple[ComputeHost, ...]
    pci_aliases: tuple[Mapping[str, Any], ...] = ()
    heartbeat_interval: float = 1.0
    down_after: float = 6.0
    report_interval: float = 2.0
    build_timeout: float = 30.0
    topic_prefix: str = ""
    #: Scheduler processes: ``scheduler``, ``scheduler-2``, ...
    schedulers: int = 2
    #: Every service signs with the first key and accepts all of them.
    signing_keys: tuple[str, ...] = dataclasses.field(
        default_factory=lambda: (generate_key(),)
    )
    rpc_signing: str = "required"
    #: More top-level settings for every service's file.
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    processes: dict[str, ServiceProcess] = dataclasses.field(
        default_factory=dict
    )
    #: Settings one service's file gets on top of the others' (restart).
    overrides: dict[str, dict[str, Any]] = dataclasses.field(
        default_factory=dict
    )

    @property
    def api(self) -> ComputeClient:
        """A client of the API with an admin token."""
        return self.client(self.token(role="admin"))

    def client(self, token: str | None) -> ComputeClient:
        return ComputeClient(self.processes["api"].url, token=token)

    # -- API tokens ------------------------------------------------------

    @property
    def token_key_file(self) -> Path:
        return self.workdir / "etc" / "api-token-keys"

    def _api_auth(self) -> dict[str, str]:
        """``[api]`` settings that make the API check tokens, with a new
        key file if there is none yet."""
        if not self.token_key_file.exists():
            add_key(self.token_key_file)
        return {"auth": "token", "token_key_file": str(self.token_key_file)}

    def token(
        self,
        project: str = "demo",
        user: str = "demo-admin",
        role: str = "admin",
    ) -> str:
        """A token (one hour) the deployment's API accepts."""
        keys = load_keys(self.token_key_file, ApiConfig().token_audience)
        made, _ = issue(keys, project=project, user=user, roles=[role])
        return made

    def config_for(self, name: str, extra: Mapping[str, Any]) -> Path:
        values: dict[str, Any] = {
            "host": name,
            "transport_url": self.transport_url,
            "topic_prefix": self.topic_prefix,
            "rpc_signing": self.rpc_signing,
            "rpc_signing_keys": list(self.signing_keys),
            "state_path": str(self.workdir / "state" / name),
            **self.settings,
            **self.overrides.get(name, {}),
            "service": {
                "heartbeat_interval": self.heartbeat_interval,
                "down_after": self.down_after,
                "report_interval": self.report_interval,
                "build_timeout": self.build_timeout,
            },
            **extra,
        }
        if self.pci_aliases:
            values["pci"] = {"alias": [dict(a) for a in self.pci_aliases]}
        return write_config(self.workdir / "etc" / f"{name}.toml", values)

    def _process(self, name: str, binary: str, config: Path) -> ServiceProcess:
        process = ServiceProcess(
            name, binary, config, self.workdir / "logs" / f"{name}.log"
        )
        self.processes[name] = process
        return process

    @property
    def scheduler_names(self) -> list[str]:
        return ["scheduler"] + [
            f"scheduler-{i}" for i in range(2, self.schedulers + 1)
        ]

    def start_control_plane(self) -> None:
        self.start_service("conductor")
        for name in self.scheduler_names:
            self.start_service("scheduler", name)

    def start_service(
        self, binary: str, name: str | None = None
    ) -> ServiceProcess:
        """Start the conductor or a scheduler (``name``: its host and
        process name, default the binary's)."""
        name = name or binary
        config = self.config_for(name, {"database_url": self.database_url})
        return self._process(name, binary, config).start()

    def restart(self, name: str, **settings: Any) -> ServiceProcess:
        """Stop ``name`` (SIGTERM), then start it again with ``settings``
        added to its file: how an operator rolls a change through a live
        deployment, one service at a time."""
        self.processes[name].stop()
        self.overrides[name] = {**self.overrides.get(name, {}), **settings}
        if name == "api":
            return self.start_api()
        for compute in self.computes:
            if compute.host == name:
                return self.start_compute(compute)
        if name in self.scheduler_names:
            return self.start_service("scheduler", name)
        return self.start_service(name)

    def start_compute(self, compute: ComputeHost) -> ServiceProcess:
        config = self.config_for(
            compute.host,
            {
                "compute": {
                    "driver": compute.driver,
                    "cpu_allocation_ratio": compute.cpu_allocation_ratio,
                    "ram_allocation_ratio": compute.ram_allocation_ratio,
                    "task_timeout": compute.task_timeout,
                    "driver_options": dict(compute.options),
                }
            },
        )
        return self._process(compute.host, "compute", config).start()

    def start_api(self) -> ServiceProcess:
        config = self.config_for(
            "api",
            {
                "database_url": self.database_url,
                "api": {
                    "listen": "127.0.0.1:0",
                    "threads": 8,
                    **self._api_auth(),
                },
            },
        )
        return self._process("api", "api", config).start()

    def start(self) -> Deployment:
        """Schema, then every service; on failure stop what started."""
        deploy_schema(self.workdir / "etc", self.database_url)
        try:
            self.start_control_plane()
            for compute in self.computes:
                self.start_compute(compute)
            self.start_api()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> dict[str, int | None]:
        """SIGTERM every service, newest first; their exit codes."""
        codes = {}
        for name in reversed(list(self.processes)):
            codes[name] = self.processes[name].stop()
        return codes

    def logs(self, lines: int = 20) -> str:
        return "\n".join(
            f"--- {name} ---\n{proc.tail(lines)}"
            for name, proc in self.processes.items()
        )

    @contextlib.contextmanager
    def running(self) -> Iterator[Deployment]:
        self.start()
        try:
            yield self
        finally:
            self.stop()
