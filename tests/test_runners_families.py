"""The key model families at their tiny presets (eager, once each), generation token by token,
the optional backends against eager, distributed training on 2 CPU processes, --threads.

Statistics are recomputed from the kept samples with numpy (``check_stats``); parity figures
are recomputed from eager outputs where the test can; a parity failure is injected by
tightening the tolerance of a real ONNX Runtime run.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import statistics

import pytest

torch = pytest.importorskip("torch", reason="runner tests need torch (pip install 'benchwh[runners]')")
transformers = pytest.importorskip("transformers", reason="runner tests need transformers")
np = pytest.importorskip("numpy")

from benchwh.records import Result  # noqa: E402
from benchwh.runners import backends  # noqa: E402
from benchwh.runners.common import SweepSpec  # noqa: E402
from benchwh.runners.environment import capture  # noqa: E402
from benchwh.runners.families import FAMILIES, TINY  # noqa: E402
from benchwh.runners.inference import ORIGIN, run_inference  # noqa: E402
from benchwh.runners.models import MODELS, buildability, resolve_model  # noqa: E402
from benchwh.runners.training import run_training  # noqa: E402
from tests.test_runners import _cli, check_stats  # noqa: E402

pytestmark = pytest.mark.runners
TINY_KEYS = [k for k, s in MODELS.items() if s.size == TINY]


def _sweep(models, **kw):
    kw = dict(dict(hardware="cpu", batch_sizes=[1], seq_lens=[4], iterations=2, warmup=1, threads=1), **kw)
    return SweepSpec(models=models, **kw)


def test_every_family_has_a_tiny_and_a_realistic_preset():
    fams = {s.family: set() for s in MODELS.values()}
    for s in MODELS.values():
        fams[s.family].add(s.size)
    assert set(FAMILIES) == set(fams)
    assert all(sizes == {"tiny", "realistic"} for sizes in fams.values()), fams


@pytest.fixture(scope="module")
def tiny_eager():
    run = capture(ORIGIN, torch=torch)
    return list(run_inference(_sweep(TINY_KEYS), run))


def test_tiny_presets_of_every_family_run_in_eager(tiny_eager):
    assert len(tiny_eager) == len(TINY_KEYS)
    assert {r.model_family for r in tiny_eager} == set(FAMILIES)
    for r in tiny_eager:
        assert r.status == "completed", (r.model_name, r.error)
        check_stats(r)
        assert r.metrics["backend"] == "eager" and r.metrics["backend_version"] == f"torch {torch.__version__}"
        spec = resolve_model(r.model_name)
        assert r.modality == spec.modality and r.sequence_length == (4 if spec.uses_seq() else None)
    shapes = {r.model_family: r.input_shape for r in tiny_eager}
    assert shapes["clap"] == "input_ids=1x4;input_features=1x1x64x16"
    assert shapes["xclip"] == "input_ids=1x4;pixel_values=1x2x3x32x32"
    assert shapes["wav2vec2"] == "input_values=1x1600"
    assert shapes["llava"] == "pixel_values=1x3x32x32;input_ids=1x20"  # 16 image tokens + 4
    assert shapes["llava-next"].startswith("pixel_values=1x3x3x32x32;input_ids=1x")


def test_a_model_the_installed_transformers_cannot_build_is_reported(capsys):
    spec = dataclasses.replace(MODELS["llama-tiny"], key="future-tiny", inference_class="FutureForCausalLM")
    ok, why = buildability(spec)
    assert ok is False and "FutureForCausalLM" in why and transformers.__version__ in why
    from benchwh.runners.loading import load, resolve_device

    with pytest.raises(Exception, match="cannot be built with transformers"):
        load(spec, resolve_device("cpu", torch), "fp32", torch, transformers)
    assert _cli(["run", "models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"buildable", "not_buildable_because", "size"} <= set(rows[0])


def test_generation_prefill_decode_and_tokens_per_second():
    run = capture(ORIGIN, torch=torch)
    rows = list(run_inference(_sweep(["llama-tiny", "llava-tiny"], batch_sizes=[2], scenario="generate",
                                     new_tokens=4), run))
    assert [(r.model_family, r.scenario) for r in rows] == [
        (f, sc) for f in ("llama", "llava") for sc in ("prefill", "decode", "generate")]
    for prefill, decode, gen in (rows[:3], rows[3:]):
        for r in (prefill, decode, gen):
            assert r.status == "completed", r.error
            assert r.latency_ms_mean == pytest.approx(statistics.fmean(r.latency_samples_ms), rel=1e-9)
        assert len(decode.latency_samples_ms) == 2 * 3 and decode.throughput_items_per_s is None
        assert decode.throughput_tokens_per_s == pytest.approx(2 * 1000.0 / decode.latency_ms_mean)
        assert gen.throughput_tokens_per_s == pytest.approx(2 * 4 * 1000.0 / gen.latency_ms_mean)
        prompt = prefill.metrics["prompt_tokens"]
        assert prefill.throughput_tokens_per_s == pytest.approx(prompt * 1000.0 / prefill.latency_ms_mean)
    assert rows[0].metrics["prompt_tokens"] == 2 * 4 and rows[3].metrics["prompt_tokens"] == 2 * 20


def _backend_rows(name):
    run = capture(ORIGIN, torch=torch)
    return list(run_inference(_sweep(["gpt2-tiny", "vit-tiny"], backend=name, warmup=0), run))


@pytest.mark.parametrize("name, lib", [("compile", "torch"), ("onnxruntime", "onnxruntime"),
                                       ("openvino", "openvino")])
def test_backend_on_two_families_matches_eager(name, lib):
    if importlib.util.find_spec(lib) is None:
        pytest.skip(f"{lib} is not installed (pip install 'benchwh[{name}]')")
    rows = _backend_rows(name)
    assert [r.model_family for r in rows] == ["gpt2", "vit"]
    for r in rows:
        assert r.status == "completed", r.error
        check_stats(r)
        m = r.metrics
        assert m["backend"] == name and m["backend_version"] == backends.backend(name).version()
        assert m["compile_time_ms"] > 0 and m["compile_time_ms"] not in r.latency_samples_ms
        p = m["parity"]
        assert p["passed"] is True and p["tolerance"] == backends.TOLERANCE["fp32"]
        assert p["relative"] == pytest.approx(p["max_abs_diff"] / p["scale"]) and p["relative"] <= 1e-3
        assert p["outputs"] >= 1


def test_parity_failure_is_a_failed_row_not_a_number(monkeypatch):
    if importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("onnxruntime is not installed")
    monkeypatch.setitem(backends.TOLERANCE, "fp32", 0.0)  # any rounding difference now fails
    run = capture(ORIGIN, torch=torch)
    (r,) = run_inference(_sweep(["bert-tiny"], backend="onnxruntime", warmup=0), run)
    if r.metrics["parity"].get("max_abs_diff") == 0.0:
        pytest.skip("onnxruntime reproduced eager bit for bit")
    assert r.status == "failed" and "differ from eager" in r.error and "not timed" in r.error
    assert r.latency_samples_ms is None and r.metrics["parity"]["passed"] is False


def test_cudagraphs_refused_off_cuda(capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is here: gpu_check.sh covers cudagraphs")
    assert _cli(["run", "inference", "-m", "bert-tiny", "--hardware", "cpu", "--backend", "cudagraphs",
                 "--no-db-store", "--output", "x.json"]) == 1
    assert "needs --hardware cuda" in capsys.readouterr().err


def test_threads_recorded_in_the_environment(tmp_path):
    from benchwh.interchange import read_file

    out = tmp_path / "t.json"
    before = torch.get_num_threads()
    try:
        assert _cli(["run", "inference", "-m", "bert-tiny", "--hardware", "cpu", "--seq-lens", "4",
                     "--iterations", "1", "--warmup", "0", "--threads", "1", "--no-db-store",
                     "--output", str(out)]) == 0
    finally:
        torch.set_num_threads(before)
    (r,) = [x for x in read_file(out) if isinstance(x, Result)]
    assert r.run.environment["torch_num_threads"] == 1 and r.run.environment["threads_requested"] == 1
    assert r.run.environment["backend"] == "eager"


@pytest.mark.parametrize("mode", ["ddp", "fsdp"])
def test_distributed_two_processes_on_cpu(mode):
    run = capture("benchwh.runner.training", torch=torch)
    spec = _sweep(["gpt2-tiny"], batch_sizes=[2], iterations=3, warmup=1, threads=None,
                  distributed=mode, nproc=2)
    rows = list(run_training(spec, run))
    assert [r.scenario for r in rows] == [f"{mode}-n1", f"{mode}-n1-r0", f"{mode}-n2", f"{mode}-n2-r0", f"{mode}-n2-r1"]
    for r in rows:
        assert r.status == "completed", r.error
        # an aggregate row's samples/s counts every rank's batch
        check_stats(dataclasses.replace(r, batch_size=r.metrics["global_batch"]) if "-r" not in r.scenario else r)
        assert r.mode == "training" and r.metrics["distributed"] == mode
        assert r.iterations == 3 and len(set(r.metrics.get("loss_per_step") or [0])) >= 1
    single, _, agg, r0, r1 = rows
    # aggregate: per step the slowest rank, N x batch per step
    assert agg.latency_samples_ms == [max(a, b) for a, b in zip(r0.latency_samples_ms, r1.latency_samples_ms)]
    assert agg.throughput_items_per_s == pytest.approx(2 * 2 * 1000.0 / statistics.fmean(agg.latency_samples_ms))
    assert agg.metrics["global_batch"] == 4 and agg.metrics["world_size"] == 2
    assert agg.metrics["scaling_efficiency"] == pytest.approx(
        agg.throughput_items_per_s / (2 * single.throughput_items_per_s))
    assert r0.metrics["rank"] == 0 and r1.metrics["rank"] == 1
    assert r0.input_shape == r1.input_shape == "input_ids=2x4;labels=2x4"
    assert len({r.result_id for r in rows}) == 5


def test_backend_libraries_imported_only_when_used(tmp_path, monkeypatch, capsys):
    import subprocess
    import sys

    code = ("import sys; from benchwh.cli.main import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnxruntime', 'openvino')))")
    proc = subprocess.run([sys.executable, "-c", code, "run", "inference", "-m", "bert-tiny", "--hardware", "cpu",
                           "--seq-lens", "4", "--iterations", "1", "--warmup", "0", "--no-db-store",
                           "--output", str(tmp_path / "eager.json")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    monkeypatch.setitem(sys.modules, "openvino", None)  # as if the extra were not installed
    assert _cli(["run", "inference", "-m", "bert-tiny", "--hardware", "cpu", "--backend", "openvino",
                 "--no-db-store", "--output", str(tmp_path / "ov.json")]) == 1
    assert "pip install 'benchwh[openvino]'" in capsys.readouterr().err
    assert not (tmp_path / "ov.json").exists()


# Parameter counts of the published checkpoints the realistic presets copy.
PUBLISHED = {"llama-3.2-1b": 1_235_814_400, "qwen2.5-0.5b": 494_032_768,
             "clip-vit-base-patch32": 151_277_313, "llava-1.5-7b": 7_063_427_072,
             "wav2vec2-base": 94_396_320}


def test_realistic_presets_build_at_published_sizes():
    """Built on the meta device (shapes only, no memory): every realistic preset is a valid
    config of its class; the ones with well-known counts match them exactly."""
    from benchwh.runners.loading import _config

    for key, spec in MODELS.items():
        if spec.size != "realistic" or key in ("bert-base", "t5-small", "gpt2", "vit-base", "whisper-tiny"):
            continue  # those five are built for real in test_runners_models
        with torch.device("meta"):
            model = getattr(transformers, spec.inference_class)(_config(spec, transformers))
        n = model.num_parameters()
        assert n == PUBLISHED.get(key, n) and n > 10_000_000, (key, n)
