"""``benchwh run training --distributed ddp|fsdp --nproc N``: data-parallel training steps on N
processes of this machine (gloo on cpu, nccl on cuda, one GPU per rank).

One launch per world size runs every configuration (one process: this one): each rank builds the model (same seed),
wraps it (``DistributedDataParallel``, or FSDP2 ``fully_shard`` of the whole model), feeds it
its own random batch and times its own steps. For N > 1 the same configurations are first run
with one process, so each N-process row carries its scaling efficiency
(aggregate samples/s / (N x samples/s of one process)). Results per configuration: one row per
rank (scenario ``ddp-n2-r0``: that rank's step times and samples/s) and one aggregate row
(scenario ``ddp-n2``: per step the slowest rank's time, which is what the job waits for, and
N x batch / that mean as samples/s). The communication share is estimated by timing as many
extra steps with gradient synchronisation switched off (DDP ``no_sync``; FSDP
``set_requires_gradient_sync(False)``, which leaves the parameter all-gathers in):
``1 - mean(unsynchronised) / mean(synchronised)``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from benchwh.records import STATUS_COMPLETED, TRAINING, Result, RunInfo
from benchwh.runners.common import Say, SweepSpec, base_metrics, configurations, error_text, failed, quiet
from benchwh.runners.deps import require
from benchwh.runners.environment import utc_now
from benchwh.runners.models import RunnerError, resolve_model
from benchwh.runners.stats import result_fields

MODES = ("ddp", "fsdp")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wrap(model: Any, mode: str, device: Any, torch: ModuleType):
    if mode == "ddp":
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.torch_device.index] if device.hardware_type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)
    from torch.distributed.fsdp import fully_shard

    return fully_shard(model)


def _no_sync(model: Any, mode: str):
    if mode == "ddp":
        return model.no_sync()

    @contextlib.contextmanager
    def off():
        model.set_requires_gradient_sync(False)
        try:
            yield
        finally:
            model.set_requires_gradient_sync(True)

    return off()


def worker(rank: int, world: int, port: int, job: dict, outdir: str) -> None:
    """One rank: join the group, run every configuration of ``job``, write ``rank<N>.json``
    (per configuration: samples, unsynchronised samples, losses, peak memory or the error)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch, transformers = require("benchwh run training --distributed")
    import torch.distributed as dist

    from benchwh.runners import training
    from benchwh.runners.loading import load, make_inputs, resolve_device, synchronize
    from benchwh.runners.timing import MemoryProbe, current_rss_bytes, release, time_calls

    torch.set_num_threads(job["threads"])
    hw = job["hardware"]
    device = resolve_device(f"cuda:{rank}" if hw == "cuda" else hw, torch)
    if device.hardware_type == "cuda":
        torch.cuda.set_device(device.torch_device)
    dist.init_process_group("nccl" if device.hardware_type == "cuda" else "gloo", rank=rank, world_size=world)
    out: list[dict] = []
    try:
        for cfg in job["configs"]:
            rec: dict[str, Any] = {"rank": rank}
            try:
                spec = resolve_model(cfg["model"])
                release(device, torch)
                baseline = current_rss_bytes()
                lm = load(spec, device, cfg["precision"], torch, transformers, training=True, cast=False)
                rec["load_time_ms"] = lm.load_time_ms
                lm.model = _wrap(lm.model, job["mode"], device, torch)
                inputs, rec["input_shape"] = make_inputs(lm, cfg["batch"], cfg["seq"], device, torch,
                                                         torch.float32, labels=True, seed=1000 + rank)
                step = training.step_fn(lm, inputs, cfg["precision"], device, torch, job["learning_rate"])
                probe = MemoryProbe(device, torch, baseline)
                probe.start()
                for _ in range(job["warmup"]):
                    step()
                synchronize(device, torch)
                dist.barrier()
                samples, losses = time_calls(step, job["iterations"], device, torch, keep=True)
                with _no_sync(lm.model, job["mode"]):
                    unsynced, _ = time_calls(step, job["iterations"], device, torch)
                rec.update(samples=samples, unsynced=unsynced, losses=[float(x) for x in losses],
                           peak_mib=probe.peak_mib(), memory_method=probe.method)
                del lm, step, inputs
            except Exception as e:  # this configuration fails on this rank; the others go on
                rec["error"] = error_text(e)
            out.append(rec)
            dist.barrier()
    finally:
        Path(outdir, f"rank{rank}.json").write_text(json.dumps(out))
        dist.destroy_process_group()


