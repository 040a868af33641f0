"""Annotations: marks of an intended change in result series (table ``annotations``, rev 0002;
a generic benchmark's name and parameters since rev 0003).

The record type is ``benchwh.records.Annotation``; this module writes and reads its rows.
An annotation says "from ``effective_at`` on, results of the series it matches are expected to
differ": regression detection starts those series' baselines afresh there. Filter columns left
NULL match any value (an annotation with only a model matches every series of that model).
The id is a content hash of every field but ``created_at``, so writing the same annotation
twice adds one row.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

import pyarrow as pa

from benchwh.records import EXPECTED_CHANGE, FILTERS, Annotation  # noqa: F401  (the record type)
from benchwh.warehouse.tables import SCHEMAS

def add_annotation(con, ann: Annotation) -> bool:
    """Write ``ann`` as one row of ``annotations`` in one transaction; False when an
    identical annotation (same id) is already there. ``created_at`` defaults to now: it
    records when the mark was made, never a measurement time."""
    from benchwh.warehouse.write import WriteStats, commit, insert_new

    row = {f.name: getattr(ann, f.name) for f in fields(ann)}
    row["annotation_id"] = ann.annotation_id
    row["created_at"] = ann.created_at or datetime.now()
    schema = SCHEMAS["annotations"]
    tbl = pa.Table.from_arrays([pa.array([row[f.name]], f.type) for f in schema], schema=schema)
    def body(c) -> WriteStats:
        return WriteStats(inserted={"annotations": insert_new(c, "annotations", tbl).num_rows})

    # Through the shared commit: on DuckLake a conflict re-runs the body and a copy committed
    # by another machine at the same moment is settled.
    if not commit(con, body, what="annotate")["annotations"]:
        return False
    return True


def read_annotations(con) -> list[Annotation]:
    """Every annotation, oldest ``effective_at`` first."""
    names = [f.name for f in fields(Annotation)]
    rows = con.execute(
        f"SELECT {', '.join(names)} FROM annotations ORDER BY effective_at, annotation_id"
    ).fetchall()
    return [Annotation(**dict(zip(names, r))) for r in rows]


def count_matching_results(con, ann: Annotation) -> int:
    """How many completed results the annotation's filters cover (to warn about a typo in a
    model or hardware name). Values travel as parameters."""
    from benchwh.warehouse.flat import FLAT_SELECT

    where, params = ["status = 'completed'"], []
    for name in FILTERS:
        value = getattr(ann, name)
        if value is not None:
            where.append(f"{name} = ?")
            params.append(value)
    from benchwh.warehouse.read import benchmark_where

    w, a = benchmark_where("", None, ann.param_pairs())
    where += w
    params += a
    sql = f"SELECT count(*) FROM ({FLAT_SELECT}) flat WHERE " + " AND ".join(where)
    return int(con.execute(sql, params).fetchone()[0])


def annotate_warehouse(db, ann: Annotation, timeout_s: float | None = None) -> tuple[bool, int]:
    """Open the warehouse ``db`` (a Location or ``--db`` text), write ``ann`` and close.
    Returns (added: False if it was already there, completed results it matches)."""
    from benchwh.warehouse.open import open_warehouse

    with open_warehouse(db, timeout_s=timeout_s) as con:
        added = add_annotation(con, ann)
        return added, count_matching_results(con, ann)
