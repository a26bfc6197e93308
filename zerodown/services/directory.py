"""Register, heartbeat and list services; the minimum live version.

::

    directory = ServiceDirectory(engine, HISTORY, down_after=60)
    directory.register("host-1", "compute")     # refuses if too old
    directory.heartbeat("host-1", "compute")    # every few seconds
    directory.min_version("compute")            # oldest running compute

Times are naive UTC from this process's clock, as Nova's are: keep hosts'
clocks in sync (NTP) to within a fraction of ``down_after``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from zerodown.exceptions import DatabaseUnreachable
from zerodown.services.errors import ServiceTooOld
from zerodown.services.history import ServiceHistory
from zerodown.services.registry import SigningReport
from zerodown.services.schema import OPTIONAL_COLUMNS, SERVICES

__all__ = ["ServiceDirectory", "ServiceRecord", "utcnow"]

LOG = logging.getLogger(__name__)
Clock = Callable[[], datetime.datetime]


def utcnow() -> datetime.datetime:
    """Naive UTC now (what the table stores)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.replace(tzinfo=None)


@dataclasses.dataclass(frozen=True)
class ServiceRecord:
    """One row of the services table."""

    host: str
    binary: str
    version: int
    supports_from: int
    last_seen_up: datetime.datetime | None
    forced_down: bool
    stopped_at: datetime.datetime | None
    #: The last :class:`SigningReport`, if the service sent one.
    signing: SigningReport | None = None

    @property
    def running(self) -> bool:
        """Neither stopped nor forced down: perhaps not heartbeating, but
        perhaps still consuming messages."""
        return not self.forced_down and self.stopped_at is None

    def is_up(self, now: datetime.datetime, down_after: float) -> bool:
        """Heartbeat within ``down_after`` seconds, not forced down, not
        stopped."""
        if self.forced_down or self.stopped_at is not None:
            return False
        if self.last_seen_up is None:
            return False
        return (now - self.last_seen_up).total_seconds() <= down_after

    @property
    def name(self) -> str:
        return f"{self.binary} on {self.host}"