def _launch(world: int, job: dict, torch: ModuleType) -> list[list[dict]] | str:
    """Run ``worker`` on ``world`` processes; per rank its list of configuration records, or
    the launch's error text."""
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory(prefix="benchwh-dist-") as tmp:
        try:
            if world == 1:  # one rank: this process (a spawn costs a second torch import)
                threads = torch.get_num_threads()
                try:
                    worker(0, 1, _free_port(), job, tmp)
                finally:
                    torch.set_num_threads(threads)
            else:
                mp.start_processes(worker, args=(world, _free_port(), job, tmp), nprocs=world,
                                   start_method="spawn", join=True)
        except Exception as e:  # a rank died: no results of this world size
            return f"{world}-process launch failed: {error_text(e)}"
        ranks = []
        for r in range(world):
            path = Path(tmp, f"rank{r}.json")
            if not path.is_file():
                return f"rank {r} of {world} wrote no results"
            ranks.append(json.loads(path.read_text()))
    return ranks


def _rows(spec: SweepSpec, run: RunInfo, device: Any, mode: str, world: int, cfg: dict,
          per_rank: list[dict], measured_at, single_rate: float | None) -> list[Result]:
    model = resolve_model(cfg["model"])
    b, s, p = cfg["batch"], cfg["seq"], cfg["precision"]
    notes = {"distributed": mode, "world_size": world, "per_rank_batch": b, "global_batch": b * world,
             "process_group": "nccl" if device.hardware_type == "cuda" else "gloo",
             "threads_per_rank": cfg["threads"], "optimizer": "AdamW", "learning_rate": spec.learning_rate,
             "communication_method": ("DDP no_sync steps" if mode == "ddp" else
                                      "FSDP set_requires_gradient_sync(False) steps (all-gathers remain)")}
    errors = [f"rank {r['rank']}: {r['error']}" for r in per_rank if "error" in r]
    base = f"{mode}-n{world}"
    if errors:
        err = "; ".join(errors)
        return [failed(run, model, device, TRAINING, sc, b, s, p, err, measured_at,
                       metrics=base_metrics(model, dict(notes, rank=r)))
                for r, sc in [(None, base)] + [(i, f"{base}-r{i}") for i in range(world)]]
    rows = []
    for r in per_rank:
        f = result_fields(r["samples"], items_per_call=b)
        comm = 1.0 - (sum(r["unsynced"]) / len(r["unsynced"])) / f["latency_ms_mean"]
        rows.append(Result(
            run=run, model_name=model.model_name, model_family=model.family, modality=model.modality,
            hardware_type=device.hardware_type, device_name=device.device_name, mode=TRAINING,
            scenario=f"{base}-r{r['rank']}", batch_size=b, sequence_length=s, input_shape=r["input_shape"],
            precision=p, status=STATUS_COMPLETED, memory_peak_mb=r["peak_mib"], load_time_ms=r["load_time_ms"],
            warmup_iterations=spec.warmup, measured_at=measured_at,
            metrics=base_metrics(model, dict(notes, rank=r["rank"], loss_per_step=r["losses"],
                                             unsynchronised_step_ms=r["unsynced"],
                                             communication_share_estimate=comm,
                                             memory_method=r["memory_method"])),
            **f))
    slowest = [max(r["samples"][i] for r in per_rank) for i in range(len(per_rank[0]["samples"]))]
    agg = result_fields(slowest, items_per_call=b * world)
    rate = agg["throughput_items_per_s"]
    extra = {"rank": None, "aggregate": "per step: the slowest rank's time; samples/s = world x batch / mean",
             "per_rank_samples_per_s": [x.throughput_items_per_s for x in rows],
             "communication_share_estimate": sum(x.metrics["communication_share_estimate"] for x in rows) / world}
    if single_rate is not None and rate is not None:
        extra["scaling_efficiency"] = rate / (world * single_rate)
        extra["single_process_samples_per_s"] = single_rate
    peaks = [x.memory_peak_mb for x in rows if x.memory_peak_mb is not None]
    rows.insert(0, Result(
        run=run, model_name=model.model_name, model_family=model.family, modality=model.modality,
        hardware_type=device.hardware_type, device_name=device.device_name, mode=TRAINING, scenario=base,
        batch_size=b, sequence_length=s, input_shape=rows[0].input_shape, precision=p,
        status=STATUS_COMPLETED, memory_peak_mb=max(peaks) if peaks else None,
        load_time_ms=max(x.load_time_ms for x in rows), warmup_iterations=spec.warmup,
        measured_at=measured_at, metrics=base_metrics(model, dict(notes, **extra)), **agg))
    return rows


