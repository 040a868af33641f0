"""The web runner in a real browser: Debian's Chromium driven by Playwright, onnxruntime-web
from the npm cache, bert-tiny exported with torch.onnx. Statistics are recomputed here from the
kept samples (numpy, independently of benchwh.runners.stats); rows are read back from a real
warehouse. Skips (with the reason) where Chromium, Playwright or onnxruntime-web is absent."""

from __future__ import annotations

import json
import shutil
import statistics

import pytest

torch = pytest.importorskip("torch", reason="the web runner needs torch (pip install 'benchwh[runners]')")
pytest.importorskip("transformers")
pytest.importorskip("onnx", reason="the web runner exports with torch.onnx (pip install 'benchwh[web]')")
pytest.importorskip("playwright", reason="the web runner needs playwright (pip install 'benchwh[web]')")
np = pytest.importorskip("numpy")

from benchwh.runners.models import RunnerError  # noqa: E402
from benchwh.runners.web import ORT_WEB_ENV, ort_web_dir  # noqa: E402

pytestmark = [pytest.mark.runners, pytest.mark.chromium]

if shutil.which("chromium") is None:
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)
try:
    ort_web_dir()
except RunnerError as e:
    pytest.skip(str(e), allow_module_level=True)


def _rows(db: str, hardware: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(db, read_only=True)
    try:
        cur = con.execute(
            "SELECT r.batch_size, r.status, r.error, r.latency_ms_mean, r.latency_ms_p50, r.latency_ms_min, "
            "r.latency_ms_max, r.latency_ms_std, r.latency_samples_ms, r.iterations, r.throughput_items_per_s, "
            "r.load_time_ms, r.metrics, r.is_simulated, r.simulation_reason, h.device_name "
            "FROM results r JOIN hardware h USING (hardware_id) WHERE h.hardware_type = ? ORDER BY r.batch_size",
            [hardware])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def test_wasm_rows_recorded_and_beside_cpu(cli, fresh_db):
    r = cli("run", "web", "--model", "bert-tiny", "--backend", "wasm", "--batch-sizes", "1,2",
            "--iterations", "5", "--warmup", "1", "--db", fresh_db)
    assert r.code == 0, r.stdout + r.stderr
    rows = _rows(fresh_db, "wasm")
    assert [x["batch_size"] for x in rows] == [1, 2]
    for row in rows:
        assert row["status"] == "completed", row["error"]
        xs = np.array(row["latency_samples_ms"])
        assert len(xs) == 5 == row["iterations"]
        assert row["latency_ms_mean"] == pytest.approx(xs.mean())
        assert row["latency_ms_p50"] == pytest.approx(statistics.median(xs))
        assert row["latency_ms_min"] == pytest.approx(xs.min()) and row["latency_ms_max"] == pytest.approx(xs.max())
        assert row["latency_ms_std"] == pytest.approx(statistics.pstdev(xs))
        assert row["throughput_items_per_s"] == pytest.approx(row["batch_size"] * 1000.0 / xs.mean())
        assert row["load_time_ms"] > 0  # the session's creation, timed in the page
        m = json.loads(row["metrics"])
        assert m["execution_provider"] == "wasm"  # as the page reports it
        assert m["browser"].startswith("Chromium ") and m["browser"].split()[1][0].isdigit()
        assert "Chrome/" in m["user_agent"]
        assert m["parity"]["passed"] is True and m["parity"]["max_abs_diff"] < 1e-3
        assert row["device_name"] == m["browser"] and row["is_simulated"] is False

    # The same model on the CPU through the PyTorch runner: compare-hardware shows both.
    r = cli("run", "inference", "--model", "bert-tiny", "--hardware", "cpu", "--batch-sizes", "1",
            "--seq-lens", "16", "--iterations", "3", "--warmup", "1", "--db", fresh_db)
    assert r.code == 0, r.stdout + r.stderr
    from benchwh.runners.models import resolve_model

    stored = resolve_model("bert-tiny").model_name
    r = cli("query", "compare-hardware", "--model", stored, "--format", "json", "--db", fresh_db)
    assert r.code == 0, r.stderr
    hw = {row["hardware_type"] for row in json.loads(r.stdout)}
    assert {"cpu", "wasm"} <= hw


@pytest.mark.parametrize("backend", ["webgpu", "webnn"])
def test_gpu_backends_real_or_failed_with_the_browsers_reason(cli, tmp_path, backend):
    out = tmp_path / "web.json"
    r = cli("run", "web", "--model", "bert-tiny", "--backend", backend, "--iterations", "2", "--warmup", "0",
            "--no-db-store", "--output", str(out))
    assert r.code == 0, r.stdout + r.stderr
    doc = json.loads(out.read_text())
    results = [x for x in doc["records"] if x.get("kind", "result").lower() == "result" and "hardware_type" in x]
    assert len(results) == 1
    res = results[0]
    assert res["hardware_type"] == backend
    if res["status"] == "failed":
        # The browser's own words, never an empty or invented reason, and no numbers.
        assert res["error"] and len(res["error"]) > 10
        assert res.get("latency_ms_mean") is None and not res.get("latency_samples_ms")
    else:
        assert len(res["latency_samples_ms"]) == 2
        if backend == "webgpu":
            adapter = res["metrics"]["webgpu_adapter"]
            assert res["device_name"] and any(adapter.values())
            # A software adapter is named as such and flagged, never passed off as a GPU.
            assert res["is_simulated"] == res["metrics"]["software_adapter"]
            if res["is_simulated"]:
                assert "software" in res["device_name"] and "software adapter" in res["simulation_reason"]


def test_missing_onnxruntime_web_is_one_clear_error(cli, tmp_path, monkeypatch):
    monkeypatch.setenv(ORT_WEB_ENV, str(tmp_path / "nothing-here"))
    r = cli("run", "web", "--model", "bert-tiny", "--no-db-store", "--output", str(tmp_path / "x.json"))
    assert r.code == 1
    assert "onnxruntime-web not found" in r.stderr and "npm install" in r.stderr
    assert not (tmp_path / "x.json").exists()


def test_unknown_backend_refused(cli, tmp_path):
    r = cli("run", "web", "--model", "bert-tiny", "--backend", "webgl", "--no-db-store", "--output",
            str(tmp_path / "x.json"))
    assert r.code == 1 and "wasm, webgpu, webnn" in r.stderr
