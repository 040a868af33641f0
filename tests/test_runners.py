"""The inference, training and compatibility runners on CPU with tiny configurations.

Every statistic is recomputed here from the kept samples with numpy and ``statistics``
(independently of ``benchwh.runners.stats``); failures are forced with an input the model
refuses (bert-tiny has 512 positions: a 600-token sequence cannot run). The commands that
write to a warehouse run on each backend (``warehouse_db``: a DuckDB file and DuckLake).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="runner tests need torch (pip install 'benchwh[runners]')")
pytest.importorskip("transformers", reason="runner tests need transformers (pip install 'benchwh[runners]')")
np = pytest.importorskip("numpy")

from benchwh.cli.main import main  # noqa: E402
from benchwh.records import CompatFact, Result, RunMeta  # noqa: E402
from benchwh.runners.common import SweepSpec  # noqa: E402
from benchwh.runners.compatibility import run_compatibility  # noqa: E402
from benchwh.runners.environment import capture  # noqa: E402
from benchwh.runners.inference import ORIGIN as INF_ORIGIN, run_inference  # noqa: E402
from benchwh.runners.training import run_training  # noqa: E402
from benchwh.warehouse.open import open_warehouse  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.runners


def check_stats(r: Result) -> None:
    """The row's statistics, recomputed from its samples."""
    xs = np.array(r.latency_samples_ms)
    assert len(xs) == r.iterations
    assert r.latency_ms_mean == pytest.approx(statistics.fmean(xs), rel=1e-9)
    assert r.latency_ms_std == pytest.approx(statistics.pstdev(xs), rel=1e-9, abs=1e-12)
    for name, q in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99)):
        assert getattr(r, f"latency_ms_{name}") == pytest.approx(np.percentile(xs, q), rel=1e-9)
    assert r.latency_ms_min == xs.min() and r.latency_ms_max == xs.max()
    assert r.throughput_items_per_s == pytest.approx(r.batch_size * 1000.0 / xs.mean(), rel=1e-9)
    assert all(x > 0 for x in xs)


def _run(**kw):
    return capture(INF_ORIGIN, torch=torch, **kw)


@pytest.fixture(scope="module")
def inference_results():
    run = _run()
    spec = SweepSpec(models=["bert-tiny"], hardware="cpu", batch_sizes=[1, 2], seq_lens=[8, 600],
                     precisions=["fp32"], iterations=3, warmup=1)
    return run, list(run_inference(spec, run))


def test_inference_rows_keep_samples_and_consistent_stats(inference_results):
    run, results = inference_results
    assert [(r.batch_size, r.sequence_length) for r in results] == [(1, 8), (1, 600), (2, 8), (2, 600)]
    done = [r for r in results if r.sequence_length == 8]
    for r in done:
        assert r.status == "completed" and r.error is None
        assert r.model_name == "prajjwal1/bert-tiny" and r.mode == "inference" and r.precision == "fp32"
        assert r.hardware_type == "cpu" and r.warmup_iterations == 1 and len(r.latency_samples_ms) == 3
        check_stats(r)
        assert r.load_time_ms > 0
        assert r.memory_peak_mb is not None and r.metrics["memory_method"]
        assert r.metrics["weights"] == "random"
        assert r.input_shape == f"input_ids={r.batch_size}x8"
        assert r.run is run and run.started_at <= r.measured_at


def test_failed_configuration_is_recorded_and_run_goes_on(inference_results):
    _, results = inference_results
    bad = [r for r in results if r.sequence_length == 600]
    assert len(bad) == 2
    for r in bad:
        assert r.status == "failed"
        assert "512" in r.error  # the position-embedding limit the 600 tokens ran into
        assert r.latency_samples_ms is None and r.latency_ms_mean is None and r.throughput_items_per_s is None
    assert results[-2].status == "completed"  # the configuration after a failure still ran


