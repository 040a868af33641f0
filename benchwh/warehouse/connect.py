"""Open the warehouse: DuckDB file, in-memory, or DuckLake (``benchwh.warehouse.lake``).

A DuckDB file admits one read-write process; a second process cannot even read while a writer
holds it. So connections are short-lived, and a lock conflict is waited out with a bounded
retry and then reported (never answered with a new database file).
"""

from __future__ import annotations

import os
import random
import re
import time
from contextlib import contextmanager
from typing import Any, Iterator

import duckdb

from benchwh.errors import LocationError, LockedError
from benchwh.warehouse.location import DUCKLAKE, FILE, MEMORY, Location

ENV_LOCK_TIMEOUT = "BENCHWH_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT_S = 30.0
_MAGIC_OFFSET, _MAGIC = 8, b"DUCK"


def lock_timeout_s(value: float | None = None) -> float:
    if value is not None:
        return value
    env = os.environ.get(ENV_LOCK_TIMEOUT)
    if env:
        try:
            return float(env)
        except ValueError:
            raise LocationError(f"{ENV_LOCK_TIMEOUT}={env!r} is not a number of seconds") from None
    return DEFAULT_LOCK_TIMEOUT_S


def check_file(loc: Location, must_exist: bool) -> None:
    """Refuse paths that are not DuckDB files before DuckDB sees them."""
    path = loc.path
    assert path is not None
    if not path.exists():
        if must_exist:
            raise LocationError(f"no warehouse at {path}", remedy="migrate-to-create", db=path,
                                hint=": migrate it to create one (Warehouse.migrate)")
        if not path.parent.is_dir():
            raise LocationError(f"cannot create warehouse {path}: folder {path.parent} does not exist")
        return
    if path.is_dir():
        raise LocationError(f"{path} is a folder, not a DuckDB file")
    with open(path, "rb") as fh:
        head = fh.read(_MAGIC_OFFSET + len(_MAGIC))
    if len(head) < _MAGIC_OFFSET + len(_MAGIC) or head[_MAGIC_OFFSET:] != _MAGIC:
        raise LocationError(f"{path} is not a DuckDB file (no DuckDB header)", remedy="db-not-duckdb",
                            hint="; give the location of a benchwh warehouse")


def _is_lock_error(exc: BaseException) -> bool:
    return "Could not set lock" in str(exc) or "Conflicting lock" in str(exc)


def lock_cause(exc: BaseException) -> BaseException | None:
    """DuckDB's lock-conflict error behind ``exc``: itself, or the one a wrapper holds (SQLAlchemy
    puts the driver's exception in ``.orig``; others chain it as ``__cause__``)."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, (duckdb.IOException, duckdb.ConnectionException)) and _is_lock_error(exc):
            return exc
        exc = getattr(exc, "orig", None) or exc.__cause__
        seen += 1
    return None


def _lock_holder(exc: Exception) -> str:
    m = re.search(r"\(PID (\d+)\)", str(exc))
    return f" (PID {m.group(1)})" if m else ""


def with_backoff(call, *, transient, give_up, timeout_s: float, first_delay_s: float, max_delay_s: float,
                 on_failure=None, on_wait=None):
    """The one retry loop: call ``call`` until it returns, or raise.

    ``transient(exc)`` says whether a failure is worth another try (the exception to report,
    or None to re-raise ``exc`` as it is); ``on_failure(exc)`` runs after every failure first
    (a rollback). Sleeps double from ``first_delay_s`` to ``max_delay_s`` with jitter; past
    ``timeout_s``, ``give_up(last transient, failures)`` is raised. ``on_wait(timeout_s)`` is
    told once, before the first wait."""
    deadline = time.monotonic() + timeout_s
    delay, failures = first_delay_s, 0
    while True:
        try:
            return call()
        except BaseException as e:
            if on_failure is not None:
                on_failure(e)
            cause = transient(e) if isinstance(e, Exception) else None
            if cause is None:
                raise
            failures += 1
            now = time.monotonic()
            if now >= deadline:
                raise give_up(cause, failures) from None
            if on_wait is not None and failures == 1:
                on_wait(timeout_s)
            time.sleep(min(delay * (0.5 + random.random()), max(0.0, deadline - now)))
            delay = min(delay * 2, max_delay_s)


def retry_locked(open_fn, what: str, timeout_s: float | None = None, on_wait=None):
    """Call ``open_fn`` until it stops failing with a lock conflict or ``timeout_s`` passes.
    Backoff doubles from 20 ms to 1 s with jitter; ``on_wait(seconds_waited)`` is told once."""
    timeout = lock_timeout_s(timeout_s)

    def give_up(e: BaseException, _failures: int) -> LockedError:
        return LockedError(f"{what} is locked by another process{_lock_holder(e)}; waited {timeout:g}s "
                           f"(set {ENV_LOCK_TIMEOUT} to wait longer)")

    return with_backoff(open_fn, transient=lock_cause, give_up=give_up, timeout_s=timeout,
                        first_delay_s=0.02, max_delay_s=1.0, on_wait=on_wait)


def _connect_file(loc: Location, read_only: bool, create: bool, timeout_s: float | None) -> duckdb.DuckDBPyConnection:
    check_file(loc, must_exist=not create)
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

    def attempt():
        con = duckdb.connect(str(loc.path), read_only=read_only, config=config)
        # no progress bar: DuckDB draws it on stdout for a statement past 2 s, into `--json` output
        con.execute("SET enable_progress_bar = false")
        return con

    try:
        return retry_locked(attempt, str(loc.path), timeout_s)
    except duckdb.Error as e:
        if isinstance(e, duckdb.IOException) and ("read enough bytes" in str(e) or "corrupt" in str(e).lower()):
            raise damaged(loc, e) from None
        raise LocationError(f"cannot open {loc.path}: {e}") from None


def exists(loc: Location) -> bool:
    """Whether the warehouse has been created (a DuckDB file on disk, a DuckLake catalog)."""
    if loc.backend == FILE:
        return loc.path is not None and loc.path.exists()
    if loc.backend == DUCKLAKE:
        from benchwh.warehouse import lake

        return lake.exists(loc)
    return True


def raw_connect(loc: Location, read_only: bool = False, create: bool = False,
                timeout_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the warehouse as the default catalog. No revision check."""
    if loc.backend == FILE:
        return _connect_file(loc, read_only, create, timeout_s)
    if loc.backend == MEMORY:
        return duckdb.connect(":memory:")
    if loc.backend == DUCKLAKE:
        from benchwh.warehouse import lake

        return lake.connect(loc, read_only=read_only, create=create, timeout_s=timeout_s)
    raise LocationError(f"unknown backend for {loc}")


