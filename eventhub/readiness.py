"""Readiness for load balancers: does the database answer, and quickly?

``/healthz`` says the process is alive and never touches the database (a stable contract);
``/readyz`` says this instance can serve pages now. The database is asked for one trivial
read, bounded twice: by the database itself (a statement timeout on PostgreSQL, a busy
timeout on SQLite) and by waiting at most that long for the answer, because connecting to
an unreachable host is not bounded by either.
"""

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from sqlalchemy.engine import Engine

# One probe at a time per process: while one hangs on a dead host, later probes answer at
# once instead of piling up threads and connections.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
_lock = threading.Lock()
_in_flight: dict[int, Future] = {}


def _probe(engine: Engine, timeout: float) -> None:
    milliseconds = max(1, int(timeout * 1000))
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # SET LOCAL: only for this transaction, so the pooled connection keeps its default.
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")
            connection.exec_driver_sql("SELECT 1")
        elif engine.dialect.name == "sqlite":
            previous = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {milliseconds}")
            try:
                # Reading the schema needs the shared lock that an exclusive holder denies.
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous)}")
        else:
            connection.exec_driver_sql("SELECT 1")
        connection.rollback()


def database_problem(engine: Engine, timeout: float) -> str | None:
    """None when the database answered within ``timeout`` seconds; else a short reason."""
    key = id(engine)
    with _lock:
        running = _in_flight.get(key)
        if running is not None and not running.done():
            return "database did not answer (an earlier check is still waiting)"
        future = _in_flight[key] = _executor.submit(_probe, engine, timeout)
    try:
        future.result(timeout=timeout)
    except FutureTimeout:
        return f"database did not answer within {timeout:g} s"
    except Exception as error:  # any failure to answer means not ready; say which kind
        return f"database unavailable ({type(error).__name__})"
    return None
