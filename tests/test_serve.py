"""``benchwh serve`` through Starlette's TestClient on real DuckDB files: every page answers,
values are escaped, a CSP is set, the token is enforced, the guarded SQL path keeps refusing
and limiting, a writer is never blocked for longer than one request, and a migrated or
replaced warehouse is reopened. Progress files: atomic, read back, stale when their process
is gone."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="benchwh serve needs the serve extra (pip install '.[serve]')")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx (pip install '.[serve]')")

from starlette.testclient import TestClient  # noqa: E402

from conftest import run_cli  # noqa: E402
from test_report import TINY, build_report_warehouse  # noqa: E402

XSS = "<script>alert(1)</script>"
PY = sys.executable

# A writer in another process: N results through the Recorder API (one transaction each),
# each write's lock wait timed; prints {"inserted": n, "spooled": s, "max_wait_s": w}.
WRITER = r"""
import json, sys, time
from benchwh.runners.recorder import Recorder
db, n = sys.argv[1], int(sys.argv[2])
waits = []
with Recorder(db, origin="test.writer", lock_timeout_s=20, say=lambda m: None) as rec:
    for i in range(n):
        t = time.perf_counter()
        rec.result("acme/written", "cpu", batch_size=i + 1, latency_ms_mean=1.0 + i)
        waits.append(time.perf_counter() - t)
        time.sleep(0.02)
print(json.dumps({"inserted": rec.inserted_results, "spooled": len(rec.spooled), "max_wait_s": max(waits)}))
"""

# Holds the warehouse's write lock for a while, then exits.
HOLDER = r"""
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> str:
    """The report tests' warehouse plus one model whose name is markup."""
    from benchwh.runners.recorder import Recorder

    base = tmp_path_factory.mktemp("serve")
    db = str(base / "wh.duckdb")
    build_report_warehouse(base / "legacy", db, run_cli)
    with Recorder(db, origin="test.xss", say=lambda m: None) as rec:
        for i in range(2):
            rec.result(XSS, "cpu", batch_size=1, latency_ms_mean=2.0 + i, device_name=XSS)
        rec.compat(XSS, "cpu", True)
    return db


def client(db, **kw) -> TestClient:
    from benchwh.serve.app import Config, create_app
    from benchwh.warehouse.location import resolve

    return TestClient(create_app(Config(db=resolve(db), **kw)))


def test_every_page_answers_with_csp_and_no_inline_script(small_db):
    c = client(small_db)
    for url in ("/", f"/model?name={TINY}", "/compare", "/matrix", "/runs", "/sql", "/api/progress"):
        r = c.get(url)
        assert r.status_code == 200, (url, r.text[-400:])
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-eval" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        if r.headers["content-type"].startswith("text/html"):
            # Every executable script is a file from this server (CSP allows nothing else).
            for tag in re.findall(r"<script\b[^>]*>", r.text):
                assert 'src="/static/' in tag or 'type="application/octet-stream"' in tag, (url, tag)
    page = c.get(f"/model?name={TINY}").text
    assert 'id="payload"' in page and "/static/plotly.min.js" in page and "/static/report.js" in page
    assert c.get("/static/plotly.min.js").status_code == 200
    assert c.get("/static/../../etc/passwd").status_code == 404


