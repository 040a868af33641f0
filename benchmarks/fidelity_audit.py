"""How faithfully `benchwh import` brings a folder of legacy files in.

    python benchmarks/fidelity_audit.py FOLDER [--keep DB] [--show N]

Imports FOLDER into a fresh warehouse (the real migrations, the real import) and measures:

(a) ``unknown_share``: files quarantined as "unknown format" / all files;
(b) ``recall``: of every measurement-like number (a key naming time, latency, throughput,
    memory, tokens, duration..., not a timestamp, shape, limit or setting) in the files that
    were imported or quarantined, the share found in the warehouse rows that the file's own
    records name (their ids; their runs' metadata and environment included), after unit
    conversion (s->ms, GB->MiB, bytes->MiB...);
(c) ``hour_shifted``: results and test outcomes whose time differs from their own run's start
    by a whole, non-zero number of hours (one run spread over two clocks);
(d) ``repeated``: facts stored twice: two result rows with the same model, hardware,
    configuration, scenario and numbers whose times are equal, or a whole number of hours apart
    to the second (the same moment on two clocks), or both missing; or two test outcomes alike
    in the same way. (Equal constants at other moments are other facts: see placeholders.)

The last line is ``unknown_share=... recall=... hour_shifted=... repeated=...``. Goals: unknown
share <= 1%, recall >= 99.5%, 0 hour-shifted, 0 repeated.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

# A key names a measurement when one of these words is in it...
_MEASURE = re.compile(
    r"latenc|throughput|memory|_mb$|_mb_|_gb$|_gib$|_mib$|token|duration|elapsed|time|_ms$|_s$|"
    r"seconds|per_sec|per_second|fps|speed|real_time_factor|rtf", re.IGNORECASE)
# ...and none of these (times of day, sizes of inputs, limits and settings are not measurements).
_NOT_MEASURE = re.compile(
    r"timestamp|date|_at$|^at$|time_?zone|shape|limit|max_(new_)?tokens|max_length|timeout|"
    r"budget|threshold|target|interval|delay|backoff|retry|total_memory|available|capacity|"
    r"start_time|end_time|^start$|^end$|runtime_?version|num_tokens_limit|context|window|"
    r"sequence_length|seq_len|batch|vocab|hidden|layers|heads|dim$|size$|count$|_id$|version",
    re.IGNORECASE)
# Child keys of a stats dict under a measurement key (``latency: {min, max, mean}``).
_STAT = re.compile(r"^(min|max|mean|median|avg|average|std|stdev|p\d+|value|total|"
                   r"\d+)$", re.IGNORECASE)
_FACTORS = (1.0, 1e3, 1e-3, 1024.0, 1 / 1024.0, 1 / 1048576.0, 1e6, 1e-6, 1 / 1073741824.0 * 1024)
_EPOCH_RANGE = (946684800, 4102444800)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def measurement_numbers(doc) -> list[tuple[str, float]]:
    """(pointer, number) of every measurement-like number in ``doc``."""
    out: list[tuple[str, float]] = []

    def measure_key(key: str, parent_measure: bool) -> bool:
        if _NOT_MEASURE.search(key):
            return False
        if _MEASURE.search(key):
            return True
        return parent_measure and bool(_STAT.match(key))

    def walk(node, path: str, key: str, measure: bool) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                k = str(k)
                walk(v, f"{path}/{k}", k, measure_key(k, measure))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}", key, measure)
        elif measure and _is_num(node):
            if "time" in key.lower() and _EPOCH_RANGE[0] <= node < _EPOCH_RANGE[1]:
                return  # an epoch under a *_time key is a moment, not a duration
            out.append((path, float(node)))
    walk(doc, "", "", False)
    return out


def _numbers(value, into: list[float]) -> None:
    if _is_num(value):
        into.append(float(value))
    elif isinstance(value, dict):
        for v in value.values():
            _numbers(v, into)
    elif isinstance(value, list):
        for v in value:
            _numbers(v, into)


def _found(v: float, have: list[float]) -> bool:
    for f in _FACTORS:
        t = v * f
        tol = max(abs(t) * 1e-6, 1e-9)
        for h in have:
            if abs(h - t) <= tol:
                return True
    return False


def _same_moment(a, b) -> bool:
    """Two copies of one fact: both undated, or equal times, or times a whole number of hours
    apart (one copy read on another clock). Equal numbers at other times are other facts."""
    if a is None or b is None:
        return a is None and b is None
    d = abs((a - b).total_seconds())
    return abs(d - round(d / 3600) * 3600) < 1 and d < 86400


def audit(folder: Path, db_path: Path, show: int = 0) -> dict:
    from benchwh.importing import discover, run_import
    from benchwh.legacy_import.convert import convert_bytes
    from benchwh.records import CompatFact, Result, TestOutcome
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate
    from benchwh.warehouse.open import open_warehouse

    t0 = time.perf_counter()
    loc = resolve(str(db_path))
    migrate(loc)
    report = run_import(loc, [folder], jobs=1)
    t_import = time.perf_counter() - t0
    files = report.files
    n_files = len(files)
    unknown = [f for f in files if f["status"] == "quarantined" and (f["reason"] or "").startswith("unknown format")]
    status_of = {f["path"]: f["status"] for f in files}

    num_cols = ["latency_ms_mean", "latency_ms_p50", "latency_ms_p90", "latency_ms_p95", "latency_ms_p99",
                "latency_ms_min", "latency_ms_max", "latency_ms_std", "throughput_items_per_s",
                "throughput_tokens_per_s", "memory_peak_mb", "load_time_ms", "iterations", "warmup_iterations"]
    with open_warehouse(loc, read_only=True) as con:
        res_vals: dict[str, list[float]] = {}
        for row in con.execute(f"SELECT result_id, {', '.join(num_cols)}, latency_samples_ms, metrics FROM results").fetchall():
            vals: list[float] = []
            _numbers(list(row[1:-2]), vals)
            _numbers(row[-2] or [], vals)
            _numbers(json.loads(row[-1]) if row[-1] else {}, vals)
            res_vals[row[0]] = vals
        test_vals: dict[str, list[float]] = {}
        for tid, dur, details in con.execute("SELECT test_id, duration_s, details FROM test_results").fetchall():
            vals = []
            _numbers(dur, vals)
            _numbers(json.loads(details) if details else {}, vals)
            test_vals[tid] = vals
        run_vals: dict[str, list[float]] = {}
        for rid, meta, env in con.execute("SELECT run_id, metadata, environment FROM runs").fetchall():
            vals = []
            _numbers(json.loads(meta) if meta else {}, vals)
            _numbers(json.loads(env) if env else {}, vals)
            run_vals[rid] = vals
        compat_vals: dict[str, list[float]] = {}
        for cid, details in con.execute("SELECT compat_id, details FROM compatibility").fetchall():
            vals = []
            _numbers(json.loads(details) if details else {}, vals)
            compat_vals[cid] = vals
        shifted = con.execute(
            "SELECT count(*) FROM (SELECT f.measured_at AS m, r.started_at AS s FROM results f JOIN runs r USING (run_id) "
            "UNION ALL SELECT f.measured_at, r.started_at FROM test_results f JOIN runs r USING (run_id)) "
            "WHERE m IS NOT NULL AND s IS NOT NULL AND abs(epoch(m) - epoch(s)) >= 1800 "
            "AND abs(epoch(m) - epoch(s) - round((epoch(m) - epoch(s)) / 3600) * 3600) < 60").fetchone()[0]
        rows = con.execute(
            f"SELECT r.result_id, m.model_name, h.hardware_type, h.device_name, r.mode, r.scenario, r.batch_size, "
            f"r.sequence_length, r.input_shape, r.precision, {', '.join(num_cols)}, "
            f"r.latency_samples_ms, r.measured_at, r.source_file FROM results r "
            f"JOIN models m USING (model_id) JOIN hardware h USING (hardware_id)").fetchall()
        tests = con.execute(
            "SELECT test_id, module, test_name, model_name, hardware_type, status, duration_s, measured_at, source_file "
            "FROM test_results WHERE duration_s IS NOT NULL").fetchall()

    # (b) recall, per file, against the rows its own records name
    total = found = 0
    missing: list[tuple[str, str, float]] = []
    for src in discover([folder]):
        if status_of.get(src.rel_path) not in ("imported", "quarantined"):
            continue
        data = Path(src.path).read_bytes()
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            continue  # malformed: no numbers can be read from it by anyone
        nums = measurement_numbers(doc)
        if not nums:
            continue
        have: list[float] = []
        if status_of[src.rel_path] == "imported":
            out = convert_bytes(data, src.rel_path)
            for rid in {rec.run.run_id for rec in out.records if hasattr(rec, "run")}:
                have.extend(run_vals.get(rid, ()))
            for rec in out.records:
                if isinstance(rec, Result):
                    have.extend(res_vals.get(rec.result_id, ()))
                elif isinstance(rec, TestOutcome):
                    have.extend(test_vals.get(rec.test_id, ()))
                elif isinstance(rec, CompatFact):
                    have.extend(compat_vals.get(rec.compat_id, ()))
        have = sorted(set(have))
        for ptr, v in nums:
            total += 1
            if have and _found(v, have):
                found += 1
            else:
                missing.append((src.rel_path, ptr, v))
    recall = found / total if total else 1.0

    # (d) repeated facts
    def groups(items, key_of, time_of):
        by: dict[tuple, list] = defaultdict(list)
        for it in items:
            by[key_of(it)].append(it)
        dup = 0
        examples = []
        for key, its in by.items():
            if len(its) < 2:
                continue
            its.sort(key=lambda x: (time_of(x) is None, time_of(x) or 0))
            kept: list = []
            for it in its:
                t = time_of(it)
                if any(_same_moment(time_of(k), t) for k in kept):
                    dup += 1
                    examples.append((key, it[-1]))
                else:
                    kept.append(it)
        return dup, examples

    def res_key(r):
        return tuple(round(x, 9) if isinstance(x, float) else x for x in r[1:10 + len(num_cols)]) + (
            tuple(r[10 + len(num_cols)] or ()),)

    with_numbers = [r for r in rows if any(x is not None for x in r[10:10 + len(num_cols)]) or r[10 + len(num_cols)]]
    rep_res, ex_res = groups(with_numbers, res_key, lambda r: r[-2])
    rep_test, ex_test = groups(tests, lambda t: t[1:7], lambda t: t[-2])
    repeated = rep_res + rep_test

    unknown_share = len(unknown) / n_files if n_files else 0.0
    print(f"folder: {folder}")
    print(f"files: {n_files}; imported {sum(1 for f in files if f['status'] == 'imported')}, "
          f"skipped {sum(1 for f in files if f['status'] == 'skipped')}, "
          f"quarantined {sum(1 for f in files if f['status'] == 'quarantined')} ({len(unknown)} unknown format)")
    print(f"rows: results {len(rows)}, test outcomes {len(test_vals)}, compatibility {len(compat_vals)}")
    print(f"measurement-like numbers: {total}, found {found}")
    print(f"hour-shifted facts: {shifted}; repeated facts: results {rep_res}, tests {rep_test}")
    print(f"import {t_import:.1f} s, audit {time.perf_counter() - t0:.1f} s")
    if show:
        for f in unknown[:show]:
            print(f"  unknown: {f['path']}: {f['reason']}")
        by_file: dict[str, int] = defaultdict(int)
        for path, _p, _v in missing:
            by_file[path] += 1
        for path, n in sorted(by_file.items(), key=lambda x: -x[1])[:show]:
            ex = [f"{p}={v}" for q, p, v in missing if q == path][:3]
            print(f"  missing {n}: {path}: {'; '.join(ex)}")
        for key, src in (ex_res + ex_test)[:show]:
            print(f"  repeated: {src}: {key[:4]}")
    line = (f"unknown_share={unknown_share:.4f} recall={recall:.4f} hour_shifted={shifted} repeated={repeated}")
    print(line)
    return {"unknown_share": unknown_share, "recall": recall, "hour_shifted": shifted, "repeated": repeated,
            "missing": missing, "unknown": unknown}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path, nargs="?", help="a folder of legacy result files")
    ap.add_argument("--smoke", action="store_true",
                    help="audit the bundled golden fixtures (tests/fixtures/legacy): a check that it runs")
    ap.add_argument("--keep", type=Path, help="write the warehouse here (default: a temporary file)")
    ap.add_argument("--show", type=int, default=0, help="list this many unknown files, missing numbers, repeats")
    a = ap.parse_args(argv)
    if a.folder is None:
        if not a.smoke:
            ap.error("give a FOLDER (or --smoke)")
        a.folder = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "legacy"
    if not a.folder.is_dir():
        print(f"Error: {a.folder}: no such folder", file=sys.stderr)
        return 1
    if a.keep:
        if a.keep.exists():
            print(f"Error: {a.keep} exists: give a new path", file=sys.stderr)
            return 1
        audit(a.folder, a.keep, a.show)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        audit(a.folder, Path(tmp) / "audit.duckdb", a.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
