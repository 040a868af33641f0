"""``benchwh adopt``: bring an un-versioned legacy warehouse file into this warehouse.

Reads one legacy file read-only through the warehouse layer (``adopt_read``), recognises its
families by the tables and columns inside (star schema, its drifted copy, web tables, flat
converter tables, the pre-DuckDB Parquet store), converts real rows to records with provenance
(the converters, which hold no SQL, live beside the JSON importers:
``benchwh.legacy_import.adopt_star``/``adopt_flat``/``adopt_web``) and writes them with one import-ledger row in one transaction.
Seeded sample rows, synthetic rows and zero-filled rows are never written as measurements;
the report counts them with their reasons. Ids are content hashes, so adopting a file twice
adds nothing. The legacy file is hashed before and after reading; a change is an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchwh.errors import AdoptError
from benchwh.records import CompatFact, Result, TestOutcome
from benchwh.warehouse import adopt_read as rd
from benchwh.legacy_import.adopt_base import Ctx, Tally
from benchwh.legacy_import.adopt_flat import flat_records, index_records, store_records
from benchwh.legacy_import.adopt_star import StarConverter

ADOPT_VERSION = 1  # the ledger's parser_version for adopted files
R_NOT_ADOPTED = "table is not part of a recognised legacy family: not adopted"


@dataclass
class AdoptReport:
    """What adopting one legacy file did (or, with ``dry_run``, would do)."""

    file: str
    sha256: str
    size_bytes: int
    kind: str  # duckdb | sqlite | parquet | csv
    family: str  # e.g. 'star', 'star-drifted', 'star+web+flat', 'parquet-store'
    rows: dict[str, int]  # legacy rows per table
    carried: dict[str, int]  # legacy rows per table that became records
    flagged: list[Tally]  # not measurements: seeded, synthetic, zero-filled, placeholders
    refused: list[Tally]  # could be facts but cannot be carried faithfully
    records: dict[str, int]  # records made: results, compat, tests, runs
    zero_fills_nulled: dict[str, int] = field(default_factory=dict)
    inserted: dict[str, int] | None = None  # new warehouse rows per table; None on dry run
    dry_run: bool = False

    @property
    def n_carried(self) -> int:
        return sum(self.carried.values())

    @property
    def n_flagged(self) -> int:
        return sum(t.count for t in self.flagged)

    @property
    def n_refused(self) -> int:
        return sum(t.count for t in self.refused)

    def summary(self) -> str:
        """One line for the ledger: counts and the reasons behind them."""
        parts = [f"carried {self.n_carried}"]
        for word, tallies in (("flagged", self.flagged), ("refused", self.refused)):
            n = sum(t.count for t in tallies)
            if n:
                why = "; ".join(f"{t.table} {t.count}: {t.reason}" for t in tallies)
                parts.append(f"{word} {n} ({why})")
            else:
                parts.append(f"{word} 0")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "sha256": self.sha256, "size_bytes": self.size_bytes,
            "kind": self.kind, "family": self.family, "dry_run": self.dry_run,
            "carried": self.n_carried, "flagged": self.n_flagged, "refused": self.n_refused,
            "rows": self.rows, "carried_by_table": self.carried,
            "flagged_reasons": [t.to_dict() for t in self.flagged],
            "refused_reasons": [t.to_dict() for t in self.refused],
            "records": self.records, "zero_fills_nulled": self.zero_fills_nulled,
            "inserted": self.inserted,
        }


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fingerprint(path: Path) -> tuple[str, str | None]:
    """sha256 of the file and of a DuckDB write-ahead log beside it (read, never replayed
    into the file: a read-only open keeps the log's changes in memory)."""
    wal = path.with_name(path.name + ".wal")
    return sha256_of(path), (sha256_of(wal) if wal.is_file() else None)


def convert_file(path: str | Path) -> tuple[AdoptReport, list[Any]]:
    """Read and convert one legacy file; writes nothing. Returns the report (``inserted``
    None) and the records. Raises AdoptError: missing file, not a database, unrecognised,
    unreadable, or changed while read."""
    p = Path(path)
    if not p.exists():
        raise AdoptError(f"no such file: {path}")
    if p.is_dir():
        raise AdoptError(f"{path} is a folder: pass one legacy warehouse file")
    before = _fingerprint(p)
    kind = rd.sniff_kind(p)
    tables = rd.read_tables(p, kind)
    if _fingerprint(p) != before:
        raise AdoptError(f"{p.name} changed while it was read (another process writes it?): adopt a copy")
    if "import_ledger" in tables and "alembic_version" in tables:
        raise AdoptError(f"{p.name} is a benchwh warehouse, not a legacy one: bring it in with `benchwh merge`")
    fams = rd.families(tables)
    if not fams:
        raise rd.unrecognised(p.name, tables)

    ctx = Ctx(file_name=p.name, sha256=before[0])
    known = rd.known(tables)
    records: list[Any] = []
    if any(f.startswith("star") or f == "web" for f in fams):
        records += StarConverter(known, ctx).records()
    if "flat" in fams:
        records += flat_records(known, ctx)
    if "parquet-store" in fams:
        records += store_records(known, ctx)
    if "parquet-index" in fams:
        records += index_records(known, ctx)
    for name, t in tables.items():
        if name not in known and t.rows:
            ctx.ledger.refuse(name, R_NOT_ADOPTED, len(t.rows))

    L = ctx.ledger
    report = AdoptReport(
        file=p.name, sha256=before[0], size_bytes=p.stat().st_size, kind=kind, family="+".join(fams),
        rows={n: len(t.rows) for n, t in sorted(tables.items())}, carried=dict(sorted(L.carried.items())),
        flagged=L.tallies(L.flagged), refused=L.tallies(L.refused),
        records={
            "results": sum(isinstance(r, Result) for r in records),
            "compat": sum(isinstance(r, CompatFact) for r in records),
            "tests": sum(isinstance(r, TestOutcome) for r in records),
            "runs": len({r.run.run_id for r in records}),
        },
        zero_fills_nulled=dict(sorted(L.nulled.items())),
    )
    _check_accounting(report)
    return report, records


def _check_accounting(report: AdoptReport) -> None:
    """Every legacy row is carried, flagged or refused exactly once: a converter that loses
    or double-counts rows is a bug, reported rather than written."""
    seen: dict[str, int] = dict(report.carried)
    for t in (*report.flagged, *report.refused):
        seen[t.table] = seen.get(t.table, 0) + t.count
    wrong = {n: (seen.get(n, 0), k) for n, k in report.rows.items() if seen.get(n, 0) != k}
    wrong.update({n: (c, 0) for n, c in seen.items() if n not in report.rows})
    if wrong:
        detail = ", ".join(f"{n}: {got} accounted of {k}" for n, (got, k) in sorted(wrong.items()))
        raise AdoptError(f"adopt lost track of rows in {report.file} ({detail}); this is a benchwh bug")


def adopt(path: str | Path, db: Any = None, dry_run: bool = False,
          timeout_s: float | None = None) -> AdoptReport:
    """Adopt one legacy file into the warehouse ``db`` (a Location or ``--db`` text).

    Reads the legacy file read-only; writes the carried records and one ``import_ledger`` row
    (status 'imported', format 'adopt:<family>', reason = the report summary) in one
    transaction. With ``dry_run`` nothing is written and the warehouse is not opened."""
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.write import LedgerRow, append, batch_of

    report, records = convert_file(path)
    if dry_run:
        report.dry_run = True
        return report
    batch = batch_of(records)
    batch.ledger(LedgerRow(
        file_sha256=report.sha256, path=report.file, size_bytes=report.size_bytes,
        format=f"adopt:{report.family}", parser_version=ADOPT_VERSION, status="imported",
        results=report.records["results"], compat=report.records["compat"],
        tests=report.records["tests"], reason=report.summary(),
        imported_at=datetime.now(),  # when the adoption ran: a ledger fact, not a measurement time
    ))
    with open_warehouse(db, timeout_s=timeout_s) as con:
        try:
            stats = append(con, batch)
        except (OverflowError, ValueError, TypeError) as e:  # pyarrow's ArrowInvalid is a ValueError
            # the file is the unit of an adoption: refused whole, with the reason, nothing written
            raise AdoptError(f"{path}: a value does not fit its benchwh column "
                             f"({' '.join(str(e).split())}); nothing was adopted: fix the legacy row") from None
    report.inserted = dict(stats.inserted)
    return report
