"""`benchwh report` and `benchwh.report.visualize` on a warehouse built by `benchwh import`, on
each backend (a DuckDB file and DuckLake on PostgreSQL).

The data: F8 direct-benchmark files (``benchwh.testing.f8_direct``) for two models, one of
which ends with a run twice as slow (a regression); F12 web results that say they are
simulated; an F3 functionality report with compatibility facts, one of them on mock hardware.
The page's embedded data is decoded here as the page decodes it and checked against the
warehouse; the page in a browser is tests/test_report_browser.py.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from benchwh.errors import BenchwhError
from benchwh.testing import f8_direct, f12_web

from conftest import BACKENDS, run_cli, sql

TINY, OTHER = "acme/tiny", "acme/other"

F3 = {
    "stats": {"timestamp": "2025-03-01T12:30:00", "hardware_platforms": ["cpu", "cuda", "rocm"]},
    "model_results": {TINY: {"cpu": True, "cuda": False, "rocm (mock)": True}, OTHER: {"cpu": True}},
    "detailed_results": [{"model": TINY, "hardware": "cuda", "success": False, "return_code": 1,
                          "stdout": "", "stderr": "RuntimeError: CUDA driver not found"}],
}
SERIES_SQL = """SELECT DISTINCT m.model_name, h.hardware_type, r.batch_size, r.is_simulated
    FROM results r JOIN models m USING (model_id) JOIN hardware h USING (hardware_id)
    WHERE r.status = 'completed' AND r.measured_at IS NOT NULL"""


def build_report_warehouse(root: Path, db: str, run_cli, *db_args: str) -> None:
    """Write the legacy-shaped files under ``root`` and import them into ``db`` (migrated
    first if needed; ``db_args``: more warehouse options, such as a lake's ``--data-path``)."""
    root.mkdir(parents=True, exist_ok=True)
    docs = [f8_direct(i, model=TINY, batch_sizes=(1, 2), samples=20, seed=1,
                      mean_ms=6.0 if i == 6 else 3.0) for i in range(7)]
    docs += [f8_direct(i, model=OTHER, batch_sizes=(1, 4), samples=20, seed=2, mean_ms=5.0) for i in range(4)]
    docs += [f12_web(i, model=TINY, platform="webgpu", seed=3) for i in range(3)]
    docs.append(("model_functionality_20250301_123000.json", F3))
    for name, doc in docs:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
    assert run_cli("migrate", "--db", db, *db_args).code == 0
    res = run_cli("import", str(root), "--db", db, *db_args)
    assert res.code == 0, res.stderr


@pytest.fixture(scope="module", params=BACKENDS)
def report_wh(request, make_warehouse, tmp_path_factory):
    """The report's data imported once per module on each backend."""
    base = tmp_path_factory.mktemp("report")
    wh = make_warehouse(request.param, base)
    build_report_warehouse(base / "legacy", wh.db, run_cli, *wh.args[2:])
    return wh


@pytest.fixture
def report_db(report_wh, monkeypatch) -> str:
    return report_wh.use(monkeypatch)


@pytest.fixture(scope="module")
def written(report_wh, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    res = run_cli("report", *report_wh.args, "--out", str(out / "report.html"), "--png", str(out / "png"), "--json")
    assert res.code == 0, res.stderr
    return json.loads(res.stdout), out


def embedded(html: str):
    """The page's data, decoded as the page decodes it: (header, columns)."""
    from benchwh.report.payload import decode

    m = re.search(r'<script type="application/octet-stream" id="payload">([^<]*)</script>', html)
    assert m, "no embedded data"
    return decode(m.group(1))


def series_of(header) -> list[tuple]:
    """(model, hardware, configuration label, simulated) of every embedded series."""
    d, k = header["dicts"], header["keys"]
    return [(d["model"][k["model"][i]], d["hw"][k["hw"][i]], d["cfg"][k["cfg"][i]], bool(k["sim"][i]))
            for i in range(len(k["model"]))]


def _nonblank_png(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        assert im.format == "PNG"
        lo, hi = im.convert("L").getextrema()
        assert hi - lo > 100, f"{path} is blank"
        return im.size


def test_page_is_self_contained(written):
    _, out = written
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    lower = html.lower()
    for needle in ("<link", "<iframe", "@import", '<script src', "<script src", 'src="http', "src='http"):
        assert needle not in lower, needle
    # Three inline scripts: the data, plotly.js, the page's own code. None loads anything.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts == [' type="application/octet-stream" id="payload"', "", ""], scripts
    assert "plotly.js v" in html


def test_every_series_and_point_is_embedded(written, report_db):
    _, out = written
    header, cols = embedded((out / "report.html").read_text())
    want = {(m, hw, f"b{b}", bool(s)) for m, hw, b, s in sql(report_db, SERIES_SQL) if b is not None}
    got = set(series_of(header))
    assert want <= got, want - got
    assert len(got) == len(series_of(header))  # one entry per series
    completed = sql(report_db, "SELECT count(*) FROM results WHERE status = 'completed' AND measured_at IS NOT NULL")[0][0]
    assert header["results"] == int(cols["koff"][-1]) == len(cols["t"]) == completed
    assert header["simulated"] == 3  # the three F12 web results
    # Each series' rows are its own, oldest first.
    koff, t = cols["koff"], cols["t"]
    for k in range(len(koff) - 1):
        assert list(t[koff[k]:koff[k + 1]]) == sorted(t[koff[k]:koff[k + 1]])


def test_newest_regression_listed_with_signed_percent(written):
    _, out = written
    header, _ = embedded((out / "report.html").read_text())
    series = series_of(header)
    found = {(series[c["k"]][0], series[c["k"]][1], series[c["k"]][2], c["m"], c["v"]) for c in header["changes"]}
    assert (TINY, "cpu", "b1", "latency_ms_mean", "regression") in found
    assert (TINY, "cpu", "b1", "throughput_items_per_s", "regression") in found
    assert not [f for f in found if f[0] == OTHER]
    lat = next(c for c in header["changes"] if series[c["k"]][:3] == (TINY, "cpu", "b1") and c["m"] == "latency_ms_mean")
    assert lat["c"] == pytest.approx((lat["cur"] - lat["b"]) / lat["b"] * 100, rel=1e-3) and lat["c"] > 50
    assert header["verdicts"]["measured"]["regression"] >= 2
    assert header["changepoints"] == []  # no detector wired in: none, never guessed


def test_samples_embedded_for_distributions(written, report_db):
    _, out = written
    header, cols = embedded((out / "report.html").read_text())
    series = series_of(header)
    k = series.index((OTHER, "cpu", "b4", False))
    newest = sql(report_db, """SELECT r.latency_samples_ms FROM results r JOIN models m USING (model_id)
        WHERE m.model_name = ? AND r.batch_size = 4 ORDER BY r.measured_at DESC LIMIT 1""", [OTHER])[0][0]
    got = cols["sval"][cols["soff"][k]:cols["soff"][k + 1]]
    assert len(got) == len(newest) == 20
    assert list(got) == pytest.approx(newest, rel=1e-6)


def test_png_dir_has_the_charts(written):
    info, out = written
    pngs = sorted((out / "png").glob("*.png"))
    stems = {p.stem for p in pngs}
    assert stems == {"hardware_acme_tiny", "hardware_acme_other", "trend_acme_tiny", "trend_acme_other", "compatibility"}
    assert sorted(map(str, pngs)) == sorted(info["pngs"])
    for p in pngs:
        w, h = _nonblank_png(p)
        assert w > 300 and h > 150


def test_compat_matrix_marks_simulated(written):
    _, out = written
    html = (out / "report.html").read_text()
    assert re.search(r'<td class="matrix ok simonly"[^>]*><span class="cell">ran<span class="sim">simulated</span>', html)
    assert re.search(r'<td class="matrix bad" title="RuntimeError: CUDA driver not found"><span class="cell">failed</span></td>', html)


def test_change_points_come_through_the_seam(report_db, tmp_path):
    from benchwh.report import write_report
    from benchwh.report.changepoints import ChangePoint

    seen = {}

    def detector(data):
        seen["points"] = data.points.height
        rows = data.keys.with_row_index("k").filter(data.keys["model_name"] == TINY).to_dicts()
        k = next(r["k"] for r in rows if r["hardware_type"] == "cpu" and r["batch_size"] == 1)
        return [ChangePoint(k, "latency_ms_mean", datetime(2025, 3, 1, 12, 6), "+100% (test)")]

    files = write_report(report_db, tmp_path / "r.html", change_points=detector)
    header, _ = embedded(files.html.read_text())
    assert seen["points"] == header["results"]
    assert len(header["changepoints"]) == 1 and header["changepoints"][0]["note"] == "+100% (test)"


def test_forty_configurations_of_one_model_none_dropped(tmp_path, cli):
    """40 batch sizes of one model on two hardware types: 80 series in the page, 40 bar groups
    in the PNG."""
    from benchwh.report import charts
    from benchwh.report.data import gather

    root, db = tmp_path / "legacy", str(tmp_path / "wh.duckdb")
    root.mkdir()
    sizes = tuple(range(1, 41))
    for i in range(3):
        for hw in ("cpu", "cuda"):
            name, doc = f8_direct(i, model="acme/wide", hardware=hw, batch_sizes=sizes, samples=6, seed=i)
            (root / name).write_text(json.dumps(doc))
    assert cli("migrate", "--db", db).code == 0
    assert cli("import", str(root), "--db", db).code == 0
    res = cli("report", "--db", db, "--out", str(tmp_path / "r.html"), "--png", str(tmp_path / "png"))
    assert res.code == 0, res.stderr
    assert "80 series" in res.stdout
    header, cols = embedded((tmp_path / "r.html").read_text())
    got = set(series_of(header))
    assert got == {("acme/wide", hw, f"b{b}", False) for hw in ("cpu", "cuda") for b in sizes}
    assert all(cols["koff"][k + 1] - cols["koff"][k] == 3 for k in range(80))
    data = gather(db)
    configs, variants, _ = charts._latest_by_hardware(data.points, "latency_ms_mean")
    assert len(configs) == 40 and len(variants) == 2
    _nonblank_png(tmp_path / "png" / "hardware_acme_wide.png")


def test_visualize_for_runners(report_db, tmp_path):
    from benchwh.errors import QueryError
    from benchwh.report import visualize

    path = visualize(report_db, [TINY, OTHER], tmp_path / "viz" / "models.png")
    assert path == tmp_path / "viz" / "models.png"
    w, h = _nonblank_png(path)
    assert h > w / 2  # two models: two rows of panels
    with pytest.raises(QueryError, match="no completed results for nosuch/model"):
        visualize(report_db, ["nosuch/model"], tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()


def test_report_needs_an_output(report_db, cli):
    res = cli("report", "--db", report_db)
    assert res.code == 1 and "--out" in res.stderr


def test_report_shows_progress(report_db, cli, tmp_path):
    res = cli("report", "--db", report_db, "--out", str(tmp_path / "r.html"))
    assert res.code == 0, res.stderr
    steps = [line for line in res.stderr.splitlines() if line.startswith("report [")]
    assert any("reading results" in s for s in steps) and any("wrote" in s and "MB" in s for s in steps)


def test_report_on_an_empty_warehouse(warehouse_db, cli, tmp_path):
    res = cli("report", "--db", warehouse_db, "--out", str(tmp_path / "empty.html"))
    assert res.code == 0, res.stderr
    html = (tmp_path / "empty.html").read_text()
    header, cols = embedded(html)
    assert header["results"] == 0 and len(cols["t"]) == 0 and "No compatibility facts" in html


def test_summary_newest_run_is_measured(written, report_db):
    _, out = written
    header, _ = embedded((out / "report.html").read_text())
    want = sql(report_db, """SELECT run_id FROM results WHERE NOT is_simulated AND status = 'completed'
        ORDER BY measured_at DESC, result_id DESC LIMIT 1""")[0][0]
    assert header["newest"]["run"] == want and header["newest"]["simulated"] is False


def test_png_without_matplotlib_names_the_extra(report_wh, tmp_path, monkeypatch):
    """matplotlib is the `png` extra, not core: without it `report --png` stops with one line
    naming the extra, before reading anything, and writes nothing."""
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    res = run_cli("report", *report_wh.args, "--out", str(tmp_path / "r.html"), "--png", str(tmp_path / "png"))
    assert res.code == 1 and "pip install 'benchwh[png]'" in res.stderr and "--png" in res.stderr
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "png").exists()
    from benchwh.runners.session import Destination

    with pytest.raises(BenchwhError, match=r"benchwh\[png\]"):
        Destination(db=str(tmp_path / "x.duckdb"), visualize=str(tmp_path / "v.png")).check()