def test_environment_captured(monkeypatch):
    monkeypatch.chdir(REPO)
    run = _run(argv=["benchwh", "run", "inference", "--model", "bert-tiny"])
    env = run.environment
    assert env["cpu_model"] and env["cpu_cores_logical"] == os.cpu_count()
    assert env["ram_total_mib"] > 0 and env["gpu_count"] == torch.cuda.device_count()
    assert env["cuda_version"] == torch.version.cuda
    assert run.library_versions["torch"] == torch.__version__
    import transformers

    assert run.library_versions["transformers"] == transformers.__version__
    assert run.host == socket.gethostname() and run.python_version
    assert run.command_line == "benchwh run inference --model bert-tiny"
    assert run.hardware_fingerprint and run.origin == INF_ORIGIN and len(run.run_key) == 32
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    if head.returncode == 0:
        assert run.git_commit == head.stdout.strip()
    # a second capture is a new run with the same hardware fingerprint
    again = _run()
    assert again.run_id != run.run_id and again.hardware_fingerprint == run.hardware_fingerprint


def test_training_steps_losses_and_failure():
    run = capture("benchwh.runner.training", torch=torch)
    spec = SweepSpec(models=["bert-tiny"], hardware="cpu", batch_sizes=[2], seq_lens=[8, 600],
                     precisions=["fp32"], iterations=3, warmup=1)
    ok, bad = list(run_training(spec, run))
    assert ok.status == "completed" and ok.mode == "training"
    check_stats(ok)
    losses = ok.metrics["loss_per_step"]
    assert len(losses) == 3 and all(isinstance(x, float) and x > 0 for x in losses)
    assert len(ok.metrics["warmup_loss_per_step"]) == 1
    assert ok.metrics["optimizer"] == "AdamW" and ok.memory_peak_mb is not None
    assert bad.status == "failed" and "512" in bad.error and bad.latency_samples_ms is None


def test_compatibility_facts(tmp_path):
    # a folder whose config cannot build a model (hidden size not a multiple of the heads)
    broken = tmp_path / "broken-bert"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({
        "model_type": "bert", "architectures": ["BertModel"], "hidden_size": 30,
        "num_attention_heads": 4, "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 50}))
    run = capture("benchwh.runner.compatibility", torch=torch)
    facts = list(run_compatibility(["bert-tiny", str(broken)], ["cpu", "cuda"], run))
    assert all(isinstance(f, CompatFact) for f in facts) and len(facts) == 4
    by = {(f.model_name, f.hardware_type): f for f in facts}
    ok = by[("prajjwal1/bert-tiny", "cpu")]
    assert ok.compatible is True and ok.status == "completed" and ok.error is None
    assert ok.details["forward_ms"] > 0 and ok.details["input_shape"] == "input_ids=1x16"
    bad = by[("broken-bert", "cpu")]
    assert bad.compatible is False and bad.status == "failed" and bad.error
    if not torch.cuda.is_available():
        for name in ("prajjwal1/bert-tiny", "broken-bert"):
            f = by[(name, "cuda")]
            assert f.compatible is None and f.status == "skipped" and "not available" in f.error


def test_local_folder_and_generation(tmp_path):
    """A local Hugging Face folder (a 1-layer GPT-2 saved here) runs with its own weights,
    and the generate scenario reports tokens/s for exactly the requested new tokens."""
    from transformers import GPT2Config, GPT2LMHeadModel

    folder = tmp_path / "tiny-gpt2"
    GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=100, n_positions=64)).save_pretrained(folder)
    run = _run()
    spec = SweepSpec(models=[str(folder)], hardware="cpu", batch_sizes=[2], seq_lens=[4],
                     iterations=2, warmup=1, scenario="generate", new_tokens=3)
    prefill, decode, r = run_inference(spec, run)
    assert [x.scenario for x in (prefill, decode, r)] == ["prefill", "decode", "generate"]
    assert r.status == "completed", r.error
    assert r.model_name == "tiny-gpt2" and r.model_family == "gpt2" and r.metrics["weights"] == "pretrained"
    assert r.metrics["new_tokens_per_item"] == 3
    check_stats(r)
    assert r.throughput_tokens_per_s == pytest.approx(2 * 3 * 1000.0 / r.latency_ms_mean, rel=1e-9)
    assert len(decode.latency_samples_ms) == 2 * (3 - 1)  # iterations x decode steps
    assert decode.throughput_tokens_per_s == pytest.approx(2 * 1000.0 / decode.latency_ms_mean, rel=1e-9)
    # each iteration: prefill + its decode steps fit inside the whole call
    for i, total in enumerate(r.latency_samples_ms):
        assert prefill.latency_samples_ms[i] + sum(decode.latency_samples_ms[2 * i:2 * i + 2]) <= total * 1.0001


