"""``benchwh run inference|training|compatibility|models`` and ``benchwh ingest --spool``.

Each command parses, makes one call into ``benchwh.runners.session`` (or the spool), and
formats; the run's progress is drawn on stderr as a rich bar (``benchwh.cli.progress_bar``) when
stderr is a terminal. torch and the warehouse stack are imported only inside the commands that use them:
``--no-db-store`` runs need neither duckdb nor polars, and ``--help`` needs neither torch.
"""

from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, JsonOpt, out, out_json, say, warehouse
from benchwh.cli.progress_bar import TerminalBar
from benchwh.errors import BenchwhError

run_app = typer.Typer(
    name="run", help="Measure models (inference, training, compatibility) and record the results.",
    no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]},
)

ModelsOpt = Annotated[List[str], typer.Option(
    "--model", "--models", "-m",
    help="Model(s): a name from `benchwh run models`, its hub id, or a local Hugging Face folder; "
         "comma-separated or repeated.")]
HardwareOpt = Annotated[str, typer.Option("--hardware", help="cpu, cuda, cuda:N, mps or auto (cuda, else mps, else cpu).")]
BatchOpt = Annotated[str, typer.Option("--batch-sizes", help="Comma-separated batch sizes.")]
SeqOpt = Annotated[str, typer.Option("--seq-lens", help="Comma-separated sequence lengths (see `benchwh run models` for what a length means per model).")]
PrecOpt = Annotated[str, typer.Option("--precision", "--precisions", help="Comma-separated precisions: fp32, fp16, bf16.")]
ItersOpt = Annotated[int, typer.Option("--iterations", help="Timed iterations per configuration (every sample is kept).")]
WarmupOpt = Annotated[int, typer.Option("--warmup", help="Untimed warm-up iterations per configuration.")]
NoStoreOpt = Annotated[bool, typer.Option("--no-db-store", help="Do not touch the warehouse; write --output only (works without duckdb/polars installed).")]
OutputOpt = Annotated[Optional[str], typer.Option("--output", help="Write the run to this benchwh interchange JSON file (`benchwh import` reads it).", show_default=False)]
ThreadsOpt = Annotated[Optional[int], typer.Option("--threads", help="torch intra-op threads (torch.set_num_threads); recorded in the run's environment. Default: torch's.", show_default=False)]
BackendOpt = Annotated[str, typer.Option("--backend", help="eager, compile (torch.compile), cudagraphs (cuda only), onnxruntime or openvino; outputs are checked against eager before timing.")]
VisOpt = Annotated[Optional[str], typer.Option("--visualize-from-db", help="After the run, chart what the warehouse holds for these models into this PNG.", show_default=False)]


def _split(values: List[str] | str) -> list[str]:
    items = [values] if isinstance(values, str) else values
    return [p.strip() for v in items for p in v.split(",") if p.strip()]


def _ints(text: str, flag: str) -> list[int]:
    try:
        return [int(p) for p in _split(text)]
    except ValueError:
        raise BenchwhError(f"{flag} {text!r}: give comma-separated integers such as 1,4,16") from None


def _dest(db, data_path, no_db_store, output, visualize):
    from benchwh.runners.session import Destination

    return Destination(db=db, data_path=data_path, store=not no_db_store, output=output, visualize=visualize)


def _report(records, as_json: bool) -> None:
    from benchwh.runners.session import summary_rows

    rows = summary_rows(records)
    if as_json:
        out_json(rows)
        return
    for r in rows:
        if "compatible" in r:
            verdict = {True: "yes", False: "NO", None: "unknown"}[r["compatible"]]
            out(f"{r['model']:<32} {r['hardware']:<6} compatible: {verdict}" + (f"  ({r['error']})" if r["error"] else ""))
            continue
        cfg = f"{r['model']:<32} {r['hardware']:<5} {r['backend'] or '-':<11} {r['scenario'] or '-':<8} {r['precision']:<5} b={r['batch']:<4} s={r['seq'] if r['seq'] is not None else '-':<5}"
        if r["status"] != "completed":
            out(f"{cfg} FAILED: {r['error']}")
            continue
        rate = ", ".join(([f"{r['items_per_s']:.1f} items/s"] if r["items_per_s"] is not None else [])
                         + ([f"{r['tokens_per_s']:.1f} tokens/s"] if r["tokens_per_s"] else []))
        mem = f", peak {r['peak_mib']:.0f} MiB" if r["peak_mib"] is not None else ""
        out(f"{cfg} mean {r['mean_ms']:.3f} ms  p50 {r['p50_ms']:.3f}  p99 {r['p99_ms']:.3f}  {rate}{mem}")


