"""Alembic wiring: current/head revisions, upgrade/downgrade with backup and restore.

Reads and writes the warehouse's ``alembic_version`` table and, through the revisions in
``benchwh.migrations.versions``, every other table.
"""

from __future__ import annotations

import io
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from benchwh.proc import pid_alive
from benchwh.errors import LocationError, LockedError, MigrationError, RevisionError
from benchwh.warehouse.connect import check_file, connection, exists, retry_locked
from benchwh.warehouse.location import DUCKLAKE, FILE, Location

from benchwh.warehouse.revision import VERSION_TABLE, read_revision, require_head  # noqa: F401  (re-exported)


def _config(buffer: io.StringIO | None = None, lake: bool = False):
    from alembic.config import Config

    from benchwh.migrations import SCRIPT_LOCATION

    cfg = Config(output_buffer=buffer) if buffer is not None else Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.attributes["ducklake"] = lake
    return cfg


def script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def heads() -> list[str]:
    return list(script().get_heads())


def head() -> str:
    hs = heads()
    if len(hs) != 1:  # guarded by a test; a second head is a packaging bug
        raise MigrationError(f"benchwh ships {len(hs)} migration heads ({', '.join(hs)}); expected one")
    return hs[0]


def revisions() -> list[str]:
    """All revisions, oldest first."""
    return [r.revision for r in reversed(list(script().walk_revisions()))]


def current_revision(loc: Location) -> str | None:
    if not exists(loc):
        return None
    with connection(loc, read_only=loc.backend == FILE) as con:
        return read_revision(con)


@contextmanager
def sa_connection(loc: Location) -> Iterator[object]:
    """A SQLAlchemy connection for alembic (NullPool: a later duckdb.connect in the same
    process to the same file must not find a pooled connection holding it)."""
    if loc.backend == DUCKLAKE:
        from benchwh.warehouse import lake

        with lake.sa_connection(loc) as conn:
            yield conn
        return
    if loc.backend != FILE:
        raise LocationError(f"{loc}: migrations need a file or DuckLake warehouse")
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(f"duckdb:///{loc.path}", poolclass=NullPool)
    try:
        conn = retry_locked(engine.connect, str(loc.path))
        try:
            yield conn
        finally:
            conn.close()
    finally:
        engine.dispose()


@dataclass
class MigrateResult:
    before: str | None
    after: str | None
    changed: bool
    backup: Path | None = None
    applied: list[str] = field(default_factory=list)
    message: str = ""


def _target(to: str) -> str | None:
    if to == "head":
        return head()
    if to == "base":
        return None
    known = revisions()
    if to not in known:
        raise MigrationError(f"unknown revision '{to}'; known: base, {', '.join(known)}, head")
    return to


def _backup_path(path: Path, rev: str | None) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = path.with_name(f"{path.name}.{rev or 'empty'}-{stamp}.bak")
    n, candidate = 1, base
    while candidate.exists():
        candidate = base.with_name(f"{base.stem}-{n}.bak")
        n += 1
    return candidate


def offline_sql(loc: Location, to: str = "head") -> str:
    """The SQL ``migrate --to`` would run, rendered without touching the warehouse."""
    from alembic import command

    if loc.backend == FILE and loc.path is not None and loc.path.exists():
        check_file(loc, must_exist=True)
    before = current_revision(loc)
    target = _target(to)
    buf = io.StringIO()
    cfg = _config(buf, lake=loc.is_lake)
    order = revisions()
    pos = lambda r: -1 if r is None else order.index(r)  # noqa: E731
    if pos(target) >= pos(before):
        command.upgrade(cfg, f"{before or 'base'}:{target or 'base'}", sql=True)
    else:
        command.downgrade(cfg, f"{before}:{target or 'base'}", sql=True)
    return buf.getvalue()


DEFAULT_KEEP_BACKUPS = 3


