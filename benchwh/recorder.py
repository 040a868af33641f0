"""The recorder: the API scripts (and the runners) use to put results in the warehouse.

    from benchwh import Recorder      # or benchwh.Warehouse(db).recorder(origin=...)

    with Recorder(db="bench.duckdb", origin="my_bench") as rec:
        rec.result(model_name="bert-base-uncased", hardware_type="cuda", batch_size=8,
                   **result_fields(samples_ms, items_per_call=8))

Entering captures the run's environment once (a RunInfo). Each record is first appended to a
journal (one line, fsynced before ``add`` returns: ``benchwh.warehouse.spool.Journal``) in the
spool folder beside the warehouse, then written to the warehouse in batches: when
``flush_every`` records wait or ``flush_interval_s`` has passed since the last write, in one
short transaction (the warehouse is held for milliseconds, not for the run). A written batch's
journal is removed; a batch that cannot get the lock past the bounded wait stays there, and a
journal left by a killed process is appended by the next writer or ``benchwh ingest --spool``.
With ``store=False`` nothing touches the warehouse stack: results go to an interchange file
(``output``) that ``benchwh import`` reads later. The output file is a journal too while the run
lasts (appended, never rewritten) and becomes one plain interchange document when the block
ends. Leaving the block (normally or by an exception) writes what is still waiting. Nothing is
printed unless ``say`` is given.

The recorder also publishes the run's progress by itself (``benchwh.progress``: a small file
beside the warehouse that ``benchwh serve`` shows, never a warehouse write, so a locked warehouse
cannot delay it): started on entering, configuration k of N as results are taken (N when
``total`` is given or ``expect`` states it), the configuration under way (``configuration``),
an ETA, then finished or failed on leaving. ``on_progress`` receives each update too.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from benchwh.errors import BenchwhError, LockedError, cli_message
from benchwh.records import CompatFact, Record, Result, RunInfo, RunMeta, TestOutcome
from benchwh.runners.environment import capture, utc_now


class Recorder:
    """Opens a run, takes records, journals each one, writes them in short transactions.

    ``db``/``data_path``: the warehouse (``--db`` rules: default $BENCHWH_DB, ./benchwh.duckdb).
    ``store``: write to the warehouse (False: only ``output``). ``output``: an interchange file,
    appended per record and made one plain document at the end. ``flush_every``: records per
    transaction; ``flush_interval_s``: the longest a taken record waits for its transaction
    (checked when the next record comes and at the end). ``lock_timeout_s``: the bounded lock
    wait (default $BENCHWH_LOCK_TIMEOUT). ``visualize``: a PNG drawn from the warehouse for the
    recorded models at the end. ``say``: where messages go (default: nowhere).
    ``total``: the configurations the run will record, when known; ``what``: a label for the
    progress (default ``origin``); ``progress``: publish progress (beside the warehouse; with
    ``store=False`` only where $BENCHWH_PROGRESS_DIR says); ``on_progress``: called with the
    progress document after each update.
    """

    def __init__(self, db: str | None = None, *, origin: str = "benchwh.recorder", store: bool = True,
                 output: str | Path | None = None, data_path: str | None = None, flush_every: int = 100,
                 flush_interval_s: float = 2.0, lock_timeout_s: float | None = None, run: RunInfo | None = None,
                 torch: ModuleType | None = None, metadata: dict[str, Any] | None = None,
                 visualize: str | Path | None = None, argv: list[str] | None = None,
                 say: Callable[[str], None] | None = None, total: int | None = None,
                 what: str | None = None, progress: bool = True,
                 on_progress: Callable[[dict[str, Any]], None] | None = None):
        if not store and output is None:
            raise BenchwhError("results not stored in the warehouse need a file: pass an output path "
                               "(`--output FILE.json`)")
        self.db, self.data_path, self.store = db, data_path, store
        self.output = Path(output) if output is not None else None
        self.origin, self.flush_every = origin, max(1, int(flush_every))
        self.flush_interval_s = float(flush_interval_s)
        self.lock_timeout_s, self.say = lock_timeout_s, say or (lambda s: None)
        self.visualize_png = Path(visualize) if visualize else None
        self._run, self._torch, self._metadata, self._argv = run, torch, metadata, argv
        self.records: list[Record] = []   # everything taken
        self._waiting: list[Record] = []  # not yet written to the warehouse (all in the journal)
        self._n_waiting = 0               # of which results, facts, outcomes (not the run)
        self._journal = None              # the spool journal holding what waits
        self._out = None                  # the output file's journal
        self._last_write = time.monotonic()
        self.written = 0                  # records handed to the warehouse in transactions
        self.inserted_results = 0
        self.spooled: list[Path] = []
        self.loc = None
        self._open = False
        self._total, self._what, self._publish, self._on_progress = total, what, progress, on_progress
        self.progress = None              # the run's benchwh.progress.Progress while open
        self._configs: set[tuple] = set()
        self._announced = False

    # --- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> "Recorder":
        if self.store:
            self.loc = self._preflight()
        self.run = self._run or capture(self.origin, torch=self._torch, argv=self._argv,
                                        metadata_=self._metadata)
        meta = RunMeta(self.run)  # the run is a fact even if nothing follows
        if self.output is not None:
            from benchwh.interchange import journal_line
            from benchwh.warehouse.spool import Journal

            # with a warehouse the spool journal is the durable copy; alone, this one is
            self._out = Journal.create(self.output, journal_line([meta]), sync=not self.store)
        self._take(meta)
        self._open = True
        self._last_write = time.monotonic()
        self._start_progress()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._open = False
        try:
            try:
                self.flush()
            finally:
                self._finish_output()
        except BaseException as e:
            self._end_progress(type(e), e)
            raise
        self._end_progress(exc_type, exc)
        self.say(self.summary())
        if self.visualize_png is not None and exc_type is None:
            visualize(self.db, self.model_names(), self.visualize_png)

    def _preflight(self):
        """Refuse a missing or outdated warehouse before anything is measured; a locked one is
        fine (its writes will wait or spool)."""
        from benchwh.warehouse.location import Location, resolve
        from benchwh.warehouse.open import open_warehouse

        loc = self.db if isinstance(self.db, Location) else resolve(self.db, self.data_path)
        try:
            with open_warehouse(loc, read_only=loc.is_file, timeout_s=0):
                pass
        except LockedError:
            pass
        except BenchwhError as e:
            # whoever runs a benchmark script fixes its warehouse from the command line
            e.args = (cli_message(e),)
            raise
        return loc

    def _start_progress(self) -> None:
        from benchwh.progress import ENV_PROGRESS_DIR, Progress, progress_dir

        folder = None
        if self._publish and (self.store or os.environ.get(ENV_PROGRESS_DIR)):
            folder = progress_dir(self.loc if self.store else None)
        if folder is not None or self._on_progress is not None:
            self.progress = Progress(folder, self.run.run_id, self._total, self._what or self.origin,
                                     listener=self._on_progress).start()

    def _end_progress(self, exc_type, exc) -> None:
        if self.progress is None:
            return
        if exc_type is None:
            self.progress.finish()
        else:
            self.progress.fail(f"{exc_type.__name__}: {exc}")

    def expect(self, total: int | None) -> None:
        """State how many configurations the run will record (for k of N and the ETA)."""
        self._total = total
        if self.progress is not None:
            self.progress.expect(total)

    def configuration(self, label: str) -> None:
        """Say which configuration is being measured now (shown as the run's current one)."""
        self._announced = True
        if self.progress is not None:
            self.progress.begin(str(label))

    def _finish_output(self) -> None:
        """The output journal becomes one plain interchange document (atomically)."""
        if self._out is None:
            return
        from benchwh.interchange import write_file

        out, self._out = self._out, None
        try:
            write_file(self.output, [RunMeta(self.run)] + self.records)
        finally:
            out.keep()

    # --- taking records ------------------------------------------------------------------
    def _take(self, record: Record) -> None:
        """Journal ``record`` (one appended line, on disk before this returns) and keep it."""
        from benchwh.interchange import journal_line

        line = journal_line([record])  # a value JSON cannot carry fails here, before any write
        if isinstance(record, Result):
            from benchwh.validate import result_problem

            why = result_problem(record)  # the rule import and merge apply: never stored as a measurement
            if why is not None:
                raise BenchwhError(f"result of {record.model_name or record.benchmark} on {record.hardware_type} "
                                   f"refused: {why}")
        if self.store:
            from benchwh.warehouse.spool import Journal
            from benchwh.warehouse.write import Batch

            Batch().add(record)  # a record the warehouse would refuse fails here too
            if self._journal is None:
                self._journal = Journal.in_spool(self.loc, line)
            else:
                self._journal.append(line)
            self._waiting.append(record)
        if self._out is not None:
            self._out.append(line)

    def add(self, record: Record) -> Record:
        """Take one record (a Result, CompatFact, TestOutcome...); write when enough wait."""
        if not self._open:
            raise BenchwhError("Recorder.add outside its `with` block: open the recorder first")
        self._take(record)
        self.records.append(record)
        self._n_waiting += 1
        self._count_configuration(record)
        if self.store and (self._n_waiting >= self.flush_every
                           or time.monotonic() - self._last_write >= self.flush_interval_s):
            self.flush()
        return record

    def result(self, model_name: str, hardware_type: str, **fields: Any) -> Result:
        """Build a Result of this run and take it. ``measured_at`` defaults to now: pass the
        time the configuration was measured when it is not the moment you hand it over."""
        fields.setdefault("measured_at", utc_now())
        return self.add(Result(run=self.run, model_name=model_name, hardware_type=hardware_type, **fields))

    def benchmark(self, name: str, hardware_type: str, *, params: dict[str, Any] | None = None,
                  unit: str | None = None, **fields: Any) -> Result:
        """Build a generic benchmark Result (not a model: ``test_sort``, ``BM_Sort/1024``) of
        this run and take it. ``params`` is a flat map of scalars (part of the result's
        identity: ``{"n": 1000}``), ``unit`` the unit the tool reported its value in; values
        go in benchwh units (``latency_ms_mean`` in ms, ...). ``measured_at`` defaults to now."""
        from benchwh.records import benchmark_params_problem

        if not name:
            raise BenchwhError("Recorder.benchmark needs the benchmark's name")
        problem = benchmark_params_problem(params)
        if problem:
            raise BenchwhError(f"benchmark {name!r}: {problem}")
        fields.setdefault("measured_at", utc_now())
        return self.add(Result(run=self.run, model_name=fields.pop("model_name", None), hardware_type=hardware_type,
                               benchmark=name, benchmark_params=dict(params) if params else None,
                               reported_unit=unit, **fields))

    def compat(self, model_name: str, hardware_type: str, compatible: bool | None, **fields: Any) -> CompatFact:
        fields.setdefault("measured_at", utc_now())
        return self.add(CompatFact(run=self.run, model_name=model_name, hardware_type=hardware_type,
                                   compatible=compatible, **fields))

    def test(self, module: str | None, test_name: str, status: str, **fields: Any) -> TestOutcome:
        fields.setdefault("measured_at", utc_now())
        return self.add(TestOutcome(run=self.run, module=module, test_name=test_name, status=status, **fields))

    def _count_configuration(self, record: Record) -> None:
        """One more configuration done when ``record`` is the first of its configuration."""
        if self.progress is None or not isinstance(record, (Result, CompatFact, TestOutcome)):
            return
        from benchwh.progress import config_key, config_label

        key = config_key(record)
        if key in self._configs:
            return
        self._configs.add(key)
        label = config_label(record)
        current = self.progress.doc["current"] if self._announced else label
        self.progress.step(current, done=len(self._configs), last=label)

    # --- writing -------------------------------------------------------------------------
    def flush(self) -> None:
        """Write what is waiting in one warehouse transaction; its journal then goes (or, when
        the warehouse stays locked, stays in the spool for the next writer)."""
        self._last_write = time.monotonic()
        self._n_waiting = 0
        if not self.store or not self._waiting:
            return
        from benchwh.warehouse.spool import write_journaled

        batch, self._waiting = self._waiting, []
        journal, self._journal = self._journal, None
        outcome = write_journaled(self.loc, batch, journal, timeout_s=self.lock_timeout_s, say=self.say)
        self._last_write = time.monotonic()
        self.written += outcome.records
        if outcome.spooled is not None:
            self.spooled.append(outcome.spooled)
        else:
            self.inserted_results += (outcome.inserted or {}).get("results", 0)

    def model_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.records:
            name = getattr(r, "model_name", None)
            if name:
                seen[name] = None
        return list(seen)

    def summary(self) -> str:
        n = sum(1 for r in self.records if isinstance(r, (Result, CompatFact, TestOutcome)))
        parts = [f"{n} record(s) of run {self.run.run_id[:12]}"]
        if self.store:
            parts.append(f"written to {self.loc}")
            if self.spooled:
                parts.append(f"{len(self.spooled)} batch(es) spooled beside it (warehouse was locked)")
        if self.output is not None:
            parts.append(f"saved in {self.output}")
        return "; ".join(parts)


def visualize(db: str | None, model_names: list[str], png: str | Path) -> Path:
    """Draw what the warehouse holds for ``model_names`` into ``png`` (benchwh.report)."""
    try:
        from benchwh.report import visualize as draw
    except ImportError as e:
        raise BenchwhError(f"--visualize-from-db needs benchwh.report.visualize, which this installation "
                           f"lacks ({e}); the results are stored, draw them later with `benchwh report`") from None
    if isinstance(draw, ModuleType):  # benchwh/report/visualize.py without a re-export
        draw = draw.visualize
    try:
        draw(db, model_names, str(png))
    except ImportError as e:  # a GPU box without the warehouse stack
        raise BenchwhError(f"--visualize-from-db reads the warehouse, which needs the warehouse stack ({e}); "
                           "draw the chart on a machine that has it") from None
    return Path(png)
