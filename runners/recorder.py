"""The recorder: the API scripts (and the legacy runners) use to put results in the warehouse.

    from benchwh.runners.recorder import Recorder

    with Recorder(db="bench.duckdb", origin="my_bench") as rec:
        rec.result(model_name="bert-base-uncased", hardware_type="cuda", batch_size=8,
                   **result_fields(samples_ms, items_per_call=8))

Entering captures the run's environment once (a RunInfo). Each result is written when
``flush_every`` of them are waiting, in one short transaction (the warehouse is held for
milliseconds, not for the run); a warehouse locked past the bounded wait gets the batch
spooled beside it (``benchwh.warehouse.spool``). With ``store=False`` nothing touches the
warehouse stack: results go to an interchange JSON file (``output``) that ``benchwh import``
reads later. Leaving the block (normally or by an exception) writes what is still waiting.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from benchwh.errors import BenchwhError, LockedError
from benchwh.records import CompatFact, Record, Result, RunInfo, RunMeta, TestOutcome
from benchwh.runners.environment import capture, utc_now


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr)


class Recorder:
    """Opens a run, takes records, writes them in short transactions (or to a JSON file).

    ``db``/``data_path``: the warehouse (``--db`` rules: default $BENCHWH_DB, ./benchwh.duckdb).
    ``store``: write to the warehouse (False: only ``output``). ``output``: an interchange file,
    rewritten atomically at each flush with every record so far. ``flush_every``: records per
    transaction. ``lock_timeout_s``: the bounded lock wait (default $BENCHWH_LOCK_TIMEOUT).
    ``visualize``: a PNG drawn from the warehouse for the recorded models at the end.
    """

    def __init__(self, db: str | None = None, *, origin: str = "benchwh.recorder", store: bool = True,
                 output: str | Path | None = None, data_path: str | None = None, flush_every: int = 1,
                 lock_timeout_s: float | None = None, run: RunInfo | None = None,
                 torch: ModuleType | None = None, metadata: dict[str, Any] | None = None,
                 visualize: str | Path | None = None, argv: list[str] | None = None,
                 say: Callable[[str], None] = _stderr):
        if not store and output is None:
            raise BenchwhError("results not stored in the warehouse need a file: pass an output path "
                               "(`--output FILE.json`)")
        self.db, self.data_path, self.store = db, data_path, store
        self.output = Path(output) if output is not None else None
        self.origin, self.flush_every = origin, max(1, int(flush_every))
        self.lock_timeout_s, self.say = lock_timeout_s, say
        self.visualize_png = Path(visualize) if visualize else None
        self._run, self._torch, self._metadata, self._argv = run, torch, metadata, argv
        self.records: list[Record] = []   # everything taken (the output file holds all of it)
        self._waiting: list[Record] = []  # not yet written to the warehouse
        self.written = 0                  # records handed to the warehouse in transactions
        self.inserted_results = 0
        self.spooled: list[Path] = []
        self.loc = None
        self._open = False

    # --- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> "Recorder":
        if self.store:
            self.loc = self._preflight()
        self.run = self._run or capture(self.origin, torch=self._torch, argv=self._argv,
                                        metadata_=self._metadata)
        self._waiting.append(RunMeta(self.run))  # the run is a fact even if nothing follows
        self._open = True
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._open = False
        self.flush()
        self.say(self.summary())
        if self.visualize_png is not None and exc_type is None:
            visualize(self.db, self.model_names(), self.visualize_png)

    def _preflight(self):
        """Refuse a missing or outdated warehouse before anything is measured; a locked one is
        fine (its writes will wait or spool)."""
        from benchwh.warehouse.location import resolve
        from benchwh.warehouse.open import open_warehouse

        loc = resolve(self.db, self.data_path)
        try:
            with open_warehouse(loc, read_only=loc.is_file, timeout_s=0):
                pass
        except LockedError:
            pass
        return loc

    # --- taking records ------------------------------------------------------------------
    def add(self, record: Record) -> Record:
        """Take one record (a Result, CompatFact, TestOutcome...); write when enough wait."""
        if not self._open:
            raise BenchwhError("Recorder.add outside its `with` block: open the recorder first")
        self.records.append(record)
        self._waiting.append(record)
        if sum(1 for r in self._waiting if not isinstance(r, RunMeta)) >= self.flush_every:
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

    # --- writing -------------------------------------------------------------------------
    def flush(self) -> None:
        """Write what is waiting: one warehouse transaction (or a spool file), and the output
        file rewritten with everything so far."""
        if self.output is not None:
            from benchwh.interchange import write_file

            write_file(self.output, [RunMeta(self.run)] + self.records)
        if not self.store:
            self._waiting = []
            return
        if not self._waiting:
            return
        from benchwh.warehouse.spool import write_or_spool

        batch, self._waiting = self._waiting, []
        outcome = write_or_spool(self.loc, batch, timeout_s=self.lock_timeout_s, say=self.say)
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
