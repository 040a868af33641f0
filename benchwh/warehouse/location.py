"""Where the warehouse lives: ``--db`` value, else ``BENCHWH_DB``, else ``./benchwh.duckdb``.

Forms: a DuckDB file path; ``:memory:``; ``ducklake:FILE.ducklake`` (a local lake);
``ducklake:postgres:<libpq connection string>`` (a lake with a PostgreSQL catalog; data files
under ``--data-path`` / ``BENCHWH_DATA_PATH``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from benchwh.errors import LocationError

DEFAULT_DB = "benchwh.duckdb"
ENV_DB = "BENCHWH_DB"
ENV_DATA_PATH = "BENCHWH_DATA_PATH"

FILE = "duckdb-file"
MEMORY = "duckdb-memory"
DUCKLAKE = "ducklake"


@dataclass(frozen=True)
class Location:
    backend: str  # FILE | MEMORY | DUCKLAKE
    path: Path | None = None  # the DuckDB file (FILE) or the local .ducklake catalog file
    catalog: str | None = None  # DuckLake catalog spec as ATTACH takes it ('postgres:...' or a file)
    data_path: Path | None = None  # DuckLake data files
    raw: str = ""

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
