"""Regressions against a git-commit baseline, on results written through the recorder API
(``benchwh.runners.recorder.Recorder``, what benchmark scripts call), and the recorder's
``visualize`` hook drawing them with ``benchwh.report.visualize``; on each backend
(``warehouse_db``)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from benchwh.records import RunInfo

MODEL = "acme/ci-model"
COMMITS = ("1111111aaaaaaa", "2222222bbbbbbb", "3333333ccccccc")
START = datetime(2025, 6, 1, 9, 0, 0)


def _record_runs(db: str, mean_ms: dict[str, float], png=None) -> None:
    from benchwh.runners.recorder import Recorder
    from benchwh.runners.stats import result_fields

    rng = random.Random(5)
    for k, commit in enumerate(COMMITS):
        t = START + timedelta(days=k)
        run = RunInfo(origin="ci_bench", started_at=t, git_commit=commit, host="ci-1")
        last = k == len(COMMITS) - 1
        with Recorder(db=db, origin="ci_bench", run=run, say=lambda _: None,
                      visualize=png if last else None) as rec:
            samples = [mean_ms[commit] * (0.9 + 0.2 * rng.random()) for _ in range(30)]
            rec.result(model_name=MODEL, hardware_type="cpu", batch_size=1, sequence_length=64,
                       measured_at=t, **result_fields(samples, items_per_call=1))


def test_baseline_by_commit(warehouse_db, cli, tmp_path):
    png = tmp_path / "ci.png"
    # Commit 2 is already slower than 1; commit 3 is like 2.
    _record_runs(warehouse_db, {COMMITS[0]: 10.0, COMMITS[1]: 14.0, COMMITS[2]: 14.0}, png=png)
    assert png.is_file() and png.stat().st_size > 1000  # the recorder's --visualize-from-db hook

    args = ["regressions", "--db", warehouse_db, "--model", MODEL, "--metric", "latency_ms_mean", "--json"]
    prev = json.loads(cli(*args).stdout)["findings"]
    assert [r["verdict"] for r in prev] == ["unchanged"]  # 3 against 2

    res = cli(*args, "--baseline", COMMITS[0][:7])
    assert res.code == 0, res.stderr
    rows = json.loads(res.stdout)["findings"]
    assert len(rows) == 1
    r = rows[0]
    assert r["verdict"] == "regression" and r["method"] == "mwu"
    assert r["baseline_at"].startswith("2025-06-01") and r["current_at"].startswith("2025-06-03")
    assert 30 < r["change_pct"] < 50  # ~40% slower than the baseline commit

    gate = cli("regressions", "--db", warehouse_db, "--model", MODEL, "--baseline", f"commit:{COMMITS[0][:7]}",
               "--fail-on-regression")
    assert gate.code == 1