def _sweep(kind: str, models, hardware, batch_sizes, seq_lens, precision, iterations, warmup,
           db, data_path, no_db_store, output, visualize, as_json, **extra) -> None:
    from benchwh.runners.common import SweepSpec
    from benchwh.runners.session import run_sweep

    spec = SweepSpec(models=_split(models), hardware=hardware, batch_sizes=_ints(batch_sizes, "--batch-sizes"),
                     seq_lens=_ints(seq_lens, "--seq-lens"), precisions=_split(precision),
                     iterations=iterations, warmup=warmup, **extra)
    with TerminalBar() as bar:
        records = run_sweep(kind, spec, _dest(db, data_path, no_db_store, output, visualize), say, on_progress=bar)
    _report(records, as_json)


@run_app.command("inference")
def inference(
    models: ModelsOpt, hardware: HardwareOpt = "auto", batch_sizes: BatchOpt = "1", seq_lens: SeqOpt = "128",
    precision: PrecOpt = "fp32", iterations: ItersOpt = 10, warmup: WarmupOpt = 3,
    scenario: Annotated[str, typer.Option("--scenario", help="forward (one forward pass) or generate (greedy generation: prefill, per-token decode and end-to-end results, tokens/s).")] = "forward",
    new_tokens: Annotated[int, typer.Option("--new-tokens", help="With --scenario generate: tokens generated per item (>= 2).")] = 16,
    backend: BackendOpt = "eager", threads: ThreadsOpt = None,
    db: DbOpt = None, data_path: DataPathOpt = None, no_db_store: NoStoreOpt = False,
    output: OutputOpt = None, visualize_from_db: VisOpt = None, as_json: JsonOpt = False,
) -> None:
    """Time inference of each model x precision x batch size x sequence length.

    Every iteration's latency is kept, with mean/p50/p90/p95/p99/min/max/std.

    Also recorded: throughput, peak memory, load time, the run's environment.

    A configuration that fails is recorded as failed, with its error; the run goes on.

    A non-eager --backend is prepared per configuration (its compile time kept apart) and its
    outputs must match eager's within the precision's tolerance, or the configuration fails.
    """
    _sweep("inference", models, hardware, batch_sizes, seq_lens, precision, iterations, warmup, db,
           data_path, no_db_store, output, visualize_from_db, as_json, scenario=scenario, new_tokens=new_tokens,
           backend=backend, threads=threads)


@run_app.command("training")
def training(
    models: ModelsOpt, hardware: HardwareOpt = "auto", batch_sizes: BatchOpt = "1", seq_lens: SeqOpt = "128",
    precision: PrecOpt = "fp32", iterations: ItersOpt = 5, warmup: WarmupOpt = 2,
    learning_rate: Annotated[float, typer.Option("--learning-rate", help="AdamW learning rate.")] = 1e-4,
    distributed: Annotated[Optional[str], typer.Option("--distributed", help="ddp or fsdp: data-parallel on --nproc processes (gloo on cpu, nccl on cuda); per-rank and aggregate results, scaling efficiency against one process.", show_default=False)] = None,
    nproc: Annotated[int, typer.Option("--nproc", help="With --distributed: number of processes (one GPU each on cuda).")] = 2,
    threads: ThreadsOpt = None,
    db: DbOpt = None, data_path: DataPathOpt = None, no_db_store: NoStoreOpt = False,
    output: OutputOpt = None, visualize_from_db: VisOpt = None, as_json: JsonOpt = False,
) -> None:
    """Time optimizer steps on random data for each configuration.

    Step times are the latency samples and samples/s the throughput.

    The loss of every timed step is kept in the result's metrics.

    With --distributed: one row per rank and one aggregate row per configuration.
    """
    _sweep("training", models, hardware, batch_sizes, seq_lens, precision, iterations, warmup, db,
           data_path, no_db_store, output, visualize_from_db, as_json, learning_rate=learning_rate,
           distributed=distributed, nproc=nproc if distributed else 1, threads=threads)


