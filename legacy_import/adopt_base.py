"""Shared pieces of ``benchwh adopt``: the legacy tables as read, the tally of what happened to
every legacy row, and value helpers that keep the converters honest.

Nothing here opens a file or a connection: ``benchwh.warehouse.adopt_read`` reads, the family
modules beside this one (``adopt_star``, ``adopt_flat``, ``adopt_web``) turn rows into records,
``benchwh.warehouse.adopt`` writes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from benchwh import normalize as nz
from benchwh.records import Provenance, RunInfo

ORIGIN_PREFIX = "legacy-warehouse:"

# Reasons shared by the family converters (the report groups rows by these exact texts).
R_ZERO = "zero-filled: no latency, throughput or memory measured (every metric 0 or empty)"
R_SAMPLE = "seeded sample row: on a sample device or in a sample run the schema script inserted"
R_CHILD = "belongs to a row that was not carried"
R_MODEL_UNNAMED = "model not named (legacy 'unknown')"


@dataclass(slots=True)
class Table:
    """One legacy table (or a single-table Parquet/CSV file) read whole: column names in file
    order and every row as a dict. Float32 columns arrive as the decimal the legacy tool
    displayed (``55.227264``), not as the widened binary value."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]

    def has(self, *cols: str) -> bool:
        return all(c in self.columns for c in cols)


@dataclass(slots=True)
class Tally:
    """``count`` rows of legacy ``table`` not imported as measurements, for ``reason``."""

    table: str
    reason: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "reason": self.reason, "count": self.count}


@dataclass
class Ledger:
    """What happened to each legacy row: carried (became a record), flagged (recognised as not
    a measurement: seeded sample, synthetic, zero-filled, placeholder) or refused (could be a
    fact but cannot be carried faithfully). Every row of every table lands in exactly one."""

    carried: dict[str, int] = field(default_factory=dict)
    flagged: dict[tuple[str, str], int] = field(default_factory=dict)
    refused: dict[tuple[str, str], int] = field(default_factory=dict)
    # zero fills turned into None inside carried rows, per benchwh field
    nulled: dict[str, int] = field(default_factory=dict)

    def carry(self, table: str, n: int = 1) -> None:
        if n:
            self.carried[table] = self.carried.get(table, 0) + n

    def flag(self, table: str, reason: str, n: int = 1) -> None:
        if n:
            self.flagged[(table, reason)] = self.flagged.get((table, reason), 0) + n

    def refuse(self, table: str, reason: str, n: int = 1) -> None:
        if n:
            self.refused[(table, reason)] = self.refused.get((table, reason), 0) + n

    def null(self, fieldname: str) -> None:
        self.nulled[fieldname] = self.nulled.get(fieldname, 0) + 1

    @staticmethod
    def tallies(d: dict[tuple[str, str], int]) -> list[Tally]:
        return [Tally(t, r, n) for (t, r), n in sorted(d.items())]


@dataclass
class Ctx:
    """The legacy file being adopted: its name (provenance path), sha256 and the ledger."""

    file_name: str
    sha256: str
    ledger: Ledger = field(default_factory=Ledger)

    def prov(self, table: str, key: Any) -> Provenance:
        return Provenance(source_file=self.file_name, source_sha256=self.sha256,
                          source_pointer=f"{table}/{key}")

    def run(self, family: str, started_at: datetime | None, run_key: str | None, **kw: Any) -> RunInfo:
        return RunInfo(origin=ORIGIN_PREFIX + family, started_at=started_at, run_key=run_key, **kw)


# --- values ---------------------------------------------------------------------------------

def group_by(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    """Rows grouped by the value of their ``key`` column (child rows by parent id)."""
    out: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row.get(key), []).append(row)
    return out


class Children:
    """A child table's rows by parent id: they go where their parent went (``settle``, once
    every parent was seen): carried with a parent ``carried`` marks, flagged otherwise."""

    def __init__(self, table: str, rows: Iterable[dict[str, Any]], key: str):
        self.table, self.by_parent, self.carried = table, group_by(rows, key), set()

    def of(self, parent: Any) -> list[dict[str, Any]]:
        return self.by_parent.get(parent, [])

    def settle(self, ledger: "Ledger") -> None:
        for parent, rows in self.by_parent.items():
            if parent in self.carried:
                ledger.carry(self.table, len(rows))
            else:
                ledger.flag(self.table, R_CHILD, len(rows))


def measured(value: Any, unit: Callable[[Any], float | None] = nz.to_float) -> float | None:
    """A measured quantity: a positive finite number (in benchwh's unit through ``unit``, a
    ``benchwh.normalize`` conversion), else None.

    The legacy converters wrote 0 for every metric a source lacked, so a 0 is their fill, not
    a measurement (no latency, throughput or memory peak is truly 0): it becomes None."""
    v = unit(value)
    if v is None or v <= 0:
        return None
    return v


def note_zeros(ctx: "Ctx", row: dict[str, Any], fields: dict[str, str]) -> None:
    """Count, for a carried row, each legacy column (key) holding the 0 fill that became None
    in the benchwh field (value)."""
    for col, fieldname in fields.items():
        if nz.to_float(row.get(col)) == 0:
            ctx.ledger.null(fieldname)


def count(value: Any) -> int | None:
    """An iteration count: positive int, else None (0 was the fill)."""
    v = nz.to_int(value)
    return v if v is not None and v > 0 else None


def named_subject(ledger: "Ledger", table: str, row: dict[str, Any], model_key: str, hardware_key: str,
                  *, empty: bool = False) -> tuple[str, str, str | None, bool] | None:
    """What a flat row measured: the model it names under ``model_key`` and the hardware
    (type, device, mock) under ``hardware_key``. None, counted, for a row that holds nothing
    (``empty``: flagged as a zero fill) or names no model (refused)."""
    if empty:
        ledger.flag(table, R_ZERO)
        return None
    model = text(row.get(model_key))
    if model is None:
        ledger.refuse(table, R_MODEL_UNNAMED)
        return None
    return (model, *legacy_hardware(row.get(hardware_key)))


def text(value: Any) -> str | None:
    """Stripped non-empty text; the converters' ``'unknown'``/``''``/``'none'`` are no text."""
    if value is None:
        return None
    s = str(value).strip()
    return None if s.lower() in ("", "unknown", "none", "n/a", "null") else s


def when(value: Any) -> datetime | None:
    """A legacy timestamp (DuckDB datetime, SQLite text, ISO string) as a naive datetime."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else nz.parse_time(value.isoformat())
    return nz.parse_time(value)


def as_json(value: Any) -> dict[str, Any]:
    """A legacy JSON column (text in SQLite and drifted DuckDB files, dict otherwise) as a dict;
    an empty or unparsable value gives {} (unparsable text is kept under ``raw``)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            parsed = json.loads(value)
        except ValueError:
            return {"raw": value}
        return parsed if isinstance(parsed, dict) else {"value": parsed}
    return {"value": value}


def plain(value: Any) -> Any:
    """A value made JSON-safe for ``metrics``/``details`` (datetimes as ISO text, NaN as None)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def legacy_hardware(spelling: Any) -> tuple[str, str | None, bool]:
    """Legacy hardware spelling -> (canonical type or 'unknown', informative device name, mock)."""
    hw, mock = nz.hardware(spelling)
    canonical = hw or "unknown"
    device = nz.informative_device_name(spelling, hw) if text(spelling) else None
    return canonical, device, mock
