"""How fast `benchwh query` and `benchwh export` answer, against the ways one could do without.

    python benchmarks/query_speed.py [--results 1000000] [--json-files 1000] [--repeat 5]

1. Builds a warehouse of ``--results`` results with the real migrations, then fills it with
   a bulk path that exists only here: one ``INSERT ... SELECT`` per table generating rows
   from ``range(N)`` inside DuckDB (no records, no Python per row). The shape is one legacy
   file's worth per run: a run measures one model on one hardware type at one precision, 18
   configurations (batch 1..32 x sequence 32/128/512); 50 models, 8 hardware types; every
   10th run simulated, some failed configurations, 20 raw latency samples per completed
   result and the run's system_info (as real F6 files carry), one compatibility fact per 50
   runs.
2. For each query command, times the library call (``benchwh.warehouse.queries``, DuckDB ->
   Arrow -> Polars) and hand-written DuckDB SQL answering the same question on the same open
   connection, fetched to Arrow, interleaved: one warm-up each, then ``--repeat`` rounds, the
   order rotating each round.
3. Times answering the same question from the equivalent legacy JSON files: writes
   ``--json-files`` files holding the first runs' results in the F6 shape and naming
   (``run_<n>/benchmark_results.json``; seconds; config keys ``batch_<b>_seq_<s>``), scans
   them (read, ``orjson.loads``, walk, keep what the question needs; interleaved with the
   library call) and scales the time per file to the warehouse's number of runs (one file per
   run): a sample, scaled linearly. F6 names say nothing about model or hardware, so every
   question reads every file. The table also shows, as "named", the time if file names did
   carry model and hardware (as F8/F10 names do) and a scanner opened only the matching files.
4. Times ``benchwh.warehouse.export.export`` to Parquet against DuckDB's own
   ``COPY (<hand-written flat SELECT>) TO ... (FORMAT parquet)``, interleaved.
5. Times the CLI end to end, ``benchwh query latest --format json`` (a fresh process writing
   the JSON to a file), against a fresh ``python`` that imports duckdb and Polars, runs the
   hand-written SQL and writes the same rows with ``DataFrame.write_json``, interleaved.

Every figure is printed as min / median / max over the rounds, with the ratio of medians. The
last line is ``vs_sql_max=<worst library/SQL ratio> vs_json_min=<smallest JSON-scan/library
ratio> export_vs_copy=<COPY time / export time> cli_vs_duckdb_polars=<CLI / script>``
(medians). Goals: vs_sql_max <= 1.5, vs_json_min >= 20, export_vs_copy >= 0.8,
cli_vs_duckdb_polars <= 1.3. ``--smoke``: tiny sizes, one round.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

MODELS = 50
HARDWARE = ("cpu", "cuda", "rocm", "mps", "openvino", "qnn", "webnn", "webgpu")
BATCHES = (1, 2, 4, 8, 16, 32)
SEQS = (32, 128, 512)
PER_RUN = len(BATCHES) * len(SEQS)
BASE = datetime(2024, 1, 1)
# What a real F6 file's system_info holds (the corpus's are ~840 bytes); the warehouse keeps
# it as the run's environment, the JSON files carry it, as the legacy ones did.
SYSTEM_INFO = {
    "platform": "Linux-6.8.0-11-generic-x86_64-with-glibc2.39", "python_version": "3.12.3",
    "processor": "x86_64", "hostname": "HOST", "os": "Linux", "os_release": "6.8.0-11-generic",
    "os_version": "#11-Ubuntu SMP PREEMPT_DYNAMIC Wed Feb 14 00:29:05 UTC 2024",
    "architecture": "x86_64", "cpu_count_physical": 4, "cpu_count_logical": 8,
    "total_memory_gb": 62.21421432495117, "available_memory_gb": 37.02216339111328,
    "memory_percent_used": 40.5, "cuda_available": True, "cuda_version": "12.4",
    "cuda_device_count": 1, "cuda_devices": [{"name": "NVIDIA GeForce RTX 3090", "total_memory": 23.69}],
    "mps_available": False, "rocm_available": False, "openvino_available": True,
    "openvino_version": "2025.0.0", "torch_version": "2.6.0+cu124", "transformers_version": "4.49.0",
}

# SQL expressions of run number f (per-run facts) and result number i, shared by the bulk
# insert and the JSON writer below so both describe the same measurements.
GEN = f"""
    i // {PER_RUN} AS f, i % {PER_RUN} AS c,
    'model-' || lpad(((i // {PER_RUN}) % {MODELS})::VARCHAR, 3, '0') AS model_name,
    ({list(HARDWARE)})[1 + ((i // {PER_RUN}) // {MODELS}) % {len(HARDWARE)}] AS hardware_type,
    (['fp32', 'fp16'])[1 + ((i // {PER_RUN}) // {MODELS * len(HARDWARE)}) % 2] AS precision,
    ({list(BATCHES)})[1 + (i % {PER_RUN}) % {len(BATCHES)}] AS batch_size,
    ({list(SEQS)})[1 + (i % {PER_RUN}) // {len(BATCHES)}] AS sequence_length,
    (i // {PER_RUN}) % 10 = 7 AS is_simulated,
    (i % {PER_RUN}) = {PER_RUN - 1} AND (i // {PER_RUN}) % 29 = 0 AS failed,
    TIMESTAMP '{BASE:%Y-%m-%d %H:%M:%S}' + to_minutes((i // {PER_RUN})::BIGINT)
        + to_seconds((i % {PER_RUN})::BIGINT) AS measured_at
"""


def build(db: Path, n: int) -> None:
    """Migrate an empty warehouse, then bulk-insert ``n`` results and their dimensions."""
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    import duckdb

    migrate(resolve(str(db)))
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN")
        con.execute(f"CREATE TEMP TABLE g AS SELECT {GEN} FROM range({n}) t(i)")
        con.execute("""
            INSERT INTO runs (run_id, origin, started_at, git_commit, host, environment, inserted_at)
            SELECT DISTINCT md5('run' || f), 'hardware_benchmark_runner',
                   TIMESTAMP '2024-01-01' + to_minutes(f::BIGINT), substr(md5('c' || (f // 100)), 1, 10),
                   'host-' || (f % 4), replace(?, 'HOST', 'host-' || (f % 4)), TIMESTAMP '2025-01-01' FROM g""",
                    [json.dumps(SYSTEM_INFO)])
        con.execute("""
            INSERT INTO models (model_id, model_name, model_family, modality, inserted_at)
            SELECT DISTINCT md5('model' || model_name), model_name, 'family-' || right(model_name, 1), 'text',
                   TIMESTAMP '2025-01-01' FROM g""")
        con.execute("""
            INSERT INTO hardware (hardware_id, hardware_type, device_name, inserted_at)
            SELECT DISTINCT md5('hw' || hardware_type), hardware_type, NULL, TIMESTAMP '2025-01-01' FROM g""")
        con.execute("""
            INSERT INTO results (result_id, run_id, model_id, hardware_id, mode, batch_size, sequence_length,
                precision, status, error, latency_ms_mean, latency_ms_p50, latency_samples_ms,
                throughput_items_per_s, memory_peak_mb, load_time_ms, iterations, metrics, is_simulated,
                simulation_reason, measured_at, source_file, source_pointer, inserted_at)
            SELECT md5('result' || f || '/' || c), md5('run' || f), md5('model' || model_name),
                   md5('hw' || hardware_type), 'inference', batch_size, sequence_length, precision,
                   CASE WHEN failed THEN 'failed' ELSE 'completed' END,
                   CASE WHEN failed THEN 'out of memory' END,
                   CASE WHEN NOT failed THEN 1.0 + batch_size * sequence_length / 64.0 + (f % 97) / 10.0 END,
                   CASE WHEN NOT failed THEN 0.95 + batch_size * sequence_length / 64.0 + (f % 97) / 10.0 END,
                   CASE WHEN NOT failed THEN list_transform(range(20), lambda x:
                       round((1.0 + batch_size * sequence_length / 64.0 + (f % 97) / 10.0)
                             * (0.9 + ((f + c + x) % 11) / 50.0), 4)) END,
                   CASE WHEN NOT failed THEN 1000.0 * batch_size / (1.0 + batch_size * sequence_length / 64.0) END,
                   CASE WHEN NOT failed THEN 300.0 + batch_size * 12.5 END, 500.0 + f % 13, 10,
                   CASE WHEN c % 9 = 0 THEN '{"total_time_s": 1.5}' END,
                   is_simulated, CASE WHEN is_simulated THEN 'hardware spelled ''cuda (mock)''' END,
                   measured_at, 'bench/run_' || f || '/benchmark_results.json',
                   '/benchmarks/f/' || model_name || '/' || hardware_type, TIMESTAMP '2025-01-01'
            FROM g""")
        con.execute("""
            INSERT INTO compatibility (compat_id, run_id, model_id, hardware_id, compatible, status,
                is_simulated, measured_at, inserted_at)
            SELECT DISTINCT md5('compat' || f), md5('run' || f), md5('model' || model_name),
                   md5('hw' || hardware_type), f % 3 <> 0, CASE WHEN f % 3 <> 0 THEN 'completed' ELSE 'failed' END,
                   false, TIMESTAMP '2024-01-01' + to_minutes(f::BIGINT), TIMESTAMP '2025-01-01'
            FROM g WHERE f % 50 = 0""")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()


# --- hand-written SQL: what someone fluent in DuckDB would write for each question ---------

_JOIN = ("FROM results r JOIN models m ON m.model_id = r.model_id "
         "JOIN hardware h ON h.hardware_id = r.hardware_id LEFT JOIN runs u ON u.run_id = r.run_id")
_COLS = ("m.model_name, h.hardware_type, h.device_name, r.mode, r.scenario, r.batch_size, r.sequence_length, "
         "r.input_shape, r.precision, r.status, r.latency_ms_mean, r.latency_ms_p50, r.throughput_items_per_s, "
         "r.throughput_tokens_per_s, r.memory_peak_mb, r.measured_at, r.is_simulated, r.simulation_reason, "
         "u.origin AS source, r.source_file, r.result_id")
_CFG = "r.mode, r.scenario, r.batch_size, r.sequence_length, r.input_shape, r.precision"
_NEWEST = ("max(struct_pack(m := coalesce(epoch_us(r.measured_at), -9223372036854775807), "
           "i := epoch_us(r.inserted_at), id := r.result_id)).id")


def _winners(where: str) -> str:
    """Ids of the newest result per model, hardware type and configuration, in one hash
    aggregation (tried: row_number() OVER (...) = 1 was several times slower, arg_max(id,
    key) ~1.5x slower). Grouped by hardware *type*, as the question asks (one type may span
    several device names), so the small hardware table is joined."""
    return (f"SELECT {_NEWEST} FROM results r JOIN hardware h USING (hardware_id) "
            f"WHERE NOT r.is_simulated {where} GROUP BY r.model_id, h.hardware_type, r.mode, r.scenario, "
            "r.batch_size, r.sequence_length, r.input_shape, r.precision")


def hand_sql(model: str, hardware: str) -> dict[str, str]:
    m_id = f"(SELECT model_id FROM models WHERE model_name = '{model}')"
    h_id = f"(SELECT hardware_id FROM hardware WHERE hardware_type = '{hardware}')"
    ratio = ("latency_ms_mean / min(latency_ms_mean) OVER (PARTITION BY mode, scenario, batch_size, "
             "sequence_length, input_shape, precision) AS latency_vs_fastest")
    return {
        "latest": f"""SELECT {_COLS} {_JOIN} WHERE r.result_id IN ({_winners("")})
            ORDER BY m.model_name, h.hardware_type, {_CFG}""",
        "compare-hardware": f"""SELECT *, {ratio} FROM (SELECT {_COLS} {_JOIN}
                WHERE r.result_id IN ({_winners(f"AND r.model_id = {m_id}")})) x
            ORDER BY batch_size, sequence_length, precision, latency_ms_mean""",
        "compare-models": f"""SELECT *, {ratio} FROM (SELECT {_COLS} {_JOIN}
                WHERE r.result_id IN ({_winners(f"AND r.hardware_id = {h_id}")})) x
            ORDER BY batch_size, sequence_length, precision, latency_ms_mean""",
        "trend": f"""SELECT m.model_name, h.hardware_type, {_CFG}, r.measured_at, r.latency_ms_mean,
                r.latency_ms_mean / lag(r.latency_ms_mean) OVER (PARTITION BY {_CFG} ORDER BY r.measured_at) - 1
                    AS change_vs_previous, h.device_name, r.status, r.is_simulated, r.run_id, u.git_commit,
                r.source_file, r.result_id
            {_JOIN} WHERE NOT r.is_simulated AND r.model_id = {m_id} AND r.hardware_id = {h_id}
                AND r.latency_ms_mean IS NOT NULL
            ORDER BY {_CFG}, r.measured_at""",
        "matrix": """WITH ev AS (
                SELECT model_id, hardware_id, compatible, status, error, measured_at, inserted_at, source_file,
                       compat_id AS id
                FROM compatibility WHERE NOT is_simulated AND compatible IS NOT NULL
                UNION ALL
                SELECT model_id, hardware_id, status = 'completed', status, error, measured_at, inserted_at,
                       source_file, result_id
                FROM results WHERE NOT is_simulated AND status IN ('completed', 'failed')),
            w AS (SELECT max(struct_pack(m := coalesce(epoch_us(ev.measured_at), -9223372036854775807),
                                         c := compatible, i := epoch_us(ev.inserted_at), id := id)).id AS id
                  FROM ev JOIN hardware h USING (hardware_id) GROUP BY model_id, h.hardware_type)
            SELECT m.model_name, h.hardware_type, ev.compatible, ev.status, ev.measured_at, ev.error,
                   ev.source_file, ev.id
            FROM ev JOIN models m USING (model_id) JOIN hardware h USING (hardware_id)
            WHERE ev.id IN (SELECT id FROM w) ORDER BY 1, 2""",
        "runs": """WITH ev AS (
                SELECT run_id, model_id, hardware_id, measured_at, 1 AS res, 0 AS comp FROM results WHERE NOT is_simulated
                UNION ALL
                SELECT run_id, model_id, hardware_id, measured_at, 0, 1 FROM compatibility WHERE NOT is_simulated),
            agg AS (SELECT run_id, sum(res) AS results, sum(comp) AS compatibility_facts,
                           count(DISTINCT model_id) AS models,
                           array_to_string(list_sort(list(DISTINCT h.hardware_type)), ',') AS hardware_types,
                           min(measured_at) AS first_measured_at, max(measured_at) AS last_measured_at
                    FROM ev JOIN hardware h USING (hardware_id) GROUP BY run_id)
            SELECT u.run_id, u.origin, u.started_at, u.git_commit, u.git_branch, u.host, a.results,
                   a.compatibility_facts, a.models, a.hardware_types, a.first_measured_at, a.last_measured_at
            FROM agg a JOIN runs u USING (run_id) ORDER BY u.started_at DESC, u.run_id""",
    }


# --- the legacy JSON side -------------------------------------------------------------------

def write_json(folder: Path, db: Path, files: int) -> tuple[int, dict[str, int]]:
    """Write the first ``files`` runs as F6-shaped legacy files (seconds); returns
    (files written, {name fragment: number of runs in the warehouse whose file name has it})."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(f"""
            SELECT g.f, g.model_name, g.hardware_type, g.precision, g.batch_size, g.sequence_length,
                   g.is_simulated, g.failed, g.measured_at, r.latency_ms_mean, r.latency_samples_ms, r.throughput_items_per_s
            FROM (SELECT {GEN} FROM range({files * PER_RUN}) t(i)) g
            JOIN results r ON r.result_id = md5('result' || f || '/' || c)
            ORDER BY f, c""").fetchall()
        counts = dict(con.execute("""
            SELECT m.model_name, count(DISTINCT r.run_id) FROM results r JOIN models m USING (model_id) GROUP BY 1
            UNION ALL
            SELECT h.hardware_type, count(DISTINCT r.run_id) FROM results r JOIN hardware h USING (hardware_id) GROUP BY 1
            UNION ALL
            SELECT m.model_name || '_' || h.hardware_type, count(DISTINCT r.run_id)
            FROM results r JOIN models m USING (model_id) JOIN hardware h USING (hardware_id) GROUP BY 1
        """).fetchall())
        counts["*"] = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()
    docs: dict[int, dict] = {}
    for f, model, hw, prec, b, s, sim, failed, at, mean, samples, tput in rows:
        doc = docs.setdefault(f, {
            "timestamp": f"{(BASE + timedelta(minutes=f)):%Y%m%d_%H%M%S}",
            "system_info": dict(SYSTEM_INFO, hostname=f"host-{f % 4}"), "hardware_info": {hw: True},
            "benchmarks": {"family": {model: {(hw + " (mock)") if sim else hw: {
                "status": "completed", "precision": prec, "benchmark_results": {},
                "timestamp": (BASE + timedelta(minutes=f)).isoformat()}}}}})
        entry = next(iter(next(iter(doc["benchmarks"]["family"].values())).values()))
        cfg = {"status": "failed", "error": "out of memory"} if failed else {
            "status": "completed", "avg_latency": mean / 1000.0, "throughput": tput, "iterations": 10,
            "timestamp": at.isoformat()}
        if samples:
            cfg["latencies"] = [x / 1000.0 for x in samples]
        entry["benchmark_results"][f"batch_{b}_seq_{s}"] = cfg
    for f, doc in docs.items():
        # F6 names: benchmark_results.json in a folder per run, nothing about model or hardware
        (folder / f"run_{f:07d}").mkdir()
        (folder / f"run_{f:07d}" / "benchmark_results.json").write_text(json.dumps(doc, indent=2))
    return len(docs), counts


def scan_json(folder: Path, question: str, model: str, hardware: str) -> float:
    """Answer ``question`` over every file in ``folder``; returns the seconds taken."""
    import orjson

    t0 = time.perf_counter()
    best: dict = {}
    for path in sorted(folder.glob("*/benchmark_results.json")):
        doc = orjson.loads(path.read_bytes())
        for fam in doc["benchmarks"].values():
            for m, per_hw in fam.items():
                for spelling, entry in per_hw.items():
                    simulated = "(mock)" in spelling
                    hw = spelling.replace(" (mock)", "")
                    if simulated or (question in ("compare-hardware", "trend") and m != model) or \
                            (question in ("compare-models", "trend") and hw != hardware):
                        continue
                    for key, cfg in entry["benchmark_results"].items():
                        at = cfg.get("timestamp") or entry["timestamp"]
                        if question == "runs":
                            k = doc["timestamp"]
                        elif question == "matrix":
                            k = (m, hw)
                        elif question == "trend":
                            best.setdefault((key, entry["precision"]), []).append((at, cfg.get("avg_latency")))
                            continue
                        else:
                            k = (m, hw, key, entry["precision"])
                        if k not in best or at > best[k][0]:
                            best[k] = (at, cfg.get("avg_latency"))
    return time.perf_counter() - t0


# --- timing ---------------------------------------------------------------------------------

def interleaved(fns, repeat: int) -> list[list[float]]:
    """Seconds of each function in each of ``repeat`` rounds after one warm-up each; within a
    round the order rotates, so a burst of load from elsewhere falls on every side alike."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for r in range(repeat):
        order = list(range(len(fns)))
        order = order[r % len(fns):] + order[:r % len(fns)]
        for k in order:
            t0 = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t0)
    return times


def mmm(xs: list[float]) -> str:
    return f"{min(xs):.4f}/{statistics.median(xs):.4f}/{max(xs):.4f}"


CLI = "from benchwh.cli.quick import main; main()"  # the console script's entry point
SCRIPT = """
import sys, duckdb, polars as pl
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET enable_progress_bar = false")  # as benchwh does
df = pl.from_arrow(con.execute(sys.argv[2]).to_arrow_table())
with open(sys.argv[3], "w") as f:
    f.write(df.write_json())
"""


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=1_000_000)
    ap.add_argument("--json-files", type=int, default=1000, help="legacy files written and scanned (a sample)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None, help="keep the warehouse and files here")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (a check that the benchmark runs)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.results, args.json_files, args.repeat = 2 * PER_RUN * MODELS, 5, 1

    import duckdb

    from benchwh.warehouse import queries
    from benchwh.warehouse.export import export
    from benchwh.warehouse.flat import FLAT_SELECT
    from benchwh.warehouse.read import Filters

    work = args.workdir or Path(tempfile.mkdtemp(prefix="benchwh-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    if db.exists():
        db.unlink()
    t0 = time.perf_counter()
    build(db, args.results)
    print(f"built {args.results:,} results in {time.perf_counter() - t0:.1f}s "
          f"({db.stat().st_size / 2**20:.0f} MiB) at {db}", flush=True)

    legacy = work / "legacy"
    shutil.rmtree(legacy, ignore_errors=True)
    legacy.mkdir()
    written, counts = write_json(legacy, db, min(args.json_files, args.results // PER_RUN))
    model, hardware = "model-000", "cuda"
    need = {"latest": counts["*"], "matrix": counts["*"], "runs": counts["*"],
            "compare-hardware": counts[model], "compare-models": counts[hardware],
            "trend": counts[f"{model}_{hardware}"]}

    lib = {
        "latest": lambda con: queries.latest(con),
        "compare-hardware": lambda con: queries.compare_hardware(con, model),
        "compare-models": lambda con: queries.compare_models(con, hardware),
        "trend": lambda con: queries.trend(con, model, hardware, "latency"),
        "matrix": lambda con: queries.matrix(con),
        "runs": lambda con: queries.runs(con, Filters()),
    }
    sqls = hand_sql(model, hardware)
    con = duckdb.connect(str(db), read_only=True)
    print(f"{args.repeat} interleaved rounds; seconds as min/median/max; ratios of medians; JSON scan: "
          f"{written} F6 files ({written * PER_RUN:,} results) scaled to {counts['*']:,} files (one per run)")
    print(f"{'query':<17} {'rows':>8} {'library s':>22} {'SQL s':>22} {'lib/SQL':>8} "
          f"{'JSON scan s (est.)':>26} {'JSON/lib':>9} {'named/lib':>9}")
    vs_sql, vs_json = [], []
    try:
        for name, call in lib.items():
            rows = call(con).height
            sql_rows = con.execute(sqls[name]).to_arrow_table().num_rows
            t_lib, t_sql, t_scan = interleaved(
                [lambda: call(con), lambda: con.execute(sqls[name]).to_arrow_table(),
                 lambda: scan_json(legacy, name, model, hardware)], args.repeat)
            t_json = [t / written * counts["*"] for t in t_scan]
            m_lib, m_sql, m_json = (statistics.median(x) for x in (t_lib, t_sql, t_json))
            m_named = m_json / counts["*"] * need[name]
            vs_sql.append(m_lib / m_sql)
            vs_json.append(m_json / m_lib)
            print(f"{name:<17} {rows:>8,} {mmm(t_lib):>22} {mmm(t_sql):>22} {m_lib / m_sql:>8.2f} "
                  f"{mmm(t_json):>26} {m_json / m_lib:>9.0f} {m_named / m_lib:>9.1f}"
                  + ("" if rows == sql_rows else f"  (SQL rows {sql_rows:,})"), flush=True)
    finally:
        con.close()

    out = work / "export"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()

    def run_export():
        export(str(db), out / "benchwh.parquet", overwrite=True)

    def run_copy():
        c = duckdb.connect(str(db), read_only=True)
        try:
            c.execute(f"COPY ({FLAT_SELECT}) TO '{out / 'copy.parquet'}' (FORMAT parquet)")
        finally:
            c.close()

    t_export, t_copy = interleaved([run_export, run_copy], args.repeat)
    m_export, m_copy = statistics.median(t_export), statistics.median(t_copy)
    print(f"export s {mmm(t_export)} ({args.results / m_export / 1e6:.2f} M rows/s), "
          f"DuckDB COPY s {mmm(t_copy)}: COPY/export = {m_copy / m_export:.2f}")

    def run_cli():
        with open(out / "cli.json", "w") as f:
            subprocess.run([sys.executable, "-c", CLI, "query", "latest", "--db", str(db), "--format", "json"],
                           stdout=f, check=True)

    def run_script():
        subprocess.run([sys.executable, "-c", SCRIPT, str(db), sqls["latest"], str(out / "script.json")],
                       check=True)

    t_cli, t_script = interleaved([run_cli, run_script], args.repeat)
    cli_rows = len(json.loads((out / "cli.json").read_text()))
    script_rows = len(json.loads((out / "script.json").read_text()))
    m_cli, m_script = statistics.median(t_cli), statistics.median(t_script)
    print(f"CLI `query latest --format json` s {mmm(t_cli)} ({cli_rows:,} rows), duckdb+Polars script s "
          f"{mmm(t_script)} ({script_rows:,} rows): CLI/script = {m_cli / m_script:.2f}")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(f"vs_sql_max={max(vs_sql):.2f} vs_json_min={min(vs_json):.0f} export_vs_copy={m_copy / m_export:.2f} "
          f"cli_vs_duckdb_polars={m_cli / m_script:.2f}")


if __name__ == "__main__":
    sys.exit(main())