def run_distributed(spec: SweepSpec, run: RunInfo, mode: str, nproc: int, say: Say = quiet) -> Iterator[Result]:
    """Every configuration on ``nproc`` processes (and first on one, for scaling efficiency),
    as training Results of ``run``: per configuration the aggregate row, then one per rank."""
    if mode not in MODES:
        raise RunnerError(f"--distributed {mode}: use {' or '.join(MODES)}")
    if nproc < 1:
        raise RunnerError("--nproc must be >= 1")
    spec.validate()
    torch, _ = require("benchwh run training --distributed")
    from benchwh.runners.loading import resolve_device

    device = resolve_device(spec.hardware, torch)
    if device.hardware_type not in ("cpu", "cuda"):
        raise RunnerError(f"--distributed runs on cpu (gloo) or cuda (nccl), not {device.hardware_type}")
    if device.hardware_type == "cuda" and nproc > torch.cuda.device_count():
        raise RunnerError(f"--nproc {nproc} needs {nproc} GPUs; this machine has {torch.cuda.device_count()}")
    models = [resolve_model(m) for m in spec.models]
    configs = [dict(model=m.key, precision=p, batch=b, seq=s)
               for m in models for p in spec.precisions for b, s in configurations(spec, m)]
    single: dict[int, float | None] = {}
    for world in ([1, nproc] if nproc > 1 else [1]):
        threads = spec.threads or max(1, (os.cpu_count() or 1) // world) if device.hardware_type == "cpu" \
            else (spec.threads or torch.get_num_threads())
        for c in configs:
            c["threads"] = threads
        job = dict(mode=mode, hardware=device.hardware_type, configs=configs, threads=threads,
                   iterations=spec.iterations, warmup=spec.warmup, learning_rate=spec.learning_rate)
        say(f"{mode} on {world} process(es), {threads} thread(s) each, {len(configs)} configuration(s)")
        measured_at = utc_now()
        ranks = _launch(world, job, torch)
        for i, cfg in enumerate(configs):
            if isinstance(ranks, str):
                per_rank = [{"rank": r, "error": ranks} for r in range(world)]
            else:
                per_rank = [ranks[r][i] for r in range(world)]
            rows = _rows(spec, run, device, mode, world, cfg, per_rank, measured_at,
                         single.get(i) if world > 1 else None)
            if world == 1:
                single[i] = rows[0].throughput_items_per_s
            agg = rows[0]
            say(f"  {cfg['model']} {cfg['precision']} b={cfg['batch']} x{world}: " + (
                f"{agg.throughput_items_per_s:.1f} samples/s" + (
                    f", scaling efficiency {agg.metrics['scaling_efficiency']:.2f}"
                    if "scaling_efficiency" in agg.metrics else "")
                if agg.status == STATUS_COMPLETED else f"FAILED {agg.error}"))
            yield from rows
