"""`benchwh report` and `benchwh.report.visualize` on a warehouse built by `benchwh import`, on
each backend (a DuckDB file and DuckLake on PostgreSQL).

The data: F8 direct-benchmark files (``benchwh.testing.f8_direct``) for two models, one of
which ends with a run twice as slow (a regression); F12 web results that say they are
simulated; an F3 functionality report with compatibility facts, one of them on mock hardware.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from benchwh.testing import f8_direct, f12_web

from conftest import BACKENDS, run_cli

TINY, OTHER = "acme/tiny", "acme/other"

F3 = {
    "stats": {"timestamp": "2025-03-01T12:30:00", "hardware_platforms": ["cpu", "cuda", "rocm"]},
    "model_results": {TINY: {"cpu": True, "cuda": False, "rocm (mock)": True}, OTHER: {"cpu": True}},
    "detailed_results": [{"model": TINY, "hardware": "cuda", "success": False, "return_code": 1,
                          "stdout": "", "stderr": "RuntimeError: CUDA driver not found"}],
}


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


def _images(html: str) -> list[tuple[str, str]]:
    """(figure id, decoded SVG text) of every chart in the page."""
    found = re.findall(r'<figure id="([^"]+)"><img class="chart" alt="[^"]*" src="data:image/svg\+xml;base64,([^"]+)"', html)
    return [(key, base64.b64decode(data).decode("utf-8")) for key, data in found]


def _nonblank_png(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        assert im.format == "PNG"
        lo, hi = im.convert("L").getextrema()
        assert hi - lo > 100, f"{path} is blank"
        return im.size


def test_page_is_self_contained(written):
    info, out = written
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    # No script, no stylesheet link, nothing fetched from anywhere.
    for needle in ("<script", "<link", "<iframe", "@import", 'src="http', "src='http", 'href="http', "url(http"):
        assert needle not in html.lower(), needle
    charts = _images(html)
    assert info["charts"] == len(charts) == 5  # 2 hardware, 2 trends, 1 compatibility
    for key, svg in charts:
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg, key
        # The only URLs inside are XML namespace names and same-document references.
        urls = set(re.findall(r'(?:href|src)="([^"#][^"]*)"', svg))
        assert not urls, (key, urls)


def test_sections_and_regression_marked(written):
    _, out = written
    html = (out / "report.html").read_text()
    for section in ('id="changes"', 'id="hardware"', 'id="trends"', 'id="compatibility"'):
        assert section in html
    # The latest run of acme/tiny is twice as slow: listed and marked in its trend chart.
    rows = re.findall(r"<tr><td>(acme/tiny[^<]*)</td>.*?<td class=\"(regression|improvement)\">", html)
    assert ("acme/tiny | cpu | mode=inference batch=1 | latency_ms_mean", "regression") in rows
    assert ("acme/tiny | cpu | mode=inference batch=1 | throughput_items_per_s", "regression") in rows
    assert not [r for r in rows if r[0].startswith(OTHER)]
    trend = dict(_images(html))["trend_acme_tiny"]
    assert ">regression<" in trend
    assert ">regression<" not in dict(_images(html))["trend_acme_other"]


def test_simulated_data_visibly_marked(written):
    _, out = written
    html = (out / "report.html").read_text()
    assert 'class="simnote"' in html and "3 of " in html  # three simulated F12 results
    charts = dict(_images(html))
    assert ">webgpu (simulated)<" in charts["hardware_acme_tiny"]
    assert "(simulated)" not in charts["hardware_acme_other"]
    # Compatibility: rocm was only seen on mock hardware; cuda failed with its error.
    assert re.search(r'<td class="matrix ok simonly"[^>]*>ran<span class="sim">simulated</span></td>', html)
    assert re.search(r'<td class="matrix bad" title="RuntimeError: CUDA driver not found">failed</td>', html)


def test_png_dir_has_the_same_charts(written):
    info, out = written
    html = (out / "report.html").read_text()
    keys = {k for k, _ in _images(html)}
    pngs = sorted((out / "png").glob("*.png"))
    assert {p.stem for p in pngs} == keys
    assert sorted(map(str, pngs)) == sorted(info["pngs"])
    for p in pngs:
        w, h = _nonblank_png(p)
        assert w > 300 and h > 150


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


def test_report_on_an_empty_warehouse(warehouse_db, cli, tmp_path):
    res = cli("report", "--db", warehouse_db, "--out", str(tmp_path / "empty.html"))
    assert res.code == 0, res.stderr
    html = (tmp_path / "empty.html").read_text()
    assert "0 completed results" in html and "No compatibility facts" in html
    assert not _images(html)
