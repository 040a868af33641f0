"""DuckLake warehouses: a PostgreSQL (or local DuckDB-file) catalog plus Parquet data files.

Reads the extension wheels of the ``lake`` extra and the lake named by a Location; writes a
private DuckDB extension directory (once) and, through the connections it returns, the lake.

Connections: each is a fresh in-memory DuckDB with the ``ducklake`` (and for a PostgreSQL
catalog the ``postgres``) extension loaded from the wheels, the lake attached as ``lake`` and
made the default catalog, so every other module runs the same SQL on both backends.

Concurrent writers (machines): DuckLake on PostgreSQL lets appends to the same table commit side
by side, without conflict and without unique keys, so two writers that insert the same new id
both succeed. A DELETE, on the other hand, conflicts with any concurrent INSERT or DELETE on the
same table (measured with 1.5.5; see ``docs/many-machines.md``). ``commit_write`` therefore:

1. runs the caller's write in one transaction tagged with a commit token, retrying the whole
   transaction with jittered backoff when DuckLake reports a commit conflict;
2. after COMMIT, looks for ids that this commit inserted and that now occur more than once;
3. deletes every copy but the earliest committed (lowest ``rowid``; DuckLake hands out row ids in
   commit order), retrying on conflict, and reports which of *this* commit's rows went, so the
   caller's counts stay true.

The later of two committers always sees both copies in step 2, so after every writer returns
each id is present exactly once. Readers may see a duplicate for the moment between the two
steps; ``benchwh check`` reports any left behind by a writer killed in that moment.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import duckdb

from benchwh.errors import LocationError, LockedError, MissingExtraError
from benchwh.warehouse.location import DUCKLAKE, Location

T = TypeVar("T")

CATALOG = "lake"  # the attach alias every lake connection uses as its default catalog
ENV_EXTENSION_DIR = "BENCHWH_EXTENSION_DIR"
_BASE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
# DuckDB's own file name for each wheel's extension (the postgres wheel ships "postgres", which
# DuckDB installs as its canonical name "postgres_scanner").
_INSTALLED_NAME = {"ducklake": "ducklake", "postgres": "postgres_scanner"}


# --- extensions --------------------------------------------------------------------------
def extension_dir() -> Path:
    """Private DuckDB extension directory: $BENCHWH_EXTENSION_DIR, else the user cache."""
    env = os.environ.get(ENV_EXTENSION_DIR)
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "benchwh" / "duckdb_extensions"


def _wheel_file(name: str) -> Path:
    """The ``.duckdb_extension`` file shipped by the ``duckdb-extension-<name>`` wheel."""
    import importlib

    try:
        module = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError:
        raise MissingExtraError("lake", f"a DuckLake warehouse (DuckDB extension '{name}')") from None
    path = Path(module.__file__).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise MissingExtraError(
            "lake", f"DuckDB {duckdb.__version__} (no '{name}' extension for it in {path.parent})")
    return path


def _load(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    """Install (once per extension directory, from the wheel file, never the network) and LOAD.

    DuckDB installs through a temporary file and a rename, so processes starting together
    cannot see a half-written extension."""
    platform = con.execute("PRAGMA platform").fetchone()[0]
    target = extension_dir() / f"v{duckdb.__version__}" / platform
    for name in names:
        source = _wheel_file(name)
        installed = target / f"{_INSTALLED_NAME[name]}.duckdb_extension"
        if not installed.is_file() or installed.stat().st_size != source.stat().st_size:
            con.execute(f"FORCE INSTALL {_quote(str(source))}")
        con.execute(f"LOAD {_INSTALLED_NAME[name]}")


def _quote(text: str) -> str:
    """A SQL string literal (ATTACH and INSTALL take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _duckdb_with_extensions(loc: Location) -> duckdb.DuckDBPyConnection:
    d = extension_dir()
    d.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:", config={**_BASE_CONFIG, "extension_directory": str(d)})
    try:
        _load(con, ("ducklake", "postgres") if _on_postgres(loc) else ("ducklake",))
    except BaseException:
        con.close()
        raise
    return con


# --- attach ------------------------------------------------------------------------------
def _on_postgres(loc: Location) -> bool:
    return (loc.catalog or "").startswith("postgres:")


def _attach_sql(loc: Location, read_only: bool, create: bool) -> str:
    opts = []
    if read_only:
        opts.append("READ_ONLY")
    if not create:
        opts.append("CREATE_IF_NOT_EXISTS false")
    # A PostgreSQL-catalog lake is always named with its data path (a machine that mounts the
    # shared folder elsewhere is told so); a local lake remembers the one it was created with.
    if loc.data_path is not None and (create or _on_postgres(loc)):
        opts.append(f"DATA_PATH {_quote(str(loc.data_path))}")
    return f"ATTACH {_quote('ducklake:' + loc.catalog)} AS {CATALOG}" + (f" ({', '.join(opts)})" if opts else "")


def _explain(loc: Location, err: duckdb.Error) -> LocationError:
    """A one-line, actionable LocationError for an ATTACH failure."""
    text = str(err)
    if "creating a new DuckLake is explicitly disabled" in text:
        return LocationError(f"no DuckLake warehouse at {loc}: run `benchwh migrate --db {shlex.quote(loc.raw)}` to create one")
    if "does not match existing data path" in text:
        return LocationError(
            f"{loc}: --data-path {loc.data_path} is not this lake's data path ({text.split('catalog')[-1].split(chr(10))[0].strip(' .')}); "
            "pass the data path the lake was created with")
    first = " ".join(text.split())
    return LocationError(f"cannot open DuckLake warehouse {loc}: {first}")


def exists(loc: Location) -> bool:
    """Whether the lake's catalog exists (a local catalog file, or DuckLake tables in PostgreSQL)."""
    if not _on_postgres(loc):
        return loc.path is not None and loc.path.exists()
    try:
        connect(loc, read_only=True).close()
    except LocationError as e:
        if str(e).startswith("no DuckLake warehouse"):
            return False
        raise
    return True


# Loading the two extensions costs about a second per DuckDB instance, so a process keeps one
# instance per PostgreSQL-catalog lake and hands out cursors (each its own connection and
# transaction context). A local catalog is a DuckDB file whose lock must not outlive the
# connection, so it gets a fresh instance every time.
_CACHE: "OrderedDict[tuple, duckdb.DuckDBPyConnection]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def _attached(loc: Location, read_only: bool, create: bool, timeout_s: float | None) -> duckdb.DuckDBPyConnection:
    """A new DuckDB instance with the lake attached as ``lake``; LocationError on failure."""
    from benchwh.warehouse.connect import retry_locked

    con = _duckdb_with_extensions(loc)
    try:
        # A local catalog is a DuckDB file: one process at a time, so wait out its lock.
        retry_locked(lambda: con.execute(_attach_sql(loc, read_only, create)), str(loc), timeout_s)
    except duckdb.Error as e:
        con.close()
        raise _explain(loc, e) from None
    except BaseException:
        con.close()
        raise
    return con


def connect(loc: Location, read_only: bool = False, create: bool = False,
            timeout_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose default catalog is the lake. ``create`` allows a new lake;
    without it a missing lake is a LocationError that says to run ``benchwh migrate``."""
    assert loc.backend == DUCKLAKE and loc.catalog
    if not _on_postgres(loc):
        if loc.path is not None and not loc.path.exists():
            if not create:
                raise LocationError(f"no DuckLake warehouse at {loc.path}: run `benchwh migrate --db {shlex.quote(loc.raw)}` to create one")
            if not loc.path.parent.is_dir():
                raise LocationError(f"cannot create {loc.path}: folder {loc.path.parent} does not exist")
        con = _attached(loc, read_only, create, timeout_s)
        con.execute(f"USE {CATALOG}")
        return con
    key = (loc.catalog, str(loc.data_path), read_only)
    with _CACHE_LOCK:
        base = _CACHE.get(key)
        if base is None:
            base = _attached(loc, read_only, create, timeout_s)
            _CACHE[key] = base
            while len(_CACHE) > _CACHE_SIZE:
                # dropped, not closed: cursors handed out earlier keep the instance alive
                _CACHE.popitem(last=False)
        _CACHE.move_to_end(key)
        con = base.cursor()
    con.execute(f"USE {CATALOG}")
    return con


@contextmanager
def sa_connection(loc: Location) -> Iterator[object]:
    """A SQLAlchemy connection (for alembic) whose default catalog is the lake, creating the
    lake if it does not exist. NullPool: nothing outlives the block."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    connect(loc, create=True).close()  # create the lake, install extensions, report errors early
    d = extension_dir()
    engine = sa.create_engine("duckdb:///:memory:", poolclass=NullPool,
                              connect_args={"config": {**_BASE_CONFIG, "extension_directory": str(d)}})

    @sa.event.listens_for(engine, "connect")
    def _attach(dbapi_con, _record):
        for name in ("ducklake", "postgres") if _on_postgres(loc) else ("ducklake",):
            dbapi_con.execute(f"LOAD {_INSTALLED_NAME[name]}")
        dbapi_con.execute(_attach_sql(loc, read_only=False, create=False))
        dbapi_con.execute(f"USE {CATALOG}")

    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


# --- concurrent writes ---------------------------------------------------------------------
def is_lake(con) -> bool:
    """Whether ``con``'s default catalog is a DuckLake."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return bool(row) and row[0] == "ducklake"


def _is_conflict(err: Exception) -> bool:
    text = str(err)
    return isinstance(err, duckdb.Error) and (
        "Transaction conflict" in text or "Failed to commit DuckLake transaction" in text)


def _rollback(con) -> None:
    """End a failed transaction; a COMMIT that failed has already ended it."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def _retrying(con, attempt: Callable[[], T], what: str, timeout_s: float | None) -> T:
    """Run ``attempt`` (one whole transaction) until it commits without a DuckLake conflict.
    Backoff doubles from 25 ms to 2 s with jitter; gives up with LockedError at the deadline."""
    from benchwh.warehouse.connect import ENV_LOCK_TIMEOUT, lock_timeout_s

    timeout = lock_timeout_s(timeout_s)
    deadline = time.monotonic() + timeout
    delay, conflicts = 0.025, 0
    while True:
        try:
            return attempt()
        except BaseException as e:
            _rollback(con)
            if not (isinstance(e, Exception) and _is_conflict(e)):
                raise
            conflicts += 1
            now = time.monotonic()
            if now >= deadline:
                raise LockedError(
                    f"{what}: {conflicts} commit conflicts with other writers in {timeout:.0f}s; "
                    f"last: {' '.join(str(e).split())} (set {ENV_LOCK_TIMEOUT} to keep trying longer)"
                ) from None
            time.sleep(min(delay * (0.5 + random.random()), max(0.0, deadline - now)))
            delay = min(delay * 2, 2.0)


def _tag(con, message: str) -> None:
    """Label this transaction's snapshot (visible in ``lake.snapshots()``: who wrote what)."""
    import socket

    con.execute(f"CALL {CATALOG}.set_commit_message('benchwh', ?, extra_info => ?)",
                [message, json.dumps({"host": socket.gethostname(), "pid": os.getpid()})])


def _last_commit(con) -> int | None:
    """The snapshot this connection committed last (None before its first write)."""
    return con.execute(f"SELECT * FROM {CATALOG}.last_committed_snapshot()").fetchone()[0]


def _tables_inserted(con, snapshot: int) -> list[str]:
    """benchwh tables that ``snapshot`` inserted rows into (DuckLake names them by table id)."""
    from benchwh.warehouse.tables import ID_COLUMN

    row = con.execute(f"SELECT changes FROM {CATALOG}.snapshots() WHERE snapshot_id = ?", [snapshot]).fetchone()
    changes = (row[0] if row else None) or {}
    ids = {int(ref) for kind in ("tables_inserted_into", "inlined_insert")
           for ref in changes.get(kind) or [] if str(ref).isdigit()}
    if not ids:
        return []
    names = {r[0] for r in con.execute(f"SELECT table_name, table_id FROM {CATALOG}.table_info()").fetchall()
             if r[1] in ids}
    return [t for t in ID_COLUMN if t in names]


def _duplicated(con, table: str, snapshot: int) -> int:
    """How many ids that ``snapshot`` inserted into ``table`` occur more than once now."""
    from benchwh.warehouse.tables import ID_COLUMN

    idcol = ID_COLUMN[table]
    return con.execute(
        f"SELECT count(*) FROM (SELECT {idcol} FROM {table} WHERE {idcol} IN "
        f"(SELECT {idcol} FROM {table} WHERE snapshot_id = ?) GROUP BY {idcol} HAVING count(*) > 1)",
        [snapshot]).fetchone()[0]


def _ours(con, table: str, snapshot: int) -> dict[str, str | None]:
    """id -> source_sha256 (None where the table has none) of rows ``snapshot`` inserted that
    share their id with another row."""
    from benchwh.warehouse.tables import ID_COLUMN, SCHEMAS

    idcol = ID_COLUMN[table]
    sha = "source_sha256" if "source_sha256" in SCHEMAS[table].names else "NULL"
    return dict(con.execute(
        f"SELECT {idcol}, {sha} FROM {table} WHERE snapshot_id = ? AND {idcol} IN "
        f"(SELECT {idcol} FROM {table} GROUP BY {idcol} HAVING count(*) > 1)", [snapshot]).fetchall())


def _remove_later_copies(con, table: str, snapshot: int) -> int:
    """Delete every copy but the earliest committed of ids ``snapshot`` inserted (one statement
    in the caller's transaction); returns rows deleted."""
    from benchwh.warehouse.tables import ID_COLUMN

    idcol = ID_COLUMN[table]
    return con.execute(
        f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM ("
        f"SELECT rowid, row_number() OVER (PARTITION BY {idcol} ORDER BY rowid) AS copy FROM {table} "
        f"WHERE {idcol} IN (SELECT {idcol} FROM {table} WHERE snapshot_id = ?)) WHERE copy > 1)",
        [snapshot]).fetchone()[0]


Lost = dict[str, list[tuple[str, "str | None"]]]


def settle(con, snapshot: int, timeout_s: float | None = None) -> Lost:
    """Leave each id that ``snapshot`` inserted present exactly once (see the module doc).

    Returns, per table, the ``(id, source_sha256)`` of this snapshot's rows that were removed
    because another writer had committed the same id earlier: the caller inserted nothing new
    with them."""
    tables = [t for t in _tables_inserted(con, snapshot) if _duplicated(con, t, snapshot)]
    if not tables:
        return {}
    ours = {t: _ours(con, t, snapshot) for t in tables}

    def attempt() -> None:
        con.execute("BEGIN TRANSACTION")
        _tag(con, "remove duplicate ids")
        for t in tables:
            _remove_later_copies(con, t, snapshot)
        con.execute("COMMIT")

    _retrying(con, attempt, "removing duplicate ids", timeout_s)
    lost: Lost = {}
    for t in tables:
        from benchwh.warehouse.tables import ID_COLUMN

        idcol = ID_COLUMN[t]
        kept = {r[0] for r in con.execute(
            f"SELECT {idcol} FROM {t} WHERE snapshot_id = ?", [snapshot]).fetchall()}
        gone = [(i, sha) for i, sha in ours[t].items() if i not in kept]
        if gone:
            lost[t] = gone
    return lost


def commit_write(con, body: Callable[[object], T], what: str = "append",
                 timeout_s: float | None = None) -> tuple[T, Lost]:
    """Run ``body(con)`` inside one lake transaction and commit it; on a commit conflict the
    whole transaction (``body`` included, so it must only depend on what it reads) is run again.
    Then settle duplicate ids (``settle``). Returns ``body``'s value and the rows taken back."""
    before = _last_commit(con)

    def attempt() -> T:
        con.execute("BEGIN TRANSACTION")
        _tag(con, what)
        value = body(con)
        con.execute("COMMIT")
        return value

    value = _retrying(con, attempt, what, timeout_s)
    snapshot = _last_commit(con)
    if snapshot is None or snapshot == before:
        return value, {}  # nothing was written
    return value, settle(con, snapshot, timeout_s)
