"""Which database the heavy reads use: the streaming replica while it is close behind the primary, else the primary.

Reports, dashboards and exports ask `reporting_alias()` (or run through `on_reporting_db`) and pass the answer to
`.using()` or `connections[...]`; every other read and every write stays on "default", so a caseworker always reads
what they have just written. Nothing here raises: a replica that is missing, stopped or too far behind only sends the
reads back to the primary, with a warning in the log once per check.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

PRIMARY, REPLICA = "default", "replica"
T = TypeVar("T")

# On an idle primary nothing is replayed, so the last replayed transaction grows old while nothing is behind: a
# replica that has replayed all it received counts as caught up. NULL (nothing replayed yet while WAL waits) is not.
LAG_SQL = """
    SELECT pg_is_in_recovery(),
           CASE WHEN NOT pg_is_in_recovery() THEN 0
                WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END
"""


@dataclass(frozen=True)
class ReplicaState:
    checked_at: float
    lag_seconds: float | None = None
    in_recovery: bool | None = None
    error: str = ""

    @property
    def fresh(self) -> bool:
        return (not self.error and self.lag_seconds is not None
                and self.lag_seconds <= settings.AVR_REPLICA_MAX_LAG_SECONDS)


_state: ReplicaState | None = None
_lock = threading.Lock()


def replica_configured() -> bool:
    return REPLICA in connections.settings


def replica_state_forget() -> None:
    """The next question measures again (tests; a deploy that repoints the replica)."""
    global _state
    _state = None


def replica_lag_measure() -> ReplicaState:
    """Ask the replica how far behind it is; a failure is a state, never an exception."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except Exception as exc:  # the guard must fall back, whatever the driver raises
        replica_connection_drop()
        logger.warning("read replica unreachable (%s); reports, dashboards and exports read from the primary",
                       exc.__class__.__name__)
        return ReplicaState(time.monotonic(), error=exc.__class__.__name__)
    state = ReplicaState(time.monotonic(), None if lag is None else float(lag), in_recovery)
    if not state.fresh:
        logger.warning("read replica %s behind (limit %s s); reports, dashboards and exports read from the primary",
                       "an unknown time" if lag is None else f"{float(lag):.1f} s",
                       settings.AVR_REPLICA_MAX_LAG_SECONDS)
    return state


def replica_state() -> ReplicaState | None:
    """The replica's last measured state, measured again once it is older than AVR_REPLICA_CHECK_SECONDS."""
    global _state
    if not replica_configured():
        return None
    with _lock:  # one measurement at a time; the others wait for its answer
        if _state is None or time.monotonic() - _state.checked_at >= settings.AVR_REPLICA_CHECK_SECONDS:
            _state = replica_lag_measure()
        return _state


def replica_connection_drop() -> None:
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass  # a connection to a server that went away may fail to close; it is dropped all the same


def replica_down(exc: Exception) -> None:
    """The replica failed under a read: trust it again only after the next measurement."""
    global _state
    replica_connection_drop()
    logger.warning("read replica failed (%s); reads go to the primary until it is measured again",
                   exc.__class__.__name__)
    with _lock:
        _state = ReplicaState(time.monotonic(), error=exc.__class__.__name__)


def reporting_alias() -> str:
    """The replica's alias when one is configured, answers and is at most AVR_REPLICA_MAX_LAG_SECONDS behind;
    else the primary's."""
    state = replica_state()
    if state is None or not state.fresh:
        return PRIMARY
    try:
        # Within the check interval the server may have gone: the connection's health check notices it here.
        connections[REPLICA].ensure_connection()
    except Exception as exc:
        replica_down(exc)
        return PRIMARY
    return REPLICA


def on_reporting_db(read: Callable[[str], T]) -> T:
    """`read(alias)` on the reporting alias; if the replica fails during the read, the read runs again on the
    primary. `read` must only read (it may run twice)."""
    alias = reporting_alias()
    if alias == PRIMARY:
        return read(PRIMARY)
    try:
        return read(alias)
    except (OperationalError, InterfaceError) as exc:  # the server went, or cancelled a read replay needed

        replica_down(exc)
        return read(PRIMARY)


def replica_health() -> dict | None:
    """For /health: whether the replica is used, and how far behind it was at the last measurement."""
    state = replica_state()
    if state is None:
        return None
    body = {"ok": state.fresh, "lag_seconds": None if state.lag_seconds is None else round(state.lag_seconds, 1),
            "max_lag_seconds": settings.AVR_REPLICA_MAX_LAG_SECONDS, "in_recovery": state.in_recovery,
            "reads_from": REPLICA if state.fresh else PRIMARY}
    if state.error:
        body["error"] = state.error
    return body
