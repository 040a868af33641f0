"""DuckLake warehouses: a PostgreSQL (or local DuckDB-file) catalog plus Parquet data files.

Reads the extension wheels of the ``lake`` extra and the lake named by a Location; writes a
private DuckDB extension directory (once) and, through the connections it returns, the lake.

Connections: each is a fresh in-memory DuckDB with the ``ducklake`` (and for a PostgreSQL
catalog the ``postgres``) extension loaded from the wheels, the lake attached as ``lake`` and
made the default catalog, so every other module runs the same SQL on both backends.

Concurrent writers (machines): DuckLake on PostgreSQL lets appends to the same table commit side
by side, without conflict and without unique keys, so two writers that insert the same new id
both succeed; a DELETE and an INSERT on the same table at once do conflict (DuckLake 1.5.5,
checked by ``tests/test_lake_concurrency.py``). ``commit_write`` therefore:

1. runs the caller's write in one transaction, re-running the whole transaction after a
   jittered backoff when DuckLake reports a commit conflict;
2. after COMMIT, looks for other copies of the ids this commit inserted;
3. deletes every copy but the earliest committed (lowest ``rowid``: DuckLake numbers rows in
   commit order), retrying on conflict, and reports which of *this* commit's rows went, so the
   caller's counts stay true.

The later of two committers always sees both copies in step 2, so after every writer returns
each id is present exactly once. Steps 2 and 3 find this commit's ids and rows by time travel to
its snapshot and by ``rowid``, never by the current ``snapshot_id``: an UPDATE (a third writer
merging new metadata into a model or run row, or flagging results) keeps a row's ``rowid`` but
makes its ``snapshot_id`` the updater's, so copies that both inserters see as another writer's
would otherwise be left in place by each. Readers may see a duplicate for the moment between the two
steps; ``benchwh check`` reports any left behind by a writer killed in that moment.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import duckdb

from benchwh.errors import LocationError, LockedError, MissingExtraError
from benchwh.warehouse.location import DUCKLAKE, Location

T = TypeVar("T")

CATALOG = "lake"  # the attach alias every lake connection uses as its default catalog
# A PostgreSQL-catalog lake's catalog database attached once more, plainly: benchwh's writers
# take a transaction-scoped advisory lock there (``_writers_lock``).
WRITERS_LOCK = "benchwh_writers"
_LOCK_KEY = 0x62656E6368776800  # "benchwh\0": one advisory lock per catalog database
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
        return LocationError(f"no DuckLake warehouse at {loc}", remedy="migrate-to-create", db=shlex.quote(loc.raw),
                             hint=": migrate it to create one (Warehouse.migrate)")
    if "does not match existing data path" in text:
        found = text.splitlines()[0].split(': ', 1)[-1]
        return LocationError(f"{loc}: data path {loc.data_path} is not this lake's data path",
                             remedy="data-path-other", found=found,
                             hint=f"; give the one it was created with ({found})")
    return LocationError(f"cannot open DuckLake warehouse {loc}: {' '.join(text.split())}")


def exists(loc: Location) -> bool:
    """Whether the lake's catalog exists (a local catalog file, or DuckLake tables in PostgreSQL)."""
    if not _on_postgres(loc):
        return loc.path is not None and loc.path.exists()
    try:
        # read-write, as the connections that follow are: one cached instance, one load
        connect(loc).close()
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

    d = extension_dir()
    d.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:", config={**_BASE_CONFIG, "extension_directory": str(d)})
    try:
        con.execute("SET enable_progress_bar = false")  # ATTACH can pass 2 s: no bar on stdout
        _load(con, ("ducklake", "postgres") if _on_postgres(loc) else ("ducklake",))
        # A local catalog is a DuckDB file: one process at a time, so wait out its lock.
        retry_locked(lambda: con.execute(_attach_sql(loc, read_only, create)), str(loc), timeout_s)
        if _on_postgres(loc) and not read_only:  # the catalog database itself, for the writers' lock
            con.execute(f"ATTACH {_quote(loc.catalog[len('postgres:'):])} AS {WRITERS_LOCK} (TYPE postgres)")
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
                raise LocationError(f"no DuckLake warehouse at {loc.path}", remedy="migrate-to-create",
                                    db=shlex.quote(loc.raw), hint=": migrate it to create one (Warehouse.migrate)")
            if not loc.path.parent.is_dir():
                raise LocationError(f"cannot create {loc.path}: folder {loc.path.parent} does not exist")
        return _ready(_attached(loc, read_only, create, timeout_s))
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
    return _ready(con)


def current_snapshot(loc: Location, timeout_s: float | None = None) -> int:
    """The lake's newest snapshot id. Every commit makes a new snapshot, so the id stamps the
    data a reader sees (``benchwh serve`` keys its cache on it)."""
    con = connect(loc, read_only=True, timeout_s=timeout_s)
    try:
        return con.execute(f"SELECT max(snapshot_id) FROM {CATALOG}.snapshots()").fetchone()[0]
    finally:
        con.close()


