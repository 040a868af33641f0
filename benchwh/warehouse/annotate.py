"""Annotations: marks of an intended change in result series (table ``annotations``, rev 0002;
a generic benchmark's name and parameters since rev 0003).

An annotation says "from ``effective_at`` on, results of the series it matches are expected to
differ": regression detection starts those series' baselines afresh there. Filter columns left
NULL match any value (an annotation with only a model matches every series of that model).
The id is a content hash of every field but ``created_at``, so writing the same annotation
twice adds one row.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Mapping

import pyarrow as pa

from benchwh.records import content_id
from benchwh.warehouse.tables import SCHEMAS

EXPECTED_CHANGE = "expected-change"

# Columns of a series key an annotation can narrow on (NULL = any).
FILTERS = ("model_name", "hardware_type", "device_name", "batch_size", "sequence_length", "precision",
           "benchmark")


@dataclass(frozen=True, slots=True)
class Annotation:
    effective_at: datetime
    note: str | None = None
    model_name: str | None = None
    hardware_type: str | None = None
    device_name: str | None = None
    batch_size: int | None = None
    sequence_length: int | None = None
    precision: str | None = None
    metric: str | None = None  # a metric column or family name; None = every metric
    kind: str = EXPECTED_CHANGE
    created_at: datetime | None = None  # when it was written (bookkeeping, not part of the id)
    benchmark: str | None = None  # a generic benchmark's name (exact)
    # parameters the series must have: JSON text of {key: value text}, matched as ``--param``
    # filters are (``benchwh.warehouse.read.params_match``); None = any
    benchmark_params: str | None = None

    @property
    def annotation_id(self) -> str:
        base = ("annotation", self.kind, self.model_name, self.hardware_type, self.device_name,
                self.batch_size, self.sequence_length, self.precision, self.metric,
                self.effective_at, self.note)
        if self.benchmark is None and self.benchmark_params is None:
            return content_id(*base)  # ids of model annotations stay what they were
        return content_id(*base, self.benchmark, self.benchmark_params)

    def param_pairs(self) -> list[tuple[str, str]]:
        import json

        return list(json.loads(self.benchmark_params).items()) if self.benchmark_params else []

    def matches(self, key: Mapping[str, Any], metric: str, family: str | None = None) -> bool:
        """Does this annotation cover the series with ``key`` (series key columns) and
        ``metric`` (of ``family``)?"""
        for name in FILTERS:
            want = getattr(self, name)
            if want is not None and key.get(name) != want:
                return False
        if self.benchmark_params is not None:
            from benchwh.warehouse.read import params_match

            if not params_match(key.get("benchmark_params"), self.param_pairs()):
                return False
        return self.metric is None or self.metric in (metric, family)


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