def _cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as e:
        main(args)
    return e.value.code


def test_cli_inference_into_warehouse(warehouse_db, capsys, monkeypatch):
    db = warehouse_db
    args = ["run", "inference", "--model", "bert-tiny", "--hardware", "cpu", "--batch-sizes", "1",
            "--seq-lens", "8,600", "--iterations", "3", "--warmup", "1", "--db", db, "--json"]
    monkeypatch.setattr("sys.argv", ["/somewhere/bin/benchwh", *args])
    rc = _cli(args)
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == ["completed", "failed"]
    with open_warehouse(db, read_only=True) as con:
        got = con.execute(
            "SELECT r.result_id, r.status, r.latency_samples_ms, r.latency_ms_mean, r.latency_ms_p50,"
            " r.latency_ms_p99, r.iterations, r.error, u.origin, u.environment, u.command_line"
            " FROM results r JOIN runs u USING (run_id) ORDER BY r.sequence_length").fetchall()
    assert [g[0] for g in got] == [r["result_id"] for r in rows]
    ok, bad = got
    assert ok[1] == "completed" and len(ok[2]) == 3 and ok[6] == 3
    assert ok[3] == pytest.approx(statistics.fmean(ok[2])) and ok[4] == pytest.approx(statistics.median(ok[2]))
    assert ok[5] == pytest.approx(np.percentile(ok[2], 99))
    assert bad[1] == "failed" and "512" in bad[7] and bad[2] is None
    assert ok[8] == INF_ORIGIN and json.loads(ok[9])["cpu_model"]
    assert ok[10].startswith("benchwh run inference --model bert-tiny")


def test_cli_no_db_store_needs_output(tmp_path, capsys):
    rc = _cli(["run", "inference", "--model", "bert-tiny", "--hardware", "cpu", "--no-db-store"])
    assert rc == 1 and "--output" in capsys.readouterr().err


def test_cli_refuses_unknown_model_and_hardware(warehouse_db, capsys):
    db = warehouse_db
    assert _cli(["run", "inference", "--model", "bert-tinny", "--db", db]) == 1
    assert "did you mean `bert-tiny`" in capsys.readouterr().err
    assert _cli(["run", "training", "--model", "bert-tiny", "--hardware", "tpu", "--db", db]) == 1
    assert "unknown hardware 'tpu'" in capsys.readouterr().err
    with open_warehouse(db, read_only=True) as con:  # refused before a run was opened
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_cli_compatibility_and_training_no_db_store(tmp_path):
    from benchwh.interchange import read_file

    out = tmp_path / "compat.json"
    assert _cli(["run", "compatibility", "--models", "bert-tiny", "--hardware", "cpu",
                 "--no-db-store", "--output", str(out)]) == 0
    recs = read_file(out)
    assert isinstance(recs[0], RunMeta) and recs[0].run.origin == "benchwh.runner.compatibility"
    (fact,) = recs[1:]
    assert fact.compatible is True
    out2 = tmp_path / "train.json"
    assert _cli(["run", "training", "--model", "bert-tiny", "--hardware", "cpu", "--batch-sizes", "1",
                 "--seq-lens", "8", "--iterations", "2", "--warmup", "0", "--no-db-store",
                 "--output", str(out2)]) == 0
    (res,) = [r for r in read_file(out2) if isinstance(r, Result)]
    assert res.mode == "training" and len(res.latency_samples_ms) == 2 and len(res.metrics["loss_per_step"]) == 2


def test_cli_visualize_from_db(warehouse_db, tmp_path):
    db = warehouse_db
    png = tmp_path / "chart.png"
    assert _cli(["run", "inference", "--model", "bert-tiny", "--hardware", "cpu", "--seq-lens", "8",
                 "--iterations", "2", "--warmup", "0", "--db", db, "--visualize-from-db", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_models_listing(capsys):
    assert _cli(["run", "models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["key"]: r["model_name"] for r in rows}
    assert {"bert-tiny": "prajjwal1/bert-tiny", "bert-base": "bert-base-uncased",
            "t5-small": "t5-small", "gpt2": "gpt2", "vit-base": "google/vit-base-patch16-224",
            "whisper-tiny": "openai/whisper-tiny"}.items() <= names.items()
    assert all(r["buildable"] is True for r in rows)
