#!/usr/bin/env bash
# The CUDA paths in one call (< 8 minutes on one GPU): eager, compile and cudagraphs for
# bert-base and gpt2 at fp16 and bf16, batch 1, 8 and 32, sequence 128, recorded with
# --no-db-store into interchange files, then one table of the numbers.
#
#   bash benchmarks/gpu_check.sh [OUTDIR]        (default: $OUT, else ./gpu_check_out)
#
# Needs torch with CUDA and transformers (tested against torch 2.11 + transformers 5.17 and
# torch 2.13 + transformers 5.24 on CPU); neither typer nor the warehouse stack: it calls the
# runner library directly. Works from a checkout that is not pip-installed.
set -uo pipefail
cd "$(dirname "$0")/.."
OUTDIR="${1:-${OUT:-./gpu_check_out}}"
mkdir -p "$OUTDIR"
PY="${PYTHON:-$(command -v python || command -v python3)}"
ITER="${GPU_CHECK_ITERATIONS:-30}"
WARMUP="${GPU_CHECK_WARMUP:-5}"

read -r -d '' DRIVER <<'PYEOF'
import sys, time
import benchwh
try:
    import benchwh.runners  # noqa: F401  (installed package)
except ImportError:  # a plain checkout: the top-level folders are benchwh's subpackages
    benchwh.__path__.append(__import__("os").getcwd())
from benchwh.runners.common import SweepSpec
from benchwh.runners.session import Destination, run_sweep
backend, out, iters, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import os
spec = SweepSpec(models=os.environ.get("GPU_CHECK_MODELS", "bert-base,gpt2").split(","),
                 hardware=os.environ.get("GPU_CHECK_HARDWARE", "cuda"),
                 batch_sizes=[int(b) for b in os.environ.get("GPU_CHECK_BATCHES", "1,8,32").split(",")], seq_lens=[128],
                 precisions=["fp16", "bf16"], iterations=iters, warmup=warmup, backend=backend)
t0 = time.time()
recs = run_sweep("inference", spec, Destination(store=False, output=out), lambda m: print(m, flush=True))
print(f"{backend}: {len(recs)} record(s) in {time.time() - t0:.0f} s -> {out}", flush=True)
PYEOF

"$PY" -c "import torch, transformers; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'transformers', transformers.__version__, 'gpu', torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)"
# Budgets in seconds: compile builds 12 graphs (one per model x precision x batch).
for pair in eager:90 cudagraphs:90 compile:270; do
  b="${pair%%:*}"; t="${pair##*:}"
  echo "=== $b (limit ${t}s)"
  timeout "$t" "$PY" -c "$DRIVER" "$b" "$OUTDIR/$b.json" "$ITER" "$WARMUP" 2>&1 | grep -v -i "warn" | tail -40
  echo "=== $b exit ${PIPESTATUS[0]}"
done

"$PY" - "$OUTDIR" <<'PYEOF'
import sys
from pathlib import Path
import benchwh
try:
    import benchwh.runners  # noqa: F401
except ImportError:
    benchwh.__path__.append(__import__("os").getcwd())
from benchwh.interchange import read_file
from benchwh.records import Result
out = Path(sys.argv[1])
rows = {}
for b in ("eager", "cudagraphs", "compile"):
    f = out / f"{b}.json"
    if not f.is_file():
        print(f"{b}: no results file (did not finish)")
        continue
    for r in read_file(f):
        if isinstance(r, Result):
            rows[(r.model_name, r.precision, r.batch_size, b)] = r
print(f"{'model':<18} {'prec':<5} {'batch':>5} | " + " | ".join(f"{b:>22}" for b in ("eager", "cudagraphs", "compile")))
for model in sorted({k[0] for k in rows}):
    for prec in ("fp16", "bf16"):
        for batch in sorted({k[2] for k in rows}):
            cells = []
            for b in ("eager", "cudagraphs", "compile"):
                r = rows.get((model, prec, batch, b))
                if r is None:
                    cells.append(f"{'-':>22}")
                elif r.status != "completed":
                    cells.append(f"{'FAILED':>22}")
                else:
                    extra = f" c{r.metrics.get('compile_time_ms', 0) / 1000:.0f}s" if b != "eager" else ""
                    cells.append(f"{r.latency_ms_p50:8.3f} ms p50{extra:>6}")
            print(f"{model:<18} {prec:<5} {batch:>5} | " + " | ".join(cells))
for k, r in sorted(rows.items()):
    if r.status != "completed":
        print("FAILED", *k, r.error)
PYEOF
