"""Ids checked against content: every row's id (and the ids it links by) recomputed from what
the row says, through ``benchwh.records.expected_ids``. Used by ``merge`` (rows whose ids do not
match are refused, with counts) and ``check`` (they are reported).

Reads the tables named; writes nothing.
"""

from __future__ import annotations

from typing import Iterator

import pyarrow as pa

from benchwh.records import JOINED_KEYS, expected_ids
from benchwh.warehouse.tables import ID_COLUMN

CHUNK_ROWS = 100_000

# The natural-key columns of the rows a fact links to, joined under the names expected_ids reads.
_RUN_JOIN = ("LEFT JOIN runs _r ON _r.run_id = x.run_id",
             '_r.origin AS "_origin", _r.started_at AS "_started_at", _r.recorded_start AS "_recorded_start", '
             '_r.run_key AS "_run_key"')
_DIM_JOIN = ("LEFT JOIN models _m ON _m.model_id = x.model_id "
             "LEFT JOIN hardware _h ON _h.hardware_id = x.hardware_id",
             '_m.model_name AS "_model_name", _h.hardware_type AS "_hardware_type", '
             '_h.device_name AS "_device_name"')


def columns_of(con, table: str) -> list[str]:
    """The table's columns as the warehouse has them (a later migration may add some)."""
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = current_schema() AND table_name = ? ORDER BY column_index", [table]).fetchall()]


def keyed_select(con, table: str) -> str:
    """SELECT of every column of ``table`` plus the joined natural keys its ids need."""
    cols = ", ".join(f'x."{c}"' for c in columns_of(con, table))
    joins, extra = [], []
    if table in ("results", "compatibility", "test_results"):
        joins.append(_RUN_JOIN[0])
        extra.append(_RUN_JOIN[1])
    if table in ("results", "compatibility"):
        joins.append(_DIM_JOIN[0])
        extra.append(_DIM_JOIN[1])
    return f"SELECT {', '.join([cols, *extra])} FROM {table} x {' '.join(joins)}"


def split(table: str, tbl: pa.Table) -> tuple[pa.Table, list[str]]:
    """(the rows whose ids match their content, the stored ids of those that do not or, for
    results, that hold impossible values: ``benchwh.validate``)."""
    from benchwh.validate import row_problem

    rows = tbl.to_pylist()
    keep, bad = [], []
    idcol = ID_COLUMN[table]
    for i, row in enumerate(rows):
        want = expected_ids(table, row)
        if all(row.get(c) == v for c, v in want.items()) and (table != "results" or row_problem(row) is None):
            keep.append(i)
        else:
            bad.append(row[idcol])
    drop = [c for c in JOINED_KEYS if c in tbl.column_names]
    good = tbl.take(pa.array(keep, pa.int64())) if bad else tbl
    return good.drop_columns(drop) if drop else good, bad


def mismatched(con, table: str) -> Iterator[str]:
    """Stored ids of ``table``'s rows whose ids do not match their content."""
    reader = con.execute(keyed_select(con, table)).to_arrow_reader(CHUNK_ROWS)
    for rb in reader:
        yield from split(table, pa.Table.from_batches([rb]))[1]