def _one_line(e: BaseException) -> str:
    """An error in one line: a SQLAlchemy wrapper's driver error, without its SQL dump."""
    inner = getattr(e, "orig", None) or e
    text = " ".join(str(inner).split("[SQL:")[0].split())
    return f"{type(inner).__name__}: {text}"


def _row_counts(con) -> dict[str, int]:
    """Rows per table of the connection's default catalog and schema (a DuckDB connection)."""
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        " AND schema_name = current_schema() ORDER BY 1").fetchall()]
    return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _copy_atomic(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` through a temporary file in the same folder, flushed to disk,
    then renamed: ``dst`` is either absent or complete, never a truncated copy (a kill or a full
    disk leaves only the ``.tmp-<pid>`` file, which the next migrate removes)."""
    tmp = dst.with_name(f"{dst.name}.tmp-{os.getpid()}")
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
            fout.flush()
            os.fsync(fout.fileno())
        shutil.copystat(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove ``<file>.*.tmp-<pid>`` files beside ``path`` left by a killed migrate (a backup or
    a restore copy) whose process is gone. Returns what was removed."""
    removed = []
    for p in path.parent.glob(f"{glob_escape(path.name)}.*.tmp-*"):
        pid = p.name.rsplit(".tmp-", 1)[-1]
        if pid.isdigit() and not pid_alive(int(pid)):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def glob_escape(text: str) -> str:
    from glob import escape

    return escape(text)


def backups_of(path: Path) -> list[Path]:
    """The migrate backups of ``path`` (``<file>.<revision>-<time>.bak``), oldest first."""
    found = [p for p in path.parent.glob(f"{glob_escape(path.name)}.*.bak") if p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def prune_backups(path: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups of ``path``; returns the deleted ones."""
    if keep < 0:
        raise MigrationError(f"keep_backups {keep}: give a number of backups, 0 or more", option="keep_backups")
    old = backups_of(path)
    doomed = old[:max(0, len(old) - keep)]
    for p in doomed:
        p.unlink(missing_ok=True)
    return doomed


def migrate(loc: Location, to: str = "head", say: Callable[[str], None] = lambda s: None,
            keep_backups: int = DEFAULT_KEEP_BACKUPS) -> MigrateResult:
    """Upgrade or downgrade the warehouse to ``to`` (a revision, 'head' or 'base').

    A file warehouse is opened read-write with the bounded lock wait and held for the whole
    migration (no writer can commit between the backup and the migration). Its write-ahead log
    is checkpointed into the file first, so the backup ``<file>.<old revision>-<time>.bak``
    holds every committed row; the backup is written atomically and checked (same tables, same
    row counts) before anything runs. If a migration fails and something was committed, the
    file is restored from the backup; if nothing was, the file is left as it is. MigrationError
    says which. Only the ``keep_backups`` newest backups of the file are kept.
    """
    target = _target(to)
    if keep_backups < 0:
        raise MigrationError(f"keep_backups {keep_backups}: give a number of backups, 0 or more",
                             option="keep_backups")
    if loc.backend == FILE:
        check_file(loc, must_exist=False)
        if loc.path.exists():
            return _migrate_file(loc, to, target, say, keep_backups)
    before = current_revision(loc)
    if before == target:
        return _already(loc, to, target, before)
    try:
        with sa_connection(loc) as conn:
            _run_alembic(conn, loc, before, target)
    except LockedError:
        raise
    except Exception as e:
        if loc.backend == FILE:
            for p in (loc.path, loc.path.with_name(loc.path.name + ".wal")):
                p.unlink(missing_ok=True)
            raise MigrationError(
                f"migration of new warehouse {loc.path} failed: {_one_line(e)}; no file was left behind"
            ) from e
        raise MigrationError(f"migration of {loc} to {target or 'base'} failed: {_one_line(e)}") from e
    return _done(loc, before, target, None)


def _already(loc: Location, to: str, target: str | None, before: str | None) -> MigrateResult:
    label = "head" if to == "head" or target == head() else (target or "base")
    return MigrateResult(before, before, False, message=f"{loc}: already at {label} ({before or 'base'})")


def _pos(r: str | None) -> int:
    return -1 if r is None else revisions().index(r)


def _run_alembic(conn, loc: Location, before: str | None, target: str | None) -> None:
    from alembic import command

    cfg = _config(lake=loc.is_lake)
    cfg.attributes["connection"] = conn
    if _pos(target) > _pos(before):
        command.upgrade(cfg, target)
    else:
        command.downgrade(cfg, target or "base")
    conn.commit()


def _done(loc: Location, before: str | None, target: str | None, backup: Path | None) -> MigrateResult:
    order = revisions()
    after = current_revision(loc)
    lo, hi = sorted((_pos(before), _pos(target)))
    applied = order[lo + 1: hi + 1]
    verb = "upgraded" if _pos(target) > _pos(before) else "downgraded"
    return MigrateResult(before, after, True, backup, applied,
                         f"{loc}: {verb} {before or 'base'} -> {after or 'base'} ({', '.join(applied)})")


def _migrate_file(loc: Location, to: str, target: str | None, say: Callable[[str], None],
                  keep: int) -> MigrateResult:
    path = loc.path
    wal = path.with_name(path.name + ".wal")
    remove_stale_temps(path)
    with sa_connection(loc) as conn:
        raw = conn.connection.driver_connection
        # The rows a writer committed may still be only in the WAL: fold them into the file.
        raw.execute("CHECKPOINT")
        before = read_revision(raw)
        if before == target:
            return _already(loc, to, target, before)
        counts = _row_counts(raw)
        backup = _backup_path(path, before)
        _copy_atomic(path, backup)
        _verify_backup(backup, counts)
        say(f"backup of {path} at revision {before or 'empty'}: {backup} "
            f"({sum(counts.values()):,} rows in {len(counts)} tables, checked)")
        try:
            _run_alembic(conn, loc, before, target)
            failure = None
        except Exception as e:  # noqa: BLE001 - reported below with what was done about it
            failure = e
            try:
                conn.rollback()
            except Exception:  # noqa: BLE001 - the connection may be gone; the file is judged next
                pass
            try:
                changed = read_revision(raw) != before or _row_counts(raw) != counts
            except Exception:  # noqa: BLE001 - cannot tell: restore
                changed = True
    if failure is None:
        prune_backups(path, keep)
        return _done(loc, before, target, backup)
    if not changed:
        raise MigrationError(
            f"migration of {path} to {target or 'base'} failed: {_one_line(failure)}; nothing was "
            f"committed, the file is unchanged (backup kept at {backup})") from failure
    restore = path.with_name(f"{path.name}.restore.tmp-{os.getpid()}")
    _copy_atomic(backup, restore)
    wal.unlink(missing_ok=True)  # only this migration wrote since the checkpoint
    os.replace(restore, path)
    raise MigrationError(
        f"migration of {path} to {target or 'base'} failed: {_one_line(failure)}; the file is "
        f"restored from the backup taken before it (backup kept at {backup})") from failure


def _verify_backup(backup: Path, counts: dict[str, int]) -> None:
    """Open the backup read-only and insist on the live file's tables and row counts."""
    import duckdb

    try:
        con = duckdb.connect(str(backup), read_only=True,
                             config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        try:
            got = _row_counts(con)
        finally:
            con.close()
    except duckdb.Error as e:
        backup.unlink(missing_ok=True)
        raise MigrationError(f"backup {backup} cannot be read back ({_one_line(e)}); nothing was migrated") from None
    if got != counts:
        backup.unlink(missing_ok=True)
        diff = ", ".join(f"{t}: {counts.get(t)} live, {got.get(t)} in backup"
                         for t in sorted(set(counts) | set(got)) if counts.get(t) != got.get(t))
        raise MigrationError(f"backup of {loc_name(backup)} is incomplete ({diff}); nothing was migrated")


def loc_name(backup: Path) -> str:
    return backup.name.split(".bak")[0]