def damaged(loc: Location, exc: BaseException) -> LocationError:
    """The one-line error for a warehouse whose file cannot be read to the end."""
    text = " ".join(str(exc).split())
    return LocationError(f"{loc} cannot be read ({text}): the file is damaged or truncated; restore it "
                         f"from a copy or a migrate backup (`{loc}.*.bak`)")


@contextmanager
def damage_reported(loc: Location) -> Iterator[None]:
    """Turn a DuckDB error raised inside the block into :func:`damaged`'s one line (for whole
    reads such as ``status`` and ``check``, where any such error means the file is unreadable)."""
    try:
        yield
    except duckdb.Error as e:
        raise damaged(loc, e) from None


@contextmanager
def connection(loc: Location, read_only: bool = False, create: bool = False,
               timeout_s: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = raw_connect(loc, read_only=read_only, create=create, timeout_s=timeout_s)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def pandas_hidden() -> Iterator[None]:
    """While pandas is not loaded, make it look not installed: DuckDB's Python client imports
    it (a second at startup) to check whether a parameter or a registered object is a pandas
    one, and none can be. A process that has loaded pandas is not touched, nor one running
    other threads (``benchwh serve``): for them the module table must not change under their
    feet, and they pay the import once. Entered before a process starts threads of its own
    that never import pandas (an import's worker pool), it holds for all of the block."""
    import sys
    import threading

    finder = hide_pandas() if threading.active_count() == 1 else None
    try:
        yield
    finally:
        if finder is not None:
            sys.meta_path.remove(finder)


def hide_pandas() -> "NoPandas | None":
    """Make pandas look not installed in this process from now on, unless it is loaded or
    already hidden; returns the finder it put in ``sys.meta_path`` (None when it did nothing)."""
    import sys

    if "pandas" in sys.modules or any(isinstance(f, NoPandas) for f in sys.meta_path):
        return None
    finder = NoPandas()
    sys.meta_path.insert(0, finder)
    return finder


class NoPandas:
    """An import finder that answers "not installed" for pandas. (A None left in sys.modules
    would not do: pyarrow's Cython shim takes it for the module itself.) Once it is removed,
    pandas imports again, and pyarrow and DuckDB find it (checked by a test)."""

    def find_spec(self, name: str, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while benchwh works)", name=name)
        return None


def execute(con, sql: str, params: Any = None):
    """``con.execute(sql, params)`` without the pandas import DuckDB's Python client makes to
    convert any parameter (see ``pandas_hidden``)."""
    if not params:
        return con.execute(sql)
    with pandas_hidden():
        return con.execute(sql, params)


def register(con, name: str, table: Any) -> None:
    """``con.register(name, table)`` for an Arrow table, without DuckDB importing pandas."""
    with pandas_hidden():
        con.register(name, table)
