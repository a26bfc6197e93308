"""Running an upgrade job, phase by phase.

base (the ``setup`` hook, then every service on old code) -> smoke ->
create (+ verify) -> expand (new code's migrations, then the upgrade check) ->
upgrade-control (the control services restarted on new code, one at a
time, while the ``roll`` services stay old) -> mixed (verify + smoke
against the mixed deployment) -> migrate -> roll (each ``roll`` service
restarted on new code, one by one) -> caps -> reconfigure (with a
``reconfigure`` hook: a setting switched through the fleet, one service
at a time, each restarted after the hook rewrote its files) -> contract
-> final (verify + smoke) -> destroy.

Each phase is logged with its start and end; load runs through all of
them.  The services are a :class:`~zerodown.grenade.fleet.Fleet` (pid
files, restarts after a death; a death not made good fails its phase).
A phase that fails stops the job: every service's log tail is printed,
everything is stopped, and the exit code names the phase
(``10 + its index`` in :data:`~zerodown.grenade.phases.PHASES`).
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zerodown.exceptions import ZerodownError
from zerodown.grenade.errors import GrenadeError, JobFailed
from zerodown.grenade.fleet import Fleet
from zerodown.grenade.job import Job, Service
from zerodown.grenade.load import (
    LoadGenerator,
    http_operations,
    python_operations,
)
from zerodown.grenade.phases import PhaseClock, Span
from zerodown.grenade.releases import resolve
from zerodown.grenade.report import Summary, write_all
from zerodown.grenade.sides import Side, prepare_side, render
from zerodown.grenade.supervise import Running, start, variable_env

__all__ = ["Runner"]

LOG = logging.getLogger(__name__)


class Runner:
    def __init__(
        self,
        job: Job,
        repo: Path,
        workdir: Path,
        say: Callable[[str], None] = print,
    ) -> None:
        self.job, self.repo, self.workdir, self.say = job, repo, workdir, say
        self.clock = PhaseClock()
        self.sides: dict[str, Side] = {}
        self.load: LoadGenerator | None = None
        self.summary: Summary | None = None
        self._events = workdir / "phases.jsonl"
        self.fleet = Fleet(
            workdir,
            self._start,
            self._command,
            self._event,
            say,
            lambda: self.clock.current,
        )

    # -- the job --------------------------------------------------------------

    def run(self) -> Summary | None:
        """Run every phase; the load report when the job has load.

        :raises JobFailed: naming the phase; all services are stopped.
        """
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._phase("base", self._base)
            self._phase("smoke", lambda: self._hook("smoke", "old"))
            self._phase("create", self._create)
            self._phase("expand", self._expand)
            self._phase("upgrade-control", lambda: self._upgrade("control"))
            self._phase("mixed", lambda: self._check("new"))
            self._phase("migrate", lambda: self._hook("migrate", "new"))
            self._phase("roll", lambda: self._upgrade("roll"))
            self._phase("caps", self._caps)
            self._phase("reconfigure", self._reconfigure)
            self._phase("contract", lambda: self._hook("contract", "new"))
            self._phase("final", self._final)
            self._phase("destroy", lambda: self._hook("destroy", "new"))
        finally:
            self.fleet.closing()
            self.clock.stop()
            self._stop_load()
            self.fleet.close()
        return self.summary

    def _phase(self, name: str, body: Callable[[], None]) -> None:
        span = self.clock.start(name)
        self._event({"phase": name, "event": "start", "at": span.start})
        self.say(f"[{time.strftime('%H:%M:%S')}] phase {name}")
        try:
            body()
            self._hold(span)
            self.fleet.check()
        except (ZerodownError, OSError) as err:
            self._event(
                {
                    "phase": name,
                    "event": "failed",
                    "at": time.time(),
                    "reason": str(err),
                }
            )
            self.say(f"phase {name} FAILED: {err}")
            for service, running in self.fleet.running.items():
                self.say(
                    f"--- {service} ({running.side.name}) ---\n"
                    f"{running.tail()}"
                )
            raise JobFailed(phase=name, reason=str(err)) from err
        self._event({"phase": name, "event": "end", "at": time.time()})

    def _event(self, record: dict[str, Any]) -> None:
        with self._events.open("a") as out:
            out.write(json.dumps(record) + "\n")

    # -- phases ---------------------------------------------------------------

    def _side(self, name: str) -> Side:
        if name not in self.sides:
            ref = self.job.old if name == "old" else self.job.new
            commit = resolve(self.repo, ref)
            self.sides[name] = prepare_side(
                self.repo, name, commit, self.workdir, self.job.install
            )
        return self.sides[name]

    def _base(self) -> None:
        old = self._side("old")
        self._side("new")  # fail early if the new code cannot install
        self._hook("setup", "old")
        for service in self.job.services:
            self.fleet.start(service, old)
        # The load starts on the old release alone, and runs for
        # ``baseline`` seconds there: what every later phase is held to.
        self._start_load()
        time.sleep(float(self.job.load.get("baseline", 0.0)))

    def _create(self) -> None:
        self._hook("create", "old")
        self._hook("verify", "old")

    def _expand(self) -> None:
        self._hook("expand", "new")
        self._hook("upgrade_check", "new")
        self._hook("status", "new")

    def _caps(self) -> None:
        self._hook("caps", "new")
        self._hook("status", "new")

    def _reconfigure(self) -> None:
        """For each service but those never upgraded, one at a time: the
        ``reconfigure`` hook (``$GRENADE_SERVICE`` names the service) and
        a restart on the new side, then ``status``; ``reconfigured`` once
        all are done.  Nothing without a ``reconfigure`` hook."""
        if not self.job.hooks.get("reconfigure"):
            return
        new = self._side("new")
        for service in self.job.services:
            if service.upgrade == "none":
                continue
            self._hook("reconfigure", "new", {"GRENADE_SERVICE": service.name})
            self.fleet.replace(service, new)
            self._hook("status", "new")
        self._hook("reconfigured", "new")

    def _final(self) -> None:
        self._check("new")
        self._hook("upgrade_check", "new")
        self._hook("status", "new")

    def _check(self, side: str) -> None:
        self._hook("verify", side)
        self._hook("smoke", side)

    def _upgrade(self, kind: str) -> None:
        new = self._side("new")
        for service in self.job.services:
            if service.upgrade == kind:
                self.fleet.replace(service, new)

    def _variables(self, side: Side) -> dict[str, str]:
        """The job's ``[vars]``, their own placeholders filled in."""
        return {
            name: render(
                value, side, self.workdir, self.job.path.parent, quote=False
            )
            for name, value in self.job.variables.items()
        }

    def _start(self, service: Service, side: Side) -> Running:
        return start(
            service,
            side,
            self.workdir,
            self.job.path.parent,
            self._variables(side),
        )

    def _hook(
        self, hook: str, side_name: str, extra: dict[str, str] | None = None
    ) -> None:
        for template in self.job.hooks.get(hook, ()):
            self._command(hook, template, side_name, extra)

    def _command(
        self,
        name: str,
        template: str,
        side_name: str = "new",
        extra: dict[str, str] | None = None,
    ) -> None:
        """Run one hook command; its output goes to logs/hook-NAME.log.

        :raises GrenadeError: with the log's tail if it fails.
        """
        side = self._side(side_name)
        variables = self._variables(side)
        env = side.env(
            self.workdir,
            {
                **variable_env(variables),
                "GRENADE_PHASE": self.clock.current,
                **(extra or {}),
            },
        )
        command = render(
            template, side, self.workdir, self.job.path.parent, variables
        )
        log = self.workdir / "logs" / f"hook-{name}.log"
        with log.open("a") as out:
            out.write(f"\n--- {side_name}: {command}\n")
            out.flush()
            done = subprocess.run(
                command,
                shell=True,
                cwd=side.worktree,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if done.returncode:
            tail = "\n".join(log.read_text().splitlines()[-15:])
            raise GrenadeError(
                problem=f"hook {name} ({command}) exited with "
                f"{done.returncode}:\n{tail}"
            )

    # -- load -----------------------------------------------------------------

    def _hold(self, span: Span) -> None:
        """Keep the phase going, load running, until it holds
        ``[load] min_requests`` requests and has lasted ``[load] hold``'s
        seconds for it: a p99 needs samples, and a mixed deployment must
        serve for a while to show it works.

        :raises GrenadeError: the requests did not come within
            ``hold_timeout`` seconds after the phase's work and hold.
        """
        spec = self.job.load
        if self.load is None or not spec:
            return
        need = int(spec.get("min_requests", 0))
        until = span.start + float(spec.get("hold", {}).get(span.name, 0))
        if not need and until <= time.time():
            return
        timeout = float(spec.get("hold_timeout", 120))
        deadline = max(until, time.time()) + timeout
        held = self.load.hold(span.name, need, until, deadline)
        if held < need:
            raise GrenadeError(
                problem=f"phase {span.name} held {held} requests, not the "
                f"{need} of [load] min_requests, {timeout:g}s after its "
                "work was done: is the load stuck?"
            )

    def _start_load(self) -> None:
        spec = self.job.load
        if not spec:
            return
        operations = http_operations(str(spec["url"]), spec.get("mix", []))
        if spec.get("flows"):
            operations += python_operations(
                str(spec["flows"]),
                self.job.path.parent,
                str(spec["url"]),
                self.workdir,
            )
        self.load = LoadGenerator(
            operations,
            self.clock,
            self.workdir / "load.jsonl",
            workers=int(spec.get("workers", 2)),
            pause=float(spec.get("pause", 0.05)),
        ).start()

    def _stop_load(self) -> None:
        if self.load is None:
            return
        records = self.load.stop()
        self.summary = write_all(
            records,
            self.clock.spans,
            self.workdir / "report",
            # Everything before the upgrade starts: old code only.
            base=self.job.load.get("base_phases", ["base", "smoke", "create"]),
            p99_ratio_target=float(self.job.load.get("p99_ratio", 2.0)),
        )