def test_markup_in_a_model_name_renders_as_text(small_db):
    c = client(small_db)
    for url, params in (("/", {}), ("/matrix", {}), ("/model", {"name": XSS}), ("/runs", {})):
        r = c.get(url, params=params)
        assert r.status_code == 200, (url, r.text[-300:])
        assert XSS not in r.text, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in c.get("/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in c.get("/matrix").text
    r = c.get("/model", params={"name": XSS})
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in r.text
    # A query value echoed back (an unknown name) is escaped too.
    r = c.get("/", params={"model": XSS + '"'})
    assert r.status_code == 400 and XSS not in r.text and "no such model" in r.text


def test_unknown_model_is_a_clear_400(small_db):
    r = client(small_db).get("/model", params={"name": "acme/tinny"})
    assert r.status_code == 400 and "no such model" in r.text and "acme/tiny" in r.text


def test_token_is_required_when_set(small_db):
    c = client(small_db, token="s3cret-token")
    assert c.get("/").status_code == 401
    assert c.get("/api/progress").status_code == 401
    assert c.get("/static/report.js").status_code == 401
    assert c.get("/", headers={"X-Benchwh-Token": "wrong"}).status_code == 401
    assert c.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert c.get("/", headers={"X-Benchwh-Token": "s3cret-token"}).status_code == 200
    r = c.get("/runs?token=s3cret-token")
    assert r.status_code == 200 and "benchwh_token=" in r.headers["set-cookie"]
    assert "HttpOnly" in r.headers["set-cookie"]
    assert c.get("/matrix").status_code == 200  # the cookie carries it now
    c.cookies.clear()
    assert c.get("/matrix").status_code == 401
    assert "content-security-policy" in c.get("/").headers


def test_loopback_app_refuses_foreign_host_headers(small_db):
    from benchwh.serve.app import LOOPBACK_NAMES

    c = client(small_db, allowed_hosts=LOOPBACK_NAMES)
    assert c.get("/", headers={"host": "evil.example:8765"}).status_code == 400
    assert c.get("/runs", headers={"host": "127.0.0.1:8765"}).status_code == 200
    assert c.get("/runs", headers={"host": "localhost"}).status_code == 200
    assert c.get("/runs", headers={"host": "[::1]:8765"}).status_code == 200


def test_non_loopback_host_needs_a_token(small_db, monkeypatch):
    from benchwh.serve.app import is_loopback

    monkeypatch.delenv("BENCHWH_SERVE_TOKEN", raising=False)
    res = run_cli("serve", "--db", small_db, "--host", "0.0.0.0")
    assert res.code == 1 and "--token" in res.stderr and "0.0.0.0" in res.stderr
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    res = run_cli("serve", "--db", ":memory:")
    assert res.code == 1 and ":memory:" in res.stderr


@pytest.mark.parametrize("stmt, why", [
    ("DROP TABLE results", "only a read-only query"),
    ("COPY results TO '/tmp/x.csv'", "only a read-only query"),
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv() is not allowed"),
    ("SELECT getenv('HOME')", "getenv() is not allowed"),
    ("SELECT 1; DROP TABLE results", "2 statements"),
    ("SELECT * FROM '/etc/passwd'", "unknown table"),
])
def test_sql_refusals_hold_through_the_app(small_db, stmt, why):
    c = client(small_db)
    r = c.get("/sql", params={"q": stmt})
    assert r.status_code == 400
    assert why in r.text.replace("&#x27;", "'"), r.text[-500:]
    r = c.get("/sql", params={"q": "SELECT count(*) AS n FROM results"})
    assert r.status_code == 200 and re.search(r'<td class="num">[1-9]\d*</td>', r.text)


def test_sql_row_and_time_limits(small_db):
    c = client(small_db, sql_row_limit=5, sql_timeout_s=0.5)
    r = c.get("/sql", params={"q": "SELECT range AS i FROM range(100)"})
    assert r.status_code == 200 and r.text.count('<td class="num">') == 5 and "row limit" in r.text
    t = time.perf_counter()
    r = c.get("/sql", params={"q": "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b"})
    assert time.perf_counter() - t < 10
    assert r.status_code == 400 and "time limit" in r.text, r.text[-400:]


def test_a_writer_appends_while_pages_load(small_db, tmp_path):
    """Another process records 15 results one transaction at a time while this one keeps
    loading pages: every write lands (none spooled), no write waits more than a few page
    loads, and the pages show the new results afterwards (the overview's cache follows the
    file)."""
    db = str(tmp_path / "w.duckdb")
    shutil.copy(small_db, db)
    c = client(db, lock_timeout_s=10)
    assert "acme/written" not in c.get("/").text
    proc = subprocess.Popen([PY, "-c", WRITER, db, "15"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    codes = []
    while proc.poll() is None:
        for url in ("/runs", "/matrix", "/api/progress"):
            codes.append(c.get(url).status_code)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["inserted"] == 15 and doc["spooled"] == 0, doc
    assert doc["max_wait_s"] < 5, doc
    assert len(codes) >= 3 and set(codes) <= {200, 503}, codes
    assert "acme/written" in c.get("/").text


def test_a_held_lock_answers_503_then_recovers(small_db, tmp_path):
    db = str(tmp_path / "h.duckdb")
    shutil.copy(small_db, db)
    c = client(db, lock_timeout_s=0.3)
    holder = subprocess.Popen([PY, "-c", HOLDER, db, "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        r = c.get("/runs")
        assert r.status_code == 503 and "Warehouse unavailable" in r.text
    finally:
        holder.wait(timeout=30)
    assert c.get("/runs").status_code == 200


def test_survives_migration_and_replacement(small_db, tmp_path):
    """A warehouse stamped at an unknown revision answers 503 (one line saying so); back
    at head, and after the file is replaced by another warehouse, pages show what is there
    now: nothing is held between requests."""
    import duckdb

    db = tmp_path / "m.duckdb"
    shutil.copy(small_db, db)
    c = client(str(db))
    assert TINY in c.get("/").text
    con = duckdb.connect(str(db))
    (old,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.close()
    r = c.get("/runs")
    assert r.status_code == 503 and "9999" in r.text
    con = duckdb.connect(str(db))
    con.execute("UPDATE alembic_version SET version_num = ?", [old])
    con.close()
    assert c.get("/runs").status_code == 200
    other = tmp_path / "other.duckdb"
    assert run_cli("migrate", "--db", str(other)).code == 0
    os.replace(other, db)
    r = c.get("/")
    assert r.status_code == 200 and TINY not in r.text


# --- progress files ----------------------------------------------------------------------
def test_progress_files_are_written_atomically_and_read_back(tmp_path):
    from benchwh.progress import FINISHED, RUNNING, Progress, progress_dir, read_all

    db = tmp_path / "wh.duckdb"
    folder = progress_dir(str(db))
    assert folder == tmp_path / "wh.duckdb.progress"
    p = Progress(folder, "run-1", total=4, what="inference")
    p.start()
    p.step("acme/tiny fp32 b1 s128")
    docs = read_all(folder)
    assert [d["run_id"] for d in docs] == ["run-1"]
    d = docs[0]
    assert d["shown"] == RUNNING and d["done"] == 1 and d["total"] == 4 and d["current"] == "acme/tiny fp32 b1 s128"
    assert d["eta_s"] is not None and d["pid"] == os.getpid()
    assert not [f for f in folder.iterdir() if f.name.startswith(".")]  # no temporary left behind
    p.finish()
    assert read_all(folder)[0]["shown"] == FINISHED
    assert not db.exists()  # the warehouse is never touched
    (folder / "broken.json").write_text("{")
    shown = {d["run_id"]: d["shown"] for d in read_all(folder)}
    assert shown == {"run-1": FINISHED, "broken": "unreadable"}


def test_failure_and_staleness(tmp_path):
    from benchwh.progress import FAILED, RUNNING, STALE, Progress, read_all, shown_state

    with pytest.raises(RuntimeError):
        with Progress(tmp_path, "run-f", total=2):
            raise RuntimeError("boom")
    doc = read_all(tmp_path)[0]
    assert doc["shown"] == FAILED and "boom" in doc["error"]
    # A dead process: stale once the timeout passes, running before.
    proc = subprocess.Popen([PY, "-c", "pass"])
    proc.wait()
    base = {"state": RUNNING, "pid": proc.pid, "host": os.uname().nodename, "updated_ts": time.time() - 10}
    import socket

    base["host"] = socket.gethostname()
    assert shown_state(base, stale_after_s=60) == RUNNING
    assert shown_state(base, stale_after_s=5) == STALE
    # A live process on this host stays running however old its file; another host cannot be checked.
    alive = {**base, "pid": os.getpid()}
    assert shown_state(alive, stale_after_s=5) == RUNNING
    assert shown_state({**alive, "host": "elsewhere"}, stale_after_s=5) == STALE


def test_sweep_total_counts_each_models_configurations():
    """N of a sweep: per model, precisions x the (batch, length) pairs it measures (a vision
    model ignores the sequence lengths)."""
    from benchwh.runners.common import SweepSpec
    from benchwh.runners.session import sweep_total

    spec = SweepSpec(models=["bert-tiny", "vit-tiny"], batch_sizes=[1, 2], seq_lens=[8, 16], precisions=["fp32", "fp16"])
    assert sweep_total(spec) == 2 * 2 * 2 + 2 * 2


def test_progress_endpoint_counts_stored_results(small_db, tmp_path):
    from benchwh.progress import Progress, progress_dir
    from benchwh.warehouse.location import resolve

    db = str(tmp_path / "p.duckdb")
    shutil.copy(small_db, db)
    con = __import__("duckdb").connect(db, read_only=True)
    (run_id, n) = con.execute("SELECT run_id, count(*) FROM results GROUP BY run_id ORDER BY 2 DESC LIMIT 1").fetchone()
    con.close()
    Progress(progress_dir(resolve(db)), run_id, total=n).start()
    doc = client(db).get("/api/progress").json()
    assert doc["runs"][0]["run_id"] == run_id and doc["runs"][0]["results"] == n and doc["warehouse_note"] is None


def test_a_runner_sweep_publishes_its_progress(fresh_db):
    """`benchwh run inference` (the sweep loop in benchwh.runners.session) leaves a finished
    progress file for its run: 2 of 2 configurations."""
    pytest.importorskip("torch", reason="runner tests need torch (pip install 'benchwh[runners]')")
    pytest.importorskip("transformers", reason="runner tests need transformers (pip install 'benchwh[runners]')")
    from benchwh.progress import progress_dir, read_all

    res = run_cli("run", "inference", "--model", "bert-tiny", "--hardware", "cpu", "--batch-sizes", "1",
                  "--seq-lens", "8,16", "--iterations", "2", "--warmup", "1", "--db", fresh_db, "--json")
    assert res.code == 0, res.stderr
    import duckdb

    con = duckdb.connect(fresh_db, read_only=True)
    (run_id,) = {r[0] for r in con.execute("SELECT run_id FROM results").fetchall()}
    con.close()
    docs = read_all(progress_dir(fresh_db))
    assert [d["run_id"] for d in docs] == [run_id]
    d = docs[0]
    assert d["shown"] == "finished" and d["total"] == 2 and d["done"] == 2 and d["what"] == "inference"
    assert d["current"] is None and d["eta_s"] == 0 and d["pid"] == os.getpid()
    assert d["last"] == "prajjwal1/bert-tiny cpu fp32 b1 s16"


def test_a_cli_runner_draws_a_terminal_progress_bar(fresh_db):
    """On a terminal (rich's TTY_COMPATIBLE=1 says stderr is one) `benchwh run inference`
    draws the recorder's progress as a rich bar: k/N configurations, finished; on a pipe it
    draws nothing."""
    pytest.importorskip("torch", reason="runner tests need torch (pip install 'benchwh[runners]')")
    pytest.importorskip("transformers", reason="runner tests need transformers (pip install 'benchwh[runners]')")
    args = ("run", "inference", "--model", "bert-tiny", "--hardware", "cpu", "--batch-sizes", "1,2",
            "--seq-lens", "8", "--iterations", "2", "--warmup", "1", "--db", fresh_db)
    res = run_cli(*args, env={"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "0", "COLUMNS": "200", "NO_COLOR": "1"})
    assert res.code == 0, res.stderr
    bar = [line for line in res.stderr.splitlines() if "configurations" in line]
    assert bar, res.stderr
    assert "inference" in bar[-1] and "2/2 configurations" in bar[-1] and "finished" in bar[-1]
    assert "━" in bar[-1]  # rich's bar
    assert "prajjwal1/bert-tiny" in res.stdout  # the results table is still on stdout
    plain = run_cli(*args, env={"TTY_COMPATIBLE": "0"})
    assert plain.code == 0 and "configurations" not in plain.stderr and "━" not in plain.stderr


@pytest.mark.postgres
def test_pages_on_a_ducklake(make_warehouse, tmp_path):
    """The same pages over a DuckLake on PostgreSQL: read-only per request, the guarded SQL
    path still refusing, progress beside the lake's data folder."""
    from benchwh.progress import Progress, progress_dir
    from benchwh.serve.app import Config, create_app

    wh = make_warehouse("lake", tmp_path / "lake")
    build_report_warehouse(tmp_path / "legacy", wh.db, run_cli, "--data-path", wh.data_path)
    loc = wh.location()
    folder = progress_dir(loc)
    assert folder == Path(wh.data_path).with_name("lake-data.progress")
    Progress(folder, "lake-run", total=3, what="inference").start()
    c = TestClient(create_app(Config(db=loc)))
    for url in ("/", f"/model?name={TINY}", "/matrix", "/runs"):
        r = c.get(url)
        assert r.status_code == 200, (url, r.text[-300:])
    assert TINY in c.get("/").text
    r = c.get("/sql", params={"q": "SELECT * FROM read_csv('/etc/passwd')"})
    assert r.status_code == 400 and "read_csv() is not allowed" in r.text
    r = c.get("/sql", params={"q": "SELECT count(*) FROM results"})
    assert r.status_code == 200 and re.search(r'<td class="num">[1-9]\d*</td>', r.text)
    doc = c.get("/api/progress").json()
    assert [d["run_id"] for d in doc["runs"]] == ["lake-run"] and doc["runs"][0]["results"] == 0


@pytest.mark.postgres
def test_a_ducklake_is_cached_by_snapshot_and_a_write_shows(make_warehouse, tmp_path):
    """A DuckLake's stamp is its newest snapshot: pages are cached under it, and a write (a
    new snapshot) makes the next request read the lake again and show the new result."""
    from benchwh.serve.app import Config, create_app
    from benchwh.serve.cached import warehouse_stamp

    wh = make_warehouse("lake", tmp_path / "lake")
    build_report_warehouse(tmp_path / "legacy", wh.db, run_cli, "--data-path", wh.data_path)
    loc = wh.location()
    before = warehouse_stamp(loc)
    assert before is not None and before == warehouse_stamp(loc)
    app = create_app(Config(db=loc))
    c = TestClient(app)
    first = c.get("/matrix")
    assert first.status_code == 200 and "acme/written" not in c.get("/").text
    assert any(k[0] == "matrix" and k[-1] == before for k in app.state.cache.items)
    assert c.get("/matrix").text == first.text
    env = dict(os.environ, BENCHWH_DATA_PATH=wh.data_path)
    proc = subprocess.run([PY, "-c", WRITER, wh.db, "2"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    after = warehouse_stamp(loc)
    assert after is not None and after != before
    assert "acme/written" in c.get("/").text
    assert any(k[0] == "overview-tables" and k[-1] == after for k in app.state.cache.items)


def test_compare_two_commits(fresh_db):
    """Two commits, two runs each: each side's newest point per series is compared; the
    4x slower current commit is a significant regression."""
    import random
    from datetime import datetime, timedelta

    from benchwh.records import RunInfo
    from benchwh.runners.recorder import Recorder

    t0 = datetime(2026, 1, 1, 12, 0)
    rng = random.Random(7)
    for n, (commit, mean) in enumerate((("aaaa1111" + "0" * 32, 2.0), ("aaaa1111" + "0" * 31 + "1", 2.0),
                                        ("bbbb2222" + "0" * 32, 8.0), ("bbbb2222" + "0" * 32, 8.0))):
        run = RunInfo(origin="test.commits", started_at=t0 + timedelta(hours=n), run_key=str(n), git_commit=commit)
        with Recorder(fresh_db, run=run, say=lambda m: None) as rec:
            samples = [mean * (0.9 + 0.2 * rng.random()) for _ in range(20)]
            rec.result("acme/c", "cpu", batch_size=1, latency_ms_mean=sum(samples) / 20, latency_samples_ms=samples,
                       measured_at=t0 + timedelta(hours=n, minutes=1))
    c = client(fresh_db)
    r = c.get("/compare", params={"ca": "aaaa1111" + "0" * 32, "cb": "bbbb"})
    assert r.status_code == 200, r.text[-400:]
    row = re.search(r'<tr class="(\w+)"><td>\w+</td><td>acme/c \| cpu \| [^<]* \| latency_ms_mean</td>'
                    r'<td class="num">([\d.]+)</td><td class="num">([\d.]+)</td><td>([+\-\d.]+)%</td><td>(\w+)</td>', r.text)
    assert row and row.group(1) == "regression" and row.group(5) == "mwu", r.text[-1500:]
    assert 1.8 < float(row.group(2)) < 2.2 and 7.2 < float(row.group(3)) < 8.8
    assert c.get("/compare", params={"ca": "aaaa", "cb": "bbbb"}).status_code == 400  # two commits start aaaa
    both = c.get("/compare", params={"a": "x", "ca": "bbbb"})
    assert both.status_code == 400 and "not both" in both.text


def test_a_model_sliced_from_every_models_read_is_what_reading_it_alone_gives(small_db):
    """The model page slices the overview's read of every model (benchwh.report.data.for_model);
    the page's data must be the same as reading that model alone, for every model."""
    from benchwh.regress import Settings
    from benchwh.report import html as rhtml
    from benchwh.report.data import for_model, gather
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.report_read import failed_count

    loc = resolve(small_db)
    every = gather(loc, None, Settings(), change_points=lambda _d: [])
    assert len(every.models) >= 2
    for model in every.models:
        alone = gather(loc, [model], Settings())
        with open_warehouse(loc, read_only=True) as con:
            failed = failed_count(con, [model])
        sliced = for_model(every, model, failed)
        assert sliced.points.height == alone.points.height > 0
        assert rhtml.build_payload(sliced, Settings()) == rhtml.build_payload(alone, Settings()), model


def test_background_value_waits_a_bounded_time_and_says_when_it_is_older():
    import threading

    from benchwh.serve.cached import Background

    release, calls = threading.Event(), []

    def compute():
        calls.append(1)
        release.wait(10)
        return len(calls)

    bg = Background(compute, wait_s=0.2)
    t = time.monotonic()
    value, fresh, started = bg.get("s1")
    assert value is None and not fresh and started is not None and time.monotonic() - t < 5
    release.set()
    deadline = time.monotonic() + 10
    while bg.peek("s1") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert bg.get("s1") == (1, True, None) and len(calls) == 1  # computed once for its stamp
    release.clear()
    value, fresh, _ = bg.get("s2")  # a write: the older value, said to be older
    assert (value, fresh) == (1, False) and bg.peek("s2") is None
    release.set()
    while bg.peek("s2") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert bg.get("s2") == (2, True, None)


def test_progress_stream_sends_each_change_as_an_event(small_db, tmp_path):
    """/api/progress/stream: server-sent events carrying the /api/progress document, a new
    event when a run's progress moves; the answer ends after stream_s (the browser reconnects)."""
    import threading

    from benchwh.progress import Progress, progress_dir
    from benchwh.warehouse.location import resolve

    db = str(tmp_path / "s.duckdb")
    shutil.copy(small_db, db)
    prog = Progress(progress_dir(resolve(db)), "run-stream", total=3, what="inference").start()
    threading.Timer(0.6, lambda: prog.step("acme/m cpu b2")).start()
    c = client(db, poll_ms=100, stream_s=1.5)
    t = time.monotonic()
    with c.stream("GET", "/api/progress/stream") as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        assert "script-src 'self'" in r.headers["content-security-policy"]
        events = [json.loads(line[5:]) for line in r.iter_lines() if line.startswith("data:")]
    assert time.monotonic() - t < 10
    done = [e["runs"][0]["done"] for e in events if e["runs"]]
    assert done[0] == 0 and done[-1] == 1, done
    assert events[-1]["runs"][0]["current"] == "acme/m cpu b2" and events[-1]["runs"][0]["results"] == 0
    assert client(db, token="s3cret").get("/api/progress/stream").status_code == 401
