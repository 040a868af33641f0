"""``benchwh merge``: append other benchwh warehouses into this one.

Ids are content hashes, so nothing is remapped: each table's rows whose id is not yet present
are appended, streamed in Arrow batches from a read-only connection to the other warehouse (its
path never enters SQL text), all in one transaction. Merging the same warehouse twice adds 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from benchwh.errors import BenchwhError, RevisionError
from benchwh.warehouse.connect import connection
from benchwh.warehouse.location import FILE, Location
from benchwh.warehouse.migrate import read_revision
from benchwh.warehouse.tables import SCHEMAS, WRITE_ORDER
from benchwh.warehouse.write import WriteStats, commit, insert_and_flag

CHUNK_ROWS = 100_000


@dataclass
class MergeReport:
    source: str
    added: dict[str, int] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)  # facts marked simulated by the other
    # rows refused because their ids do not match their content (forged or corrupted)
    refused: dict[str, int] = field(default_factory=dict)
    refused_examples: dict[str, list[str]] = field(default_factory=dict)


def merge(con, target: Location, other: Location) -> MergeReport:
    """Append ``other`` into the open warehouse ``con`` (at ``target``)."""
    if other.backend == FILE and target.backend == FILE and other.path == target.path:
        raise BenchwhError(f"cannot merge {other} into itself")
    report = MergeReport(str(other))
    with connection(other, read_only=other.backend == FILE) as src:
        from benchwh.migrations import HEAD as h

        rev = read_revision(src)
        if rev is None:
            n = src.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()").fetchone()[0]
            if not n:
                raise RevisionError(f"{other} is empty: there is nothing to merge")
            raise RevisionError(f"{other} is not a benchwh warehouse ({n} tables of its own, no benchwh schema)",
                                remedy="adopt-it", db=other,
                                hint=": to bring a legacy warehouse in, adopt it (Warehouse.adopt)")
        if rev != h:
            raise RevisionError(
                f"{other} is at revision {rev or 'none'}, this warehouse at {h}", remedy="migrate-first",
                db=other, hint=": migrate it first (Warehouse.migrate)")

        def body(c) -> WriteStats:
            report.refused, report.refused_examples = {}, {}  # a re-run after a conflict counts afresh
            stats = WriteStats()
            for table in WRITE_ORDER:
                stats.inserted[table] = _copy_table(src, c, table, report)
            return stats

        # One transaction; on DuckLake a commit conflict re-runs the body (it only depends on
        # what it reads) and duplicates committed concurrently are settled (see write.commit).
        stats = commit(con, body, what="merge")
        report.added = {t: stats.inserted.get(t, 0) for t in WRITE_ORDER}
    return report


def _copy_table(src, con, table: str, report: MergeReport) -> int:
    """Stream ``table`` from ``src`` in Arrow chunks and insert the rows whose id is new and
    matches their content (``benchwh.warehouse.verify``); the others are counted as refused."""
    from benchwh.warehouse.verify import keyed_select, split

    schema = SCHEMAS[table]
    reader = src.execute(keyed_select(src, table)).to_arrow_reader(CHUNK_ROWS)
    added = seen = 0
    for rb in reader:
        tbl, bad = split(table, pa.Table.from_batches([rb]))
        seen += tbl.num_rows + len(bad)
        if bad:
            report.refused[table] = report.refused.get(table, 0) + len(bad)
            report.refused_examples.setdefault(table, []).extend(bad[:5 - len(report.refused_examples.get(table, []))])
        tbl = tbl.select(schema.names).cast(schema)
        # the other warehouse may also know a fact we hold as measured to be simulated
        inserted, flagged = insert_and_flag(con, table, tbl)
        added += inserted.num_rows
        if flagged:
            report.flagged[table] = report.flagged.get(table, 0) + flagged
    report.seen[table] = seen
    return added
