"""``benchwh run web``: a model measured inside a real browser (onnxruntime-web on WASM,
WebGPU or WebNN). Parses, makes one call into ``benchwh.runners.web``, formats."""

from __future__ import annotations

from typing import List

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, JsonOpt, say
from benchwh.cli.progress_bar import TerminalBar
from benchwh.cli.run import (
    BatchOpt, ItersOpt, ModelsOpt, NoStoreOpt, OutputOpt, VisOpt, WarmupOpt, _dest, _ints, _report, _split, run_app,
)


@run_app.command("web")
def web(
    models: ModelsOpt,
    backend: Annotated[str, typer.Option("--backend", help="wasm, webgpu or webnn: onnxruntime-web's execution provider; one the browser does not offer is a failed result with the browser's reason, never a fallback.")] = "wasm",
    browser: Annotated[str, typer.Option("--browser", help="The browser: chromium (Debian's, driven by Playwright; nothing is downloaded).")] = "chromium",
    batch_sizes: BatchOpt = "1",
    seq_len: Annotated[int, typer.Option("--seq-len", help="Sequence length of text inputs.")] = 16,
    iterations: ItersOpt = 10, warmup: WarmupOpt = 2,
    threads: Annotated[int, typer.Option("--threads", help="onnxruntime-web wasm threads (the page is cross-origin isolated).")] = 1,
    db: DbOpt = None, data_path: DataPathOpt = None, no_db_store: NoStoreOpt = False,
    output: OutputOpt = None, visualize_from_db: VisOpt = None, as_json: JsonOpt = False,
) -> None:
    """Time a model inside a real browser with onnxruntime-web.

    The model is exported to ONNX with torch.onnx and served with a benchmark page from
    127.0.0.1; the page times each awaited run with performance.now() after checking its output
    against PyTorch's. Every sample, the statistics, the model load time in the page, the
    browser and version, the execution provider and (WebGPU) the adapter are recorded; a
    software adapter such as SwiftShader is named and flagged simulated.

    Needs onnxruntime-web from the npm registry (`quickstart.sh` installs it into
    ~/.cache/benchwh/web) and Debian's chromium.
    """
    from benchwh.runners.web import WebSpec, record_web

    spec = WebSpec(models=_split(models), backend=backend, browser=browser,
                   batch_sizes=_ints(batch_sizes, "--batch-sizes"), seq_len=seq_len, iterations=iterations,
                   warmup=warmup, threads=threads)
    with TerminalBar() as bar:
        records = record_web(spec, _dest(db, data_path, no_db_store, output, visualize_from_db), say, on_progress=bar)
    _report(records, as_json)
