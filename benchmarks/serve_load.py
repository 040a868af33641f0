"""Load on `benchwh serve`: concurrent clients on loopback against a big warehouse.

    python benchmarks/serve_load.py [--results 1000000] [--clients 4] [--seconds 30] [--smoke]

Builds a warehouse of ``--results`` results with ``benchmarks/query_speed.py``'s bulk builder,
starts ``benchwh serve`` on it in a subprocess (127.0.0.1, a free port), then ``--clients``
threads each request the pages in turn (overview, runs, compatibility, one model page, a
comparison of two runs) for ``--seconds``. The first request of each page is timed apart,
one after the other before the load (``cold``: nothing cached; the overview's judgement is
started when the server starts and a request waits at most a second for it). Then the
load; then (``--uncached``, the default) one result is appended with the Recorder, which
changes the warehouse's stamp, and each page is timed once more (``after a write``).
Prints requests/s and p50/p99 latency per page. Goal: overview p99 < 500 ms at 1,000,000
results. The last line is ``serve_rps=<all pages> overview_p50_ms=<..> overview_p99_ms=<..>
overview_cold_s=<..> model_cold_s=<..> overview_after_write_s=<..> model_after_write_s=<..>``.
``--smoke``: 2,000 results, 2 clients, 3 s. With ``--db`` the warehouse is copied first
(the write goes to the copy).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def main(argv: list[str] | None = None) -> None:
    import httpx

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--db", type=Path, help="Use this warehouse instead of building one.")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--no-uncached", dest="uncached", action="store_false",
                    help="Skip the write and the timings after it.")
    a = ap.parse_args(argv)
    if a.smoke:
        a.results, a.clients, a.seconds = 2_000, 2, 3.0
    sys.path.insert(0, str(HERE))
    with tempfile.TemporaryDirectory(prefix="serve_load_") as tmp:
        db = a.db
        if db is not None:
            import shutil

            shutil.copy(db, Path(tmp) / "copy.duckdb")
            db = Path(tmp) / "copy.duckdb"
        if db is None:
            from query_speed import build

            db = Path(tmp) / "big.duckdb"
            t = time.perf_counter()
            build(db, a.results)
            print(f"built {a.results:,} results in {time.perf_counter() - t:.1f} s", flush=True)
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        model = con.execute("SELECT m.model_name FROM results r JOIN models m USING (model_id) LIMIT 1").fetchone()[0]
        runs = [r[0] for r in con.execute(
            "SELECT run_id FROM results GROUP BY run_id ORDER BY min(measured_at) DESC LIMIT 2").fetchall()]
        con.close()
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "benchwh.cli.main", "serve", "--db", str(db), "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"benchwh serve did not start: {server.stderr.read() if server.poll() is not None else 'timeout'}")
                time.sleep(0.2)
            pages = {"overview": "/", "runs": "/runs", "matrix": "/matrix", "model": f"/model?name={model}",
                     "compare": f"/compare?a={runs[-1]}&b={runs[0]}"}

            def once(label: str) -> dict[str, float]:
                took = {}
                for name, url in pages.items():
                    t = time.perf_counter()
                    r = httpx.get(base + url, timeout=600)
                    took[name] = time.perf_counter() - t
                    if r.status_code != 200:
                        raise SystemExit(f"{name} answered {r.status_code}: {r.text[-300:]}")
                print(f"{label}: " + ", ".join(f"{k} {v:.2f} s" for k, v in took.items()), flush=True)
                return took

            first = once("first request of each page (cold)")
            cold = first["overview"]
            lat: dict[str, list[float]] = {k: [] for k in pages}
            errors: list[str] = []
            stop = time.monotonic() + a.seconds
            lock = threading.Lock()

            def client(offset: int) -> None:
                names = list(pages)
                i = offset
                with httpx.Client(base_url=base, timeout=120) as c:
                    while time.monotonic() < stop:
                        name = names[i % len(names)]
                        i += 1
                        t0 = time.perf_counter()
                        resp = c.get(pages[name])
                        dt = time.perf_counter() - t0
                        with lock:
                            if resp.status_code == 200:
                                lat[name].append(dt)
                            else:
                                errors.append(f"{name}: {resp.status_code}")

            t0 = time.perf_counter()
            threads = [threading.Thread(target=client, args=(k,)) for k in range(a.clients)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            wall = time.perf_counter() - t0
            after = None
            if a.uncached:
                from benchwh.runners.recorder import Recorder

                with Recorder(str(db), origin="serve_load.probe", progress=False) as rec:
                    rec.result(model, "cpu", batch_size=1, latency_ms_mean=1.0)
                time.sleep(0.1)
                after = once("after one write (every cache invalid)")
        finally:
            server.terminate()
            server.wait(timeout=30)
    total = sum(len(v) for v in lat.values())
    print(f"{a.clients} clients, {wall:.1f} s, {a.results:,} results: {total / wall:.1f} requests/s, "
          f"{len(errors)} errors {errors[:3]}")
    for name, v in lat.items():
        if v:
            print(f"{name:>9}: {len(v):5d} requests  p50 {1000 * statistics.median(v):8.1f} ms  "
                  f"p99 {1000 * pct(v, 0.99):8.1f} ms", flush=True)
    ov = lat["overview"]
    tail = (f" overview_after_write_s={after['overview']:.2f} model_after_write_s={after['model']:.2f}"
            if after else "")
    print(f"serve_rps={total / wall:.1f} overview_p50_ms={1000 * statistics.median(ov):.1f} "
          f"overview_p99_ms={1000 * pct(ov, 0.99):.1f} overview_cold_s={cold:.2f} model_cold_s={first['model']:.2f}"
          + tail)


if __name__ == "__main__":
    main()
