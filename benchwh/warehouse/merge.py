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
from benchwh.warehouse.tables import ID_COLUMN, SCHEMAS, WRITE_ORDER
from benchwh.warehouse.write import FACT_TABLES, WriteStats, _flag_simulated, commit, new_ids

CHUNK_ROWS = 100_000


@dataclass
class MergeReport:
    source: str
    added: dict[str, int] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)  # facts marked simulated by the other


def merge(con, target: Location, other: Location) -> MergeReport:
    """Append ``other`` into the open warehouse ``con`` (at ``target``)."""
    if other.backend == FILE and target.backend == FILE and other.path == target.path:
        raise BenchwhError(f"cannot merge {other} into itself")
    report = MergeReport(str(other))
    with connection(other, read_only=other.backend == FILE) as src:
        from benchwh.migrations import HEAD as h

        rev = read_revision(src)
        if rev != h:
            raise RevisionError(
                f"{other} is at revision {rev or 'none'}, this warehouse at {h}: "
                f"run `benchwh migrate --db {other}` first"
            )

        def body(c) -> WriteStats:
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
    """Stream ``table`` from ``src`` in Arrow chunks and insert the rows whose id is new."""
    import pyarrow.compute as pc

    schema, idcol = SCHEMAS[table], ID_COLUMN[table]
    cols = ", ".join(schema.names)
    reader = src.execute(f"SELECT {cols} FROM {table}").to_arrow_reader(CHUNK_ROWS)
    added = seen = 0
    for rb in reader:
        tbl = pa.Table.from_batches([rb]).cast(schema)
        seen += tbl.num_rows
        if table in FACT_TABLES:
            # the other warehouse may know a fact we hold as measured to be simulated
            sim = tbl.filter(pc.equal(tbl.column("is_simulated"), True))
            if sim.num_rows:
                report.flagged[table] = report.flagged.get(table, 0) + _flag_simulated(con, table, sim)
        fresh = new_ids(con, table, tbl.column(idcol).to_pylist())
        if not fresh:
            continue
        tbl = tbl.filter(pc.is_in(tbl.column(idcol), value_set=pa.array(list(fresh), pa.string())))
        con.register("_bw_merge", tbl)
        try:
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _bw_merge")
        finally:
            con.unregister("_bw_merge")
        added += tbl.num_rows
    report.seen[table] = seen
    return added
