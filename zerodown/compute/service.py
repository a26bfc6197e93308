"""Run one service of the compute stack as a process.

``zerodown compute run api|conductor|scheduler|compute --config FILE``
builds the service from its configuration, joins the deployment (the
services table, directly or through the conductor for computes), serves
until SIGTERM or SIGINT, then leaves it cleanly: it stops consuming,
records its stop and announces it so the others' version caps move at
once.  It prints ``READY <binary> <host>`` on stdout once it serves.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

import zerodown.compute.errors  # noqa: F401 - remote errors by class
from zerodown.compute.conf import ComputeConfig
from zerodown.compute.db.engine import make_engine
from zerodown.compute.objects import REGISTRY
from zerodown.compute.pci_alias import PciAlias, parse_aliases
from zerodown.compute.rpcapi import ComputeAPI, ConductorAPI, SchedulerAPI
from zerodown.compute.version import HISTORY
from zerodown.exceptions import ConfigError
from zerodown.objects import ObjectSerializer
from zerodown.rpc import (
    FileReplayStore,
    ObjectIndirectionAPI,
    ObjectIndirectionEndpoint,
    Protocol,
    RequestContext,
    RPCServer,
    ServiceLifecycle,
    SigningMode,
    SqlReplayStore,
    Target,
    Transport,
    get_transport,
)
from zerodown.rpc.errors import MessagingTimeout
from zerodown.services import ServiceDirectory

if TYPE_CHECKING:
    from zerodown.compute.db.api import ComputeDB

__all__ = ["BINARIES", "run"]

LOG = logging.getLogger(__name__)

BINARIES = ("api", "conductor", "scheduler", "compute")


class _Parts:
    """What every service builds from its configuration."""

    def __init__(self, config: ComputeConfig) -> None:
        self.config = config
        self.signing = config.signing()
        self.protocol = Protocol(
            self.signing, max_size=config.rpc_max_message_size
        )
        self.transport: Transport = get_transport(config.transport_url)
        self.serializer = ObjectSerializer(REGISTRY)
        self.aliases: dict[str, PciAlias] = parse_aliases(
            list(config.pci_aliases)
        )
        self._engine: sa.Engine | None = None
        self._stores: list[FileReplayStore] = []
        self._shared: list[SqlReplayStore] = []

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = make_engine(self.config.require_database())
        return self._engine

    def db(self) -> ComputeDB:
        from zerodown.compute.db.api import ComputeDB

        return ComputeDB(self.engine)

    def directory(self) -> ServiceDirectory:
        return ServiceDirectory(
            self.engine, HISTORY, down_after=self.config.service.down_after
        )

    def client(self, api: type[Any], directory: Any = None) -> Any:
        """An RPC client capped at the oldest running peer (with a
        directory), or uncapped (computes, which have none)."""
        return api(
            self.transport,
            version_cap="auto" if directory is not None else None,
            services=directory,
            serializer=self.serializer,
            protocol=self.protocol,
            topic=self.topic(api.TOPIC),
        )

    def topic(self, name: str) -> str:
        return self.config.topic_prefix + name

    def server(
        self, topic: str, endpoints: list[Any], shared: bool = False
    ) -> RPCServer:
        """A server of ``topic``; ``shared``: its servers share the
        deployment's database, and the ids of what they take from the
        topic's queue (so a message runs on one of them, once)."""
        target = Target(topic=self.topic(topic), server=self.config.host)
        replays = self.replay_store(target)
        return RPCServer(
            self.transport,
            target,
            endpoints,
            serializer=self.serializer,
            protocol=self.protocol,
            replays=replays,
            shared_replays=(self._shared_store(replays) if shared else None),
        )

    def _shared_store(self, fallback: FileReplayStore) -> SqlReplayStore:
        store = SqlReplayStore(self.engine, fallback=fallback)
        self._shared.append(store)
        return store

    def replay_store(self, target: Target) -> FileReplayStore:
        """The ids this server took, in a file of its own: a message
        captured on the broker cannot run again after a restart."""
        name = f"replay-{target.destination}.db"
        store = FileReplayStore(Path(self.config.state_path) / name)
        self._stores.append(store)
        return store

    def close(self) -> None:
        for shared in self._shared:  # finish marks, before the engine goes
            shared.close()
        if self._engine is not None:
            self._engine.dispose()
        self.transport.close()
        for store in self._stores:
            store.close()


