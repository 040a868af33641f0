"""Where the warehouse lives: ``--db`` value, else ``BENCHWH_DB``, else ``./benchwh.duckdb``.

Forms: a DuckDB file path; ``:memory:``; ``ducklake:FILE.ducklake`` (a local lake);
``ducklake:postgres:<libpq connection string>`` (a lake with a PostgreSQL catalog; data files
under ``--data-path`` / ``BENCHWH_DATA_PATH``).
"""

from __future__ import annotations

import os
from pathlib import Path

from benchwh.errors import LocationError

DEFAULT_DB = "benchwh.duckdb"
ENV_DB = "BENCHWH_DB"
ENV_DATA_PATH = "BENCHWH_DATA_PATH"

FILE = "duckdb-file"
MEMORY = "duckdb-memory"
DUCKLAKE = "ducklake"


class Location:
    """Where a warehouse is; immutable, compared and hashed by its fields. (A plain class, not a
    dataclass: ``dataclasses`` loads ``inspect``, which ``benchwh status`` would pay for at startup.)

    ``backend``: FILE | MEMORY | DUCKLAKE; ``path``: the DuckDB file (FILE) or the local
    .ducklake catalog file; ``catalog``: the DuckLake catalog spec as ATTACH takes it
    ('postgres:...' or a file); ``data_path``: DuckLake data files; ``raw``: as the user wrote it."""

    __slots__ = ("backend", "path", "catalog", "data_path", "raw")
    backend: str
    path: Path | None
    catalog: str | None
    data_path: Path | None
    raw: str

    def __init__(self, backend: str, path: Path | None = None, catalog: str | None = None,
                 data_path: Path | None = None, raw: str = "") -> None:
        for name, value in zip(self.__slots__, (backend, path, catalog, data_path, raw)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"Location is immutable: cannot assign to {name!r}")

    def _fields(self) -> tuple:
        return (self.backend, self.path, self.catalog, self.data_path, self.raw)

    def __eq__(self, other) -> bool:
        return self._fields() == other._fields() if isinstance(other, Location) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "Location(" + ", ".join(f"{n}={v!r}" for n, v in zip(self.__slots__, self._fields())) + ")"

    @property
    def is_file(self) -> bool:
        return self.backend == FILE

    @property
    def is_lake(self) -> bool:
        return self.backend == DUCKLAKE

    def __str__(self) -> str:
        if self.backend == FILE:
            return str(self.path)
        return self.raw


def resolve(db: str | None = None, data_path: str | None = None) -> Location:
    """Turn ``--db``/env/default into a Location. Does not touch the file system."""
    raw = db if db else os.environ.get(ENV_DB) or DEFAULT_DB
    raw = raw.strip()
    if not raw:
        raise LocationError("empty warehouse location", remedy="db-empty", hint=": give a DuckDB file path")
    if raw == ":memory:":
        return Location(MEMORY, raw=raw)
    if raw.startswith("ducklake:"):
        spec = raw[len("ducklake:"):]
        if not spec:
            raise LocationError("`ducklake:` needs a catalog: `ducklake:FILE.ducklake` or `ducklake:postgres:dbname=...`")
        dp = data_path or os.environ.get(ENV_DATA_PATH)
        if spec.startswith("postgres:"):
            if not dp:
                raise LocationError(f"{raw}: a PostgreSQL-catalog lake needs a data path", remedy="data-path-needed",
                                    env=ENV_DATA_PATH, hint=f": give data_path or set {ENV_DATA_PATH}")
            return Location(DUCKLAKE, catalog=spec, data_path=Path(dp).resolve(), raw=raw)
        path = Path(spec).expanduser().resolve()
        data = Path(dp).resolve() if dp else path.with_name(path.name + ".files")
        return Location(DUCKLAKE, path=path, catalog=str(path), data_path=data, raw=raw)
    return Location(FILE, path=Path(raw).expanduser().resolve(), raw=raw)