def _ready(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(f"USE {CATALOG}")
    # no progress bar: DuckDB draws it on stdout for a statement past 2 s, into `--json` output
    con.execute("SET enable_progress_bar = false")
    return con


def release(loc: Location | None = None) -> None:
    """Close this process's cached instance for ``loc`` (every one when None), ending its
    PostgreSQL sessions; connections handed out from it are closed too."""
    with _CACHE_LOCK:
        for key in [k for k in _CACHE if loc is None or k[0] == loc.catalog]:
            _CACHE.pop(key).close()


@contextmanager
def sa_connection(loc: Location) -> Iterator[object]:
    """A SQLAlchemy connection (for alembic) whose default catalog is the lake, creating the
    lake if it does not exist. It wraps a connection from ``connect``, so the extensions load
    once per process; NullPool: nothing outlives the block."""
    import sqlalchemy as sa
    from duckdb_engine import ConnectionWrapper
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine("duckdb://", poolclass=NullPool,
                              creator=lambda: ConnectionWrapper(connect(loc, create=True)))
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
    from benchwh.warehouse.connect import ENV_LOCK_TIMEOUT, lock_timeout_s, with_backoff

    timeout = lock_timeout_s(timeout_s)

    def give_up(e: BaseException, conflicts: int) -> LockedError:
        return LockedError(f"{what}: {conflicts} commit conflicts with other writers in {timeout:.0f}s; "
                           f"last: {' '.join(str(e).split())} (set {ENV_LOCK_TIMEOUT} to keep trying longer)")

    return with_backoff(attempt, transient=lambda e: e if _is_conflict(e) else None, give_up=give_up,
                        timeout_s=timeout, first_delay_s=0.025, max_delay_s=2.0,
                        on_failure=lambda e: _rollback(con))


def _tag(con, message: str) -> None:
    """Label this transaction's snapshot (visible in ``lake.snapshots()``: who wrote what)."""
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


def _ids_of(table: str) -> str:
    """SQL for the ids of the rows ``snapshot`` wrote into ``table`` (two parameters: the
    snapshot, twice), read by time travel. A row's ``snapshot_id`` is the last snapshot that
    inserted *or updated* it, so the current table cannot say which rows a snapshot inserted:
    a later writer that merged new metadata into a model row (``UPDATE``) has made every copy of
    that id its own. Its ``rowid`` stays, and an update keeps the id."""
    from benchwh.warehouse.tables import ID_COLUMN

    return f"SELECT {ID_COLUMN[table]} FROM {table} AT (VERSION => ?) WHERE snapshot_id = ?"


def _other_copies(con, table: str, snapshot: int, start: int) -> int:
    """Rows of ``table`` sharing an id with a row ``snapshot`` wrote, other than those rows
    themselves (by ``rowid``). The transaction that made ``snapshot`` began at ``start`` and
    saw none of the ids it inserted then, so any other copy was committed, and any update of
    it made, after ``start``: only rows whose last write came after ``start`` are read."""
    from benchwh.warehouse.tables import ID_COLUMN

    idcol = ID_COLUMN[table]
    return con.execute(
        f"SELECT count(*) FROM {table} WHERE snapshot_id > ? AND {idcol} IN ({_ids_of(table)}) "
        f"AND rowid NOT IN (SELECT rowid FROM {table} AT (VERSION => ?) WHERE snapshot_id = ?)",
        [start, snapshot, snapshot, snapshot, snapshot]).fetchone()[0]


def _gone(con, table: str, snapshot: int, start: int) -> list[tuple[str, str | None]]:
    """``(id, source_sha256)`` of rows ``snapshot`` inserted into ``table`` (rows new in it, not
    rows it updated: those existed at ``start``) that are no longer there, by ``rowid``."""
    from benchwh.warehouse.tables import ID_COLUMN, SCHEMAS

    idcol = ID_COLUMN[table]
    sha = "a.source_sha256" if "source_sha256" in SCHEMAS[table].names else "NULL"
    return con.execute(
        f"SELECT a.{idcol}, {sha} FROM {table} AS a AT (VERSION => ?) WHERE a.snapshot_id = ? "
        f"AND a.rowid NOT IN (SELECT rowid FROM {table}) "
        f"AND a.rowid NOT IN (SELECT rowid FROM {table} AT (VERSION => ?))",
        [snapshot, snapshot, start]).fetchall()


def _remove_later_copies(con, table: str, snapshot: int) -> int:
    """Delete every copy but the earliest committed of ids ``snapshot`` wrote (one statement
    in the caller's transaction), whatever snapshot last updated each copy; returns rows deleted."""
    from benchwh.warehouse.tables import ID_COLUMN

    idcol = ID_COLUMN[table]
    return con.execute(
        f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM ("
        f"SELECT rowid, row_number() OVER (PARTITION BY {idcol} ORDER BY rowid) AS copy FROM {table} "
        f"WHERE {idcol} IN ({_ids_of(table)})) WHERE copy > 1)",
        [snapshot, snapshot]).fetchone()[0]


Lost = dict[str, list[tuple[str, "str | None"]]]


def settle(con, snapshot: int, start: int, timeout_s: float | None = None) -> Lost:
    """Leave each id that ``snapshot`` inserted present exactly once (see the module doc);
    ``start`` is the snapshot its transaction read.

    Returns, per table, the ``(id, source_sha256)`` of this snapshot's rows that are gone
    because another writer had committed the same id earlier: the caller added nothing with
    them. Only a later copy is ever removed (by this writer or by another that saw it first)
    and the earliest never is, so a row of ``snapshot`` can be gone only while another copy of
    its id exists: without other copies nothing was lost; with them, the losses are read after
    this writer's own removal has committed, when no later copy of its ids is left."""
    con.execute("BEGIN TRANSACTION")  # one catalog snapshot for the reads
    try:
        tables = [t for t in _tables_inserted(con, snapshot) if _other_copies(con, t, snapshot, start)]
    finally:
        _rollback(con)  # read only
    if not tables:
        return {}

    def attempt() -> None:
        con.execute("BEGIN TRANSACTION")
        _tag(con, "remove duplicate ids")
        for t in tables:
            _remove_later_copies(con, t, snapshot)
        con.execute("COMMIT")

    _retrying(con, attempt, "removing duplicate ids", timeout_s)
    con.execute("BEGIN TRANSACTION")
    try:
        return {t: gone for t in tables if (gone := _gone(con, t, snapshot, start))}
    finally:
        _rollback(con)


@contextmanager
def _writers_lock(con, what: str, timeout_s: float | None) -> Iterator[None]:
    """Hold the lake's writers' lock (PostgreSQL catalogs; a local catalog file admits one
    process anyway): ``pg_advisory_xact_lock`` in a transaction of the catalog database on a
    connection of its own, released when that transaction ends, or when the process dies and
    PostgreSQL closes its session. Waits at most the lock timeout, then LockedError.

    Why: DuckLake checks conflicts per table, and since 1.5 an INSERT conflicts with a concurrent
    DELETE or UPDATE of the same table (and the reverse), while two INSERTs of the same new id
    both commit. Unserialised, writers that merge model and run rows (UPDATE) and the removal of
    duplicate ids (DELETE) keep aborting each other's transactions on a busy lake, and the
    duplicates the removal is for arise in the first place. Under the lock a benchwh writer sees
    every other benchwh writer's commit before it writes, so it inserts no duplicate and meets
    no conflict; ``settle`` stays for writers outside it (a process of an older benchwh)."""
    from benchwh.warehouse.connect import ENV_LOCK_TIMEOUT, lock_timeout_s

    if not con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?",
                       [WRITERS_LOCK]).fetchone()[0]:
        yield
        return
    timeout = lock_timeout_s(timeout_s)
    holder = con.cursor()
    try:
        holder.execute("BEGIN TRANSACTION")
        try:
            # SET LOCAL: for this transaction only; the number is ours, not the user's
            holder.execute(f"CALL postgres_execute('{WRITERS_LOCK}', 'SET LOCAL lock_timeout = "
                           f"''{max(1, int(timeout * 1000))}ms''; SELECT pg_advisory_xact_lock({_LOCK_KEY})')")
        except duckdb.Error as e:
            if "lock timeout" not in str(e):
                raise
            raise LockedError(f"{what}: another writer of this lake held its writers' lock for {timeout:.0f}s "
                              f"(set {ENV_LOCK_TIMEOUT} to wait longer)") from None
        yield
    finally:
        _rollback(holder)  # ends the catalog transaction: the lock goes with it
        holder.close()


def commit_write(con, body: Callable[[object], T], what: str = "append",
                 timeout_s: float | None = None) -> tuple[T, Lost]:
    """Run ``body(con)`` inside one lake transaction and commit it, holding the writers' lock
    (``_writers_lock``); on a commit conflict the whole transaction (``body`` included, so it
    must only depend on what it reads) is run again. Then settle duplicate ids (``settle``).
    Returns ``body``'s value and the rows taken back."""
    with _writers_lock(con, what, timeout_s):
        return _commit_write(con, body, what, timeout_s)


def _commit_write(con, body: Callable[[object], T], what: str, timeout_s: float | None) -> tuple[T, Lost]:
    start = -1

    def attempt() -> T:
        nonlocal start
        con.execute("BEGIN TRANSACTION")
        start = con.execute(f"SELECT id FROM {CATALOG}.current_snapshot()").fetchone()[0]
        _tag(con, what)
        value = body(con)
        con.execute("COMMIT")
        return value

    value = _retrying(con, attempt, what, timeout_s)
    snapshot = _last_commit(con)
    if snapshot is None or snapshot <= start:
        return value, {}  # the transaction wrote nothing
    return value, settle(con, snapshot, start, timeout_s)