def run(
    binary: str,
    config: ComputeConfig,
    *,
    stop: threading.Event | None = None,
    ready: Callable[[str], None] | None = None,
) -> int:
    """Serve ``binary`` until ``stop`` is set (or a signal arrives)."""
    if binary not in BINARIES:
        raise ConfigError(
            problem=f"unknown service {binary!r}; one of {', '.join(BINARIES)}"
        )
    stop = stop or threading.Event()
    _on_signals(stop)
    parts = _Parts(config)
    if parts.signing.mode is SigningMode.OFF:
        LOG.warning(
            '%s on %s runs WITHOUT MESSAGE SIGNING (rpc_signing = "off"): '
            "anyone who can publish to the broker can call this service",
            binary,
            config.host,
        )
    try:
        with _SERVICES[binary](parts) as detail:
            # What start-up built lives as long as the process: out of
            # the collector's way, a full collection walks only what came
            # after (else ~100,000 objects, 30 ms idle and more under
            # load, in the middle of a request).
            gc.collect()
            gc.freeze()
            message = f"READY {binary} {config.host}{detail}"
            (ready or _print)(message)
            stop.wait()
            LOG.info("%s on %s stopping", binary, config.host)
    finally:
        gc.unfreeze()  # a test that ran the service in its own process
        parts.close()
    return 0


def _print(message: str) -> None:
    print(message, flush=True)


def _on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())


#: Seconds a stopping service waits for a periodic task in progress (it
#: may be waiting for a service that is gone: it is a daemon thread).
_PERIODIC_STOP_WAIT = 2.0

#: Seconds a stopping compute lets its work in progress wait for the
#: conductor; then its calls end at once (the conductor may be gone, and
#: a stop must not wait for the RPC timeout).  What they left undone is
#: put right by the next start (``init_host``).
_COMPUTE_STOP_GRACE = 3.0


@contextlib.contextmanager
def _periodic(
    name: str, interval: float, task: Callable[[], object]
) -> Iterator[None]:
    """Run ``task`` every ``interval`` seconds while the block runs."""
    done = threading.Event()

    def loop() -> None:
        while not done.wait(interval):
            try:
                task()
            except Exception:  # a periodic task must not die
                LOG.exception("periodic task %s failed", name)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(_PERIODIC_STOP_WAIT)


@contextlib.contextmanager
def _conductor(parts: _Parts) -> Iterator[str]:
    from zerodown.compute.conductor.manager import ConductorManager

    directory = parts.directory()
    scheduler = parts.client(SchedulerAPI, directory)
    compute = parts.client(ComputeAPI, directory)
    manager = ConductorManager(
        parts.db(),
        directory,
        scheduler,
        compute,
        max_attempts=parts.config.scheduler.max_attempts,
    )
    server = parts.server(
        "conductor",
        [manager, ObjectIndirectionEndpoint(REGISTRY)],
        shared=True,
    )
    service = parts.config.service
    with (
        _lifecycle(parts, directory, "conductor", server),
        _periodic(
            "expire-stuck-builds",
            service.report_interval,
            lambda: manager.expire_stuck_builds(service.build_timeout),
        ),
    ):
        yield ""
    scheduler.close()
    compute.close()


@contextlib.contextmanager
def _scheduler(parts: _Parts) -> Iterator[str]:
    from zerodown.compute.scheduler.manager import SchedulerManager

    directory = parts.directory()
    manager = SchedulerManager(
        parts.db(),
        directory,
        parts.aliases,
        host_subset_size=parts.config.scheduler.host_subset_size,
    )
    server = parts.server("scheduler", [manager], shared=True)
    with _lifecycle(parts, directory, "scheduler", server):
        yield ""


