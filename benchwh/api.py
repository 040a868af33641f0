"""``benchwh.Warehouse``: the one object a script holds, and what every ``benchwh`` command calls.

    import benchwh

    wh = benchwh.Warehouse("bench.duckdb")
    wh.migrate()
    wh.import_(["results/"])
    df = wh.latest(model="bert-tiny", hardware="cuda")        # a Polars DataFrame
    with wh.recorder(origin="my_bench") as rec: ...

Each method makes one call into the library (``benchwh.warehouse`` for SQL, ``benchwh.importing``,
``benchwh.regress``, ``benchwh.report``) and returns what it returns: data, never text; nothing is
printed unless a ``say``/``progress`` callable is given. A warehouse is opened for the length of
one call (a DuckDB file admits one writer: holding it would lock out every other process).
Query methods take the filters as keywords; model, hardware and precision names are matched as
the user spells them (``bert-tiny``, ``CUDA``), an unknown one raising ``QueryError`` with the
closest stored name. Importing this module loads nothing heavy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

if TYPE_CHECKING:  # pragma: no cover - names for the annotations only
    from benchwh.records import Annotation
    from benchwh.warehouse.location import Location


def parse_params(params: Any) -> tuple[tuple[str, str], ...]:
    """``["n=1000"]`` texts or ``{"n": "1000"}`` / pairs -> ``(key, value)`` pairs."""
    if not params:
        return ()
    if isinstance(params, dict):
        return tuple((str(k), str(v)) for k, v in params.items())
    items = list(params)
    if all(isinstance(p, str) for p in items):
        from benchwh.warehouse.read import parse_params

        return parse_params(items)
    return tuple((str(k), str(v)) for k, v in items)


class Warehouse:
    """A benchwh warehouse: a DuckDB file, ``:memory:``, ``ducklake:FILE.ducklake`` or
    ``ducklake:postgres:CONNINFO`` (``db``; default ``$BENCHWH_DB``, else ./benchwh.duckdb), with
    ``data_path`` for a lake's data files. Creating the object touches nothing."""

    def __init__(self, db: "str | Location | None" = None, data_path: str | None = None):
        from benchwh.warehouse.location import Location, resolve

        self.location = db if isinstance(db, Location) else resolve(db, data_path)
        self.data_path = data_path  # as given: also the default data folder of lakes merged in

    @property
    def in_memory(self) -> bool:
        """``:memory:``: a warehouse that lasts as long as one opening."""
        from benchwh.warehouse.location import MEMORY

        return self.location.backend == MEMORY

    @classmethod
    def open(cls, db: "str | Location | None" = None, data_path: str | None = None) -> "Warehouse":
        """The same as ``Warehouse(db, data_path)`` (sqlite-utils' spelling)."""
        return cls(db, data_path)

    def __repr__(self) -> str:
        return f"Warehouse({str(self.location)!r})"

    def __str__(self) -> str:
        return str(self.location)

    # --- schema and health ------------------------------------------------------------
    def migrate(self, to: str = "head", *, say: Callable[[str], None] | None = None, keep_backups: int = 3):
        """Upgrade or downgrade to revision ``to`` (``head``, ``base`` or an id), creating the
        warehouse if need be; returns ``MigrateResult`` (its ``message`` says what happened)."""
        from benchwh.warehouse.migrate import migrate

        return migrate(self.location, to, say=say or (lambda s: None), keep_backups=keep_backups)

    def migrate_sql(self, to: str = "head") -> str:
        """The SQL a migration to ``to`` would run; the warehouse is not touched."""
        from benchwh.warehouse.migrate import offline_sql

        return offline_sql(self.location, to)

    def status(self) -> dict[str, Any]:
        """Location, backend, whether it exists, current/head revision, pending revisions, rows
        per table."""
        from benchwh.warehouse.status import status

        return status(self.location)

    def check(self, sample: int = 5) -> dict[str, Any]:
        """Integrity checks: ``{"ok", "problems": [{"check", "count", "examples"}], "checked"}``."""
        from benchwh.warehouse.check import check_warehouse

        return check_warehouse(self.location, sample)

    # --- data in ----------------------------------------------------------------------
    def import_(self, paths: Iterable[str | Path], *, format: str | None = None, dry_run: bool = False,
                progress: Callable[[int, int, str], None] | None = None, jobs: int | None = None,
                max_file_size: "int | str | None" = None, source_tz: str | None = None,
                sink: Callable[[dict], None] | None = None):
        """Import every result file under ``paths`` (see ``benchwh.importing.run_import``);
        returns the ``ImportReport``."""
        from benchwh.importing import run_import

        return run_import(self.location, paths, forced=format, dry_run=dry_run, progress=progress, jobs=jobs,
                          max_file_size=max_file_size, source_tz=source_tz, sink=sink)

    def record(self, records: Iterable[Any], timeout_s: float | None = None):
        """Write ``records`` (``benchwh.records``) in one transaction; returns ``WriteStats``."""
        from benchwh.warehouse.write import write_records

        return write_records(self.location, records, timeout_s=timeout_s)

    def recorder(self, origin: str = "benchwh.recorder", **options: Any):
        """A ``Recorder`` (a context manager) writing to this warehouse; ``options`` as
        ``benchwh.recorder.Recorder`` takes them."""
        from benchwh.recorder import Recorder

        return Recorder(self.location, origin=origin, **options)

    def adopt(self, legacy: str | Path, *, dry_run: bool = False):
        """Carry a legacy warehouse file's real rows over with provenance (``dry_run``: convert
        and report only, the warehouse is not opened); returns the ``AdoptReport``."""
        from benchwh.warehouse.adopt import adopt

        return adopt(legacy, db=None if dry_run else self.location, dry_run=dry_run)

    def merge(self, others: "Sequence[str | Location | Warehouse]", *, data_path: str | None = None) -> list:
        """Append each of ``others`` (warehouses; ``data_path``: their lake data folder when it
        is not this one's) into this one, in one opening; returns a ``MergeReport`` each."""
        from benchwh.warehouse.location import Location, resolve
        from benchwh.warehouse.merge import merge
        from benchwh.warehouse.open import open_warehouse

        def where(o: Any) -> Location:
            if isinstance(o, Warehouse):
                return o.location
            return o if isinstance(o, Location) else resolve(o, data_path or self.data_path)

        with open_warehouse(self.location) as con:
            return [merge(con, self.location, where(o)) for o in others]

    def ingest_spool(self):
        """Write the batches spooled beside the warehouse while it was locked; returns
        ``DrainStats``."""
        from benchwh.warehouse.spool import ingest

        return ingest(self.location)

    def spool_dir(self) -> Path:
        from benchwh.warehouse.spool import spool_dir

        return spool_dir(self.location)

    def annotate(self, annotation: "Annotation") -> tuple[bool, int]:
        """Store ``annotation`` (an expected change); returns (added, completed results it matches)."""
        from benchwh.warehouse.annotate import annotate_warehouse

        return annotate_warehouse(self.location, annotation)

    # --- data out ---------------------------------------------------------------------
    def filters(self, *, model: str | None = None, hardware: str | None = None, batch_size: int | None = None,
                precision: str | None = None, since: Any = None, until: Any = None,
                include_simulated: bool = False, benchmark: str | None = None, params: Any = None):
        """The ``Filters`` these keywords make, with names resolved to the stored ones."""
        from benchwh.warehouse.queries import resolved
        from benchwh.warehouse.read import Filters

        f = Filters(model, hardware, batch_size, precision, since, until, include_simulated, benchmark,
                    parse_params(params))
        return resolved(self.location, f)[0]

    def names(self, **names: Any) -> dict[str, Any]:
        """``model=``, ``hardware=``, ``precision=`` values (a value or a list) resolved to the
        stored names; None stays None."""
        from benchwh.warehouse.queries import resolved

        return resolved(self.location, **names)[1]

    def latest(self, *, limit: int | None = None, **filters: Any):
        """The newest result per model (or benchmark + parameters) x hardware x configuration."""
        from benchwh.warehouse import queries

        return queries.latest(self.location, self.filters(**filters), limit=limit)

    def compare_hardware(self, model: str | None = None, *, limit: int | None = None, **filters: Any):
        """One model (or ``benchmark=``) on every hardware type, per configuration, fastest first."""
        from benchwh.warehouse import queries

        f = self.filters(model=model, **filters)
        return queries.compare_hardware(self.location, f.model, f, limit=limit)

    def compare_models(self, hardware: str, *, limit: int | None = None, **filters: Any):
        """Every model (and generic benchmark) on one hardware type, per configuration."""
        from benchwh.warehouse import queries

        f = self.filters(hardware=hardware, **filters)
        return queries.compare_models(self.location, f.hardware, f, limit=limit)

    def trend(self, model: str | None, hardware: str, metric: str = "latency", *, limit: int | None = None,
              **filters: Any):
        """``metric`` (latency, throughput, memory) over time, one series per configuration."""
        from benchwh.warehouse import queries

        f = self.filters(model=model, hardware=hardware, **filters)
        return queries.trend(self.location, f.model, f.hardware, metric, f, limit=limit)

    def matrix(self, *, limit: int | None = None, **filters: Any):
        """Compatibility, model x hardware: the newest evidence and its date."""
        from benchwh.warehouse import queries

        return queries.matrix(self.location, self.filters(**filters), limit=limit)

    def runs(self, *, limit: int | None = None, **filters: Any):
        """Runs with matching results or compatibility facts, newest first, with counts."""
        from benchwh.warehouse import queries

        return queries.runs(self.location, self.filters(**filters), limit=limit)

    def sql(self, statement: str, dialect: str = "duckdb", *, limit: int | None = None):
        """One read-only SELECT (checked; anything else is refused), as a DataFrame."""
        from benchwh.warehouse.sqlguard import run_sql

        return run_sql(self.location, statement, dialect, limit=limit)

    def regressions(self, settings: Any = None, *, baseline: str | None = "previous",
                    metrics: Iterable[str] | None = None, model: str | None = None, hardware: str | None = None,
                    benchmark: str | None = None, params: Any = None):
        """Each series' latest result judged against its baseline (``benchwh.regress.Settings``);
        returns the ``RegressionReport``."""
        from benchwh.regress import Settings, check_metric, find_regressions

        for m in metrics or ():
            check_metric(m)
        names = self.names(model=model, hardware=_hardware(hardware))
        return find_regressions(self.location, settings or Settings(), baseline=baseline, metrics=metrics,
                                model=names["model"], hardware=names["hardware"], benchmark=benchmark,
                                params=parse_params(params))

    def changes(self, settings: Any = None, *, metrics: Iterable[str] | None = None, model: str | None = None,
                hardware: str | None = None, since: Any = None, benchmark: str | None = None):
        """Every change point of every selected series (``ChangeSettings``); returns the
        ``ChangesReport``."""
        from benchwh.regress import check_metric
        from benchwh.regress.changes import ChangeSettings, find_changes

        for m in metrics or ():
            check_metric(m)
        names = self.names(model=model, hardware=_hardware(hardware))
        return find_changes(self.location, settings or ChangeSettings(), metrics=metrics, model=names["model"],
                            hardware=names["hardware"], since=since, benchmark=benchmark)

    def export(self, out: str | Path, format: str = "parquet", *, model: str | None = None,
               hardware: str | None = None, since: Any = None, partition_by: Sequence[str] | None = None,
               incremental: bool = False, overwrite: bool = False):
        """The flat results table (the export contract) to ``out``; returns ``ExportResult``."""
        from benchwh.warehouse.export import export

        names = self.names(model=model, hardware=hardware)
        return export(self.location, out, format, model=names["model"], hardware=names["hardware"],
                      since=since, partition_by=list(partition_by or ()), incremental=incremental,
                      overwrite=overwrite)

    def report(self, out_html: str | Path | None = None, png_dir: str | Path | None = None, *,
               models: Sequence[str] | None = None, progress: Callable[[str], None] | None = None):
        """The interactive HTML page (and/or every chart as PNG); returns ``ReportFiles``."""
        from benchwh.report import write_report

        if models:
            models = self.names(model=list(models))["model"]
        return write_report(self.location, out_html, png_dir, models=models or None, progress=progress)


def _hardware(name: str | None) -> str | None:
    """A hardware spelling as benchwh knows it (``CUDA``, ``cuda:0`` -> ``cuda``), else as given."""
    if name is None:
        return None
    from benchwh import normalize as nz

    return nz.hardware_type(name) or name
