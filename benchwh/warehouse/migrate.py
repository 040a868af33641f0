"""Alembic wiring: current/head revisions, upgrade/downgrade with backup and restore.

Reads and writes the warehouse's ``alembic_version`` table and, through the revisions in
``benchwh.migrations.versions``, every other table.
"""

from __future__ import annotations

import io
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from benchwh.errors import LocationError, MigrationError, RevisionError
from benchwh.warehouse.connect import check_file, connection, exists, retry_locked
from benchwh.warehouse.location import DUCKLAKE, FILE, Location

VERSION_TABLE = "alembic_version"


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


def read_revision(con) -> str | None:
    """The warehouse's revision, or None for an empty (un-migrated) warehouse."""
    from benchwh.warehouse.connect import execute

    found = execute(
        con,
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()"
        " AND schema_name = current_schema()",
        [VERSION_TABLE],
    ).fetchone()[0]
    if not found:
        return None
    rows = con.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    if len(rows) > 1:
        raise RevisionError(f"warehouse has {len(rows)} revisions recorded; run `benchwh check`")
    return rows[0][0] if rows else None


def current_revision(loc: Location) -> str | None:
    if not exists(loc):
        return None
    with connection(loc, read_only=loc.backend == FILE) as con:
        return read_revision(con)


def require_head(loc: Location, rev: str | None) -> None:
    """Refuse a warehouse that is not at this benchwh's head revision (without loading
    alembic: the chain's constants in ``benchwh.migrations`` are checked against it by a test)."""
    from benchwh.migrations import HEAD as h, REVISIONS

    if rev == h:
        return
    where = f"warehouse {loc}"
    if rev is None:
        raise RevisionError(f"{where} has no benchwh schema: run `benchwh migrate`")
    if rev not in REVISIONS:
        raise RevisionError(
            f"{where} is at revision {rev}, newer than this benchwh knows (head {h}): upgrade benchwh"
        )
    raise RevisionError(f"{where} is at revision {rev}, behind head {h}: run `benchwh migrate`")


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


def migrate(loc: Location, to: str = "head", say: Callable[[str], None] = lambda s: None) -> MigrateResult:
    """Upgrade or downgrade the warehouse to ``to`` (a revision, 'head' or 'base').

    A file warehouse is copied to ``<file>.<old revision>-<time>.bak`` first; if any migration
    fails the file is restored from that copy byte for byte and MigrationError says so.
    """
    from alembic import command

    target = _target(to)
    if loc.backend == FILE:
        check_file(loc, must_exist=False)
    before = current_revision(loc)
    if before == target:
        label = "head" if to == "head" or target == head() else (target or "base")
        return MigrateResult(before, before, False, message=f"{loc}: already at {label} ({before or 'base'})")
    backup = None
    existed = loc.backend == FILE and loc.path.exists()
    if existed:
        backup = _backup_path(loc.path, before)
        shutil.copy2(loc.path, backup)
        say(f"backup of {loc.path} at revision {before or 'empty'}: {backup}")
    order = revisions()
    pos = lambda r: -1 if r is None else order.index(r)  # noqa: E731
    try:
        with sa_connection(loc) as conn:
            cfg = _config(lake=loc.is_lake)
            cfg.attributes["connection"] = conn
            if pos(target) > pos(before):
                command.upgrade(cfg, target)
            else:
                command.downgrade(cfg, target or "base")
            conn.commit()
    except Exception as e:
        if loc.backend == FILE:
            wal = loc.path.with_name(loc.path.name + ".wal")
            if wal.exists():
                wal.unlink()
            if existed:
                shutil.copy2(backup, loc.path)
                raise MigrationError(
                    f"migration of {loc.path} to {target or 'base'} failed: {type(e).__name__}: {e}; "
                    f"the file is restored unchanged (backup kept at {backup})"
                ) from e
            if loc.path.exists():
                loc.path.unlink()
            raise MigrationError(
                f"migration of new warehouse {loc.path} failed: {type(e).__name__}: {e}; no file was left behind"
            ) from e
        raise MigrationError(f"migration of {loc} to {target or 'base'} failed: {type(e).__name__}: {e}") from e
    after = current_revision(loc)
    lo, hi = sorted((pos(before), pos(target)))
    applied = order[lo + 1: hi + 1]
    verb = "upgraded" if pos(target) > pos(before) else "downgraded"
    return MigrateResult(before, after, True, backup, applied,
                         f"{loc}: {verb} {before or 'base'} -> {after or 'base'} ({', '.join(applied)})")