@contextlib.contextmanager
def _compute(parts: _Parts) -> Iterator[str]:
    from zerodown.compute.agent.manager import ComputeManager
    from zerodown.compute.agent.registry import ConductorServiceRegistry
    from zerodown.compute.agent.resource_tracker import ResourceTracker
    from zerodown.compute.virt import load_driver

    config = parts.config
    conductor = parts.client(ConductorAPI)
    # Objects too new for this release are backported by the conductor.
    REGISTRY.indirection_api = ObjectIndirectionAPI(
        parts.transport,
        topic=parts.topic("conductor"),
        serializer=parts.serializer,
        protocol=parts.protocol,
    )
    driver = load_driver(config.compute.driver, config.compute.driver_options)
    tracker = ResourceTracker(
        config.host, driver, conductor, config.compute, parts.aliases
    )
    manager = ComputeManager(
        config.host,
        driver,
        conductor,
        tracker,
        shutdown_timeout=config.compute.shutdown_timeout,
        task_timeout=config.compute.task_timeout,
    )
    _wait_for_conductor(conductor, config.host)
    manager.init_host()
    server = parts.server("compute", [manager])
    registry = ConductorServiceRegistry(conductor, HISTORY)
    grace = threading.Timer(_COMPUTE_STOP_GRACE, conductor.close)
    grace.daemon = True
    try:
        with (
            _lifecycle(parts, registry, "compute", server),
            _periodic(
                "resource-report",
                config.service.report_interval,
                lambda: tracker.update_available_resource(RequestContext()),
            ),
            _periodic(
                "stale-tasks",
                # a quarter of the timeout (or report_interval, if longer)
                max(config.service.report_interval, manager.task_timeout / 4),
                manager.finish_stale,
            ),
        ):
            try:
                yield ""
            finally:
                grace.start()  # stopping: the servers drain meanwhile
    finally:
        grace.cancel()
        driver.cleanup_host()
        conductor.close()


def _wait_for_conductor(
    conductor: ConductorAPI, host: str, timeout: float = 120.0
) -> None:
    """Computes start before or after the conductor; wait for it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conductor.instances_on_host(RequestContext(), host)
            return
        except MessagingTimeout:
            if time.monotonic() > deadline:
                raise
            LOG.warning("waiting for the conductor")


@contextlib.contextmanager
def _api(parts: _Parts) -> Iterator[str]:
    from zerodown.compute.api import auth, make_app, make_server

    # First: an API that cannot tell who asks must not start at all.
    authenticator = auth.from_config(parts.config.api)
    directory = parts.directory()
    conductor: ConductorAPI = parts.client(ConductorAPI, directory)
    compute: ComputeAPI = parts.client(ComputeAPI, directory)
    app = make_app(
        db=parts.db(),
        conductor=conductor,
        compute=compute,
        services=directory,
        pci_aliases=parts.aliases,
        auth=authenticator,
    )
    server = make_server(
        app, parts.config.api.listen, threads=parts.config.api.threads
    )
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    with _lifecycle(parts, directory, "api"):
        thread.start()
        try:
            yield f" http://{_address(parts.config.api.listen, server)}"
        finally:
            server.close()
            thread.join(10)
    conductor.close()
    compute.close()


def _address(listen: str, server: Any) -> str:
    host = listen.rpartition(":")[0] or "127.0.0.1"
    return f"{host}:{server.port}"


@contextlib.contextmanager
def _lifecycle(
    parts: _Parts, registry: Any, binary: str, *servers: RPCServer
) -> Iterator[None]:
    lifecycle = ServiceLifecycle(
        registry,
        parts.transport,
        parts.config.host,
        binary,
        servers=servers,
        heartbeat_interval=parts.config.service.heartbeat_interval,
        signing=parts.signing,
    )
    with lifecycle:
        yield


_SERVICES: dict[str, Callable[[_Parts], Any]] = {
    "api": _api,
    "conductor": _conductor,
    "scheduler": _scheduler,
    "compute": _compute,
}


if __name__ == "__main__":  # pragma: no cover - for debugging
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