class ServiceDirectory:
    """The services of one deployment, in its database.

    :param down_after: seconds without a heartbeat after which a service
        no longer counts as live (Nova's ``service_down_time``).
    """

    def __init__(
        self,
        engine: sa.Engine,
        history: ServiceHistory,
        *,
        down_after: float = 60.0,
        clock: Clock = utcnow,
    ) -> None:
        self.engine, self.history = engine, history
        self.down_after, self.clock = down_after, clock
        self._columns: list[sa.Column[Any]] | None = None

    # -- writing ------------------------------------------------------------

    def register(
        self,
        host: str,
        binary: str,
        version: int | None = None,
        *,
        check: bool = True,
        supports_from: int | None = None,
    ) -> ServiceRecord:
        """Record ``binary`` on ``host`` as started at ``version``
        (default: the history's current one).

        ``supports_from`` is the oldest version the service's release
        still talks to (default: this history's); a service registering
        through another one passes its own.

        :raises ServiceTooOld: with ``check``, if a live service is older
            than this release supports, or this service is older than a
            live one supports.
        """
        version = self.history.current if version is None else version
        if supports_from is None:
            supports_from = self.history.oldest_supported
        now = self.clock()
        with self._begin() as conn:
            if check:
                others = [
                    s
                    for s in self._select(conn, None)
                    if s.is_up(now, self.down_after)
                    and (s.host, s.binary) != (host, binary)
                ]
                _check_fits(host, binary, version, supports_from, others)
            values = {
                "version": version,
                "supports_from": supports_from,
                "last_seen_up": now,
                "forced_down": False,
                "stopped_at": None,
                "updated_at": now,
            }
            updated = conn.execute(
                SERVICES.update()
                .where(SERVICES.c.host == host, SERVICES.c.binary == binary)
                .values(**values)
            ).rowcount
            if not updated:
                conn.execute(
                    SERVICES.insert().values(
                        host=host, binary=binary, created_at=now, **values
                    )
                )
        LOG.info("registered %s on %s at version %s", binary, host, version)
        return self.get(host, binary)

    def heartbeat(
        self, host: str, binary: str, signing: SigningReport | None = None
    ) -> bool:
        """Record that the service is up (and what it says of message
        signing); ``False`` if it has no row (it must register again)."""
        now = self.clock()
        values: dict[str, object] = {
            "last_seen_up": now,
            "updated_at": now,
            "stopped_at": None,
        }
        with self._begin() as conn:
            if signing is not None and self._has_signing(conn):
                values.update(
                    rpc_signing=signing.mode[:16],
                    rpc_unsigned=signing.unsigned,
                    rpc_refused=signing.refused,
                )
            found = conn.execute(
                SERVICES.update()
                .where(SERVICES.c.host == host, SERVICES.c.binary == binary)
                .values(**values)
            ).rowcount
        return bool(found)

    def stop(self, host: str, binary: str) -> None:
        """Record a clean stop: the service no longer counts as live."""
        self._update(host, binary, stopped_at=self.clock())

    def force_down(self, host: str, binary: str, down: bool = True) -> None:
        """Mark a service down (or up again) whatever its heartbeat says."""
        self._update(host, binary, forced_down=down)

    def _update(self, host: str, binary: str, **values: object) -> None:
        with self._begin() as conn:
            conn.execute(
                SERVICES.update()
                .where(SERVICES.c.host == host, SERVICES.c.binary == binary)
                .values(updated_at=self.clock(), **values)
            )

    # -- reading ------------------------------------------------------------

    def get(self, host: str, binary: str) -> ServiceRecord:
        """The row of ``binary`` on ``host``.

        :raises LookupError: if there is none.
        """
        with self._connect() as conn:
            row = conn.execute(
                sa.select(*self._present(conn)).where(
                    SERVICES.c.host == host, SERVICES.c.binary == binary
                )
            ).first()
        if row is None:
            raise LookupError(f"no service {binary} on {host}")
        return _record(row)

    def services(self, binary: str | None = None) -> list[ServiceRecord]:
        """Every registered service (of ``binary``), live or not."""
        with self._connect() as conn:
            return self._select(conn, binary)

    def live(self, binary: str | None = None) -> list[ServiceRecord]:
        """The live services (of ``binary``)."""
        now = self.clock()
        return [
            s for s in self.services(binary) if s.is_up(now, self.down_after)
        ]

    def running(self, binary: str | None = None) -> list[ServiceRecord]:
        """The services (of ``binary``) that have neither stopped nor been
        forced down, heartbeating or not.

        A service whose heartbeats stopped may still be running and
        consuming messages (its database or broker link broke, not the
        process), so it still bounds what may be sent; an operator who
        knows it is gone forces it down.
        """
        return [s for s in self.services(binary) if s.running]

    def min_version(self, binary: str | None = None) -> int | None:
        """The oldest version among running services (of ``binary``):
        what a feature that every one of them must know waits for."""
        versions = [s.version for s in self.running(binary)]
        return min(versions) if versions else None

    def _select(
        self, conn: sa.Connection, binary: str | None
    ) -> list[ServiceRecord]:
        query = sa.select(*self._present(conn)).order_by(
            SERVICES.c.binary, SERVICES.c.host
        )
        if binary is not None:
            query = query.where(SERVICES.c.binary == binary)
        return [_record(row) for row in conn.execute(query)]

    def _present(self, conn: sa.Connection) -> list[sa.Column[Any]]:
        """The table's columns this database has (a table made by an
        older zerodown lacks the optional ones)."""
        if self._columns is None:
            names = {
                c["name"] for c in sa.inspect(conn).get_columns(SERVICES.name)
            }
            self._columns = [
                c
                for c in SERVICES.columns
                if c.name in names or c.name not in OPTIONAL_COLUMNS
            ]
        return self._columns

    def _has_signing(self, conn: sa.Connection) -> bool:
        return any(c.name == "rpc_signing" for c in self._present(conn))

    def _connect(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except OperationalError as err:
            raise self._unreachable(err) from err

    @contextlib.contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        with self._connect() as conn, conn.begin():
            yield conn

    def _unreachable(self, err: Exception) -> DatabaseUnreachable:
        url = self.engine.url.render_as_string(hide_password=True)
        return DatabaseUnreachable(url=url, reason=str(err).splitlines()[0])


def _record(row: sa.Row[object]) -> ServiceRecord:
    m = row._mapping
    return ServiceRecord(
        host=m["host"],
        binary=m["binary"],
        version=int(m["version"]),
        supports_from=int(m["supports_from"]),
        last_seen_up=m["last_seen_up"],
        forced_down=bool(m["forced_down"]),
        stopped_at=m["stopped_at"],
        signing=_signing(m),
    )


def _signing(m: Any) -> SigningReport | None:
    mode = m.get("rpc_signing")
    if mode is None:
        return None
    return SigningReport(
        mode=str(mode),
        unsigned=int(m.get("rpc_unsigned") or 0),
        refused=int(m.get("rpc_refused") or 0),
    )


def _check_fits(
    host: str,
    binary: str,
    version: int,
    supports_from: int,
    others: Sequence[ServiceRecord],
) -> None:
    for other in others:
        if other.version < supports_from:
            raise ServiceTooOld(
                binary=binary,
                host=host,
                version=version,
                reason=f"the live {other.name} runs service version "
                f"{other.version}, older than the oldest this release "
                f"supports ({supports_from}); upgrade it first",
            )
        if version < other.supports_from:
            raise ServiceTooOld(
                binary=binary,
                host=host,
                version=version,
                reason=f"the live {other.name} (version {other.version}) "
                f"supports services from version {other.supports_from} "
                "on; upgrade this one",
            )