@run_app.command("compatibility")
def compatibility(
    models: ModelsOpt,
    hardware: Annotated[str, typer.Option("--hardware", help="Comma-separated: cpu, cuda, cuda:N, mps, auto.")] = "cpu",
    db: DbOpt = None, data_path: DataPathOpt = None, no_db_store: NoStoreOpt = False,
    output: OutputOpt = None, as_json: JsonOpt = False,
) -> None:
    """Can each model load and run one forward pass on each hardware?

    One compatibility fact per model x hardware, with the error when not.

    Hardware this machine lacks is recorded as unknown (skipped), never as incompatible.
    """
    from benchwh.runners.session import run_compat

    with TerminalBar() as bar:
        records = run_compat(_split(models), _split(hardware),
                             _dest(db, data_path, no_db_store, output, None), say, on_progress=bar)
    _report(records, as_json)


@run_app.command("models")
def models_cmd(as_json: JsonOpt = False) -> None:
    """List the models the runners build by name (random weights, real architectures)."""
    from benchwh.runners.models import list_models

    rows = list_models()
    if as_json:
        out_json(rows)
        return
    for r in rows:
        can = "" if r["buildable"] else (
            f"  [CANNOT BE BUILT: {r['not_buildable_because']}]" if r["buildable"] is False
            else f"  [unknown: {r['not_buildable_because']}]")
        gen = " generate" if r["can_generate"] else ""
        out(f"{r['key']:<22} {r['family']:<10} {r['size']:<9} {r['model_name']:<34} {r['modality']:<10}"
            f" seq = {r['sequence_length']}{gen and ';'}{gen}{can}")
    out("Any local Hugging Face folder (with config.json) works too; its own weights are used.")


def ingest(
    spool: Annotated[bool, typer.Option("--spool", help="Add the batches spooled beside the warehouse while it was locked.")] = False,
    db: DbOpt = None, data_path: DataPathOpt = None, as_json: JsonOpt = False,
) -> None:
    """Add spooled batches to the warehouse (idempotent: a batch already there adds nothing)."""
    if not spool:
        raise BenchwhError("nothing to ingest: pass `--spool` (legacy and interchange files go through `benchwh import`)")
    wh = warehouse(db, data_path)
    stats = wh.ingest_spool()
    if as_json:
        out_json({"spool": str(wh.spool_dir()), "files": stats.files, "records": stats.records,
                  "inserted": stats.inserted, "bad": stats.bad, "removed_tmp": stats.removed_tmp})
    else:
        added = ", ".join(f"{v} {k}" for k, v in stats.inserted.items() if v) or "nothing new"
        out(f"{wh.spool_dir()}: {stats.files} batch(es), {stats.records} record(s): added {added}")
        if stats.removed_tmp:
            out(f"removed {stats.removed_tmp} temporary file(s) left by killed writers (they held no spooled batch)")
    for b in stats.bad:
        say(f"unreadable spool file kept aside: {b}")
    if stats.bad:
        raise BenchwhError(f"{len(stats.bad)} spool file(s) could not be read; they are kept as *.bad for inspection")


def register(app: typer.Typer) -> None:
    import benchwh.cli.run_web  # noqa: F401  (adds `run web` to run_app)

    app.add_typer(run_app, name="run")
    app.command("ingest")(ingest)
