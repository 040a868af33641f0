"""Live progress of runs, published beside the warehouse and never inside it.

A run that is going writes one small JSON file, ``<warehouse>.progress/<run_id>.json``
(for a DuckLake, ``<data path>.progress/``; ``BENCHWH_PROGRESS_DIR`` overrides both), each
time something happens: started, configuration k of N (and which), ETA, finished or failed.
Every write goes to a temporary file in the same folder and is renamed over the old one, so
a reader sees the previous or the next state, never half of one. The warehouse is not
touched, so a locked warehouse never delays or blocks a progress write.

Readers (``benchwh serve``'s runs page) call :func:`read_all`: a file whose state is
``running`` but that has not been written for ``stale_after_s`` while its process is gone
(or lives on another host, where it cannot be checked) is shown as ``stale``.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ENV_PROGRESS_DIR = "BENCHWH_PROGRESS_DIR"
DEFAULT_STALE_AFTER_S = 60.0
RUNNING, FINISHED, FAILED, STALE = "running", "finished", "failed", "stale"


def progress_dir(db: Any = None, data_path: str | None = None) -> Path | None:
    """The progress folder of warehouse ``db`` (a Location or ``--db`` text), or None for an
    in-memory warehouse (nothing outside the process could read it)."""
    env = os.environ.get(ENV_PROGRESS_DIR)
    if env:
        return Path(env)
    from benchwh.warehouse.location import Location, resolve

    loc = db if isinstance(db, Location) else resolve(db, data_path)
    if loc.is_file and loc.path is not None:
        return loc.path.with_name(loc.path.name + ".progress")
    if loc.is_lake:
        base = loc.data_path or loc.path
        if base is not None:
            base = Path(base)
            return base.with_name(base.name.rstrip("/") + ".progress")
    return None


def _now() -> float:
    return time.time()


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


def _safe_name(run_id: str) -> str:
    name = "".join(c for c in str(run_id) if c.isalnum() or c in "-_.")
    if not name or name.startswith("."):
        raise ValueError(f"run id {run_id!r} cannot name a progress file")
    return name


def write_atomic(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` as JSON to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, default=str), encoding="utf-8")
    os.replace(tmp, path)


class Progress:
    """One run's progress file. ``start`` once, ``step`` per configuration begun or done,
    then ``finish`` or ``fail``. Usable as a context manager: an exception marks it failed.

    ``folder`` None writes no file (an in-memory warehouse, a run without one). ``listener``
    is called with a copy of the document after every write (the CLI's terminal bar)."""

    def __init__(self, folder: Path | None, run_id: str, total: int | None = None, what: str = "",
                 model: str | None = None, listener: Callable[[dict[str, Any]], None] | None = None):
        self.folder = Path(folder) if folder is not None else None
        self.path = self.folder / f"{_safe_name(run_id)}.json" if self.folder is not None else None
        self.doc: dict[str, Any] = {
            "run_id": str(run_id), "what": what, "model": model, "state": RUNNING, "total": total,
            "done": 0, "current": None, "last": None, "eta_s": None, "error": None, "pid": os.getpid(),
            "host": socket.gethostname(), "started_at": None, "updated_at": None,
        }
        self.listener = listener
        self._t0: float | None = None

    def _write(self) -> None:
        t = _now()
        self.doc["updated_at"] = _iso(t)
        self.doc["updated_ts"] = t
        if self.path is not None:
            write_atomic(self.path, self.doc)
        if self.listener is not None:
            self.listener(dict(self.doc))

    def start(self) -> "Progress":
        self._t0 = _now()
        self.doc["started_at"] = _iso(self._t0)
        self.doc["started_ts"] = self._t0
        self._write()
        return self

    def step(self, current: str | None = None, done: int | None = None, last: str | None = None) -> None:
        """Configuration ``current`` is under way; ``done`` configurations are complete
        (default: one more than before); ``last`` is the one completed most recently."""
        self.doc["done"] = self.doc["done"] + 1 if done is None else int(done)
        self.doc["current"] = current
        if last is not None:
            self.doc["last"] = last
        self._update_eta()
        self._write()

    def begin(self, current: str) -> None:
        """Configuration ``current`` is under way (none completed by this)."""
        self.doc["current"] = current
        self._write()

    def expect(self, total: int | None) -> None:
        """The run now knows (or no longer knows) how many configurations it has."""
        self.doc["total"] = int(total) if total is not None else None
        self._update_eta()
        self._write()

    def _update_eta(self) -> None:
        total, done_n = self.doc["total"], self.doc["done"]
        if total and done_n and self._t0 is not None:
            per = (_now() - self._t0) / done_n
            self.doc["eta_s"] = round(max(total - done_n, 0) * per, 1)

    def finish(self) -> None:
        self.doc.update(state=FINISHED, current=None, eta_s=0)
        self._write()

    def fail(self, error: str) -> None:
        self.doc.update(state=FAILED, error=str(error)[:500])
        self._write()

    def __enter__(self) -> "Progress":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.fail(f"{exc_type.__name__}: {exc}")


def for_run(db: Any, data_path: str | None, run_id: str, total: int | None = None, what: str = "") -> Progress:
    """A Progress for ``run_id`` in the progress folder of warehouse ``db`` (a no-op writer
    for an in-memory warehouse)."""
    return Progress(progress_dir(db, data_path), run_id, total, what)


def _pid_alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except (TypeError, ValueError, OverflowError):
        return False
    # A zombie (killed, not yet reaped by its parent) is gone for our purpose.
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def shown_state(doc: dict[str, Any], stale_after_s: float, now: float | None = None) -> str:
    """``running`` | ``stale`` | ``finished`` | ``failed`` for one progress document."""
    state = doc.get("state")
    if state != RUNNING:
        return state if state in (FINISHED, FAILED) else STALE
    ts = doc.get("updated_ts")
    age = (now if now is not None else _now()) - float(ts) if isinstance(ts, (int, float)) else None
    if age is None or age > stale_after_s:
        here = doc.get("host") == socket.gethostname()
        if not here or not _pid_alive(doc.get("pid")):
            return STALE
    return RUNNING


def read_all(folder: Path | None, stale_after_s: float = DEFAULT_STALE_AFTER_S) -> list[dict[str, Any]]:
    """Every progress file in ``folder`` (newest update first), each with ``shown`` (its
    state as it should be shown) and ``age_s``. Unreadable files are listed with state
    ``unreadable`` and the reason, not skipped."""
    if folder is None or not Path(folder).is_dir():
        return []
    now = _now()
    out = []
    for p in Path(folder).glob("*.json"):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as e:
            out.append({"run_id": p.stem, "shown": "unreadable", "error": f"{p.name}: {e}", "age_s": None})
            continue
        ts = doc.get("updated_ts")
        doc["age_s"] = round(now - ts, 1) if isinstance(ts, (int, float)) else None
        doc["shown"] = shown_state(doc, stale_after_s, now)
        out.append(doc)
    out.sort(key=lambda d: -(d.get("updated_ts") or 0))
    return out


def config_label(record: Any) -> str | None:
    """A short name of a record's configuration: ``model hardware precision b8 s128``."""
    r = record
    parts = [getattr(r, "model_name", None) or getattr(r, "benchmark", None) or getattr(r, "test_name", None),
             getattr(r, "hardware_type", None), getattr(r, "precision", None),
             f"b{r.batch_size}" if getattr(r, "batch_size", None) is not None else None,
             f"s{r.sequence_length}" if getattr(r, "sequence_length", None) is not None else None]
    return " ".join(str(p) for p in parts if p) or None


def config_key(record: Any) -> tuple:
    """What makes a record one configuration of a run: results that differ only in their
    scenario (a generation's prefill, decode and end-to-end) or rank (a distributed run's
    per-rank rows) are one configuration."""
    import json as _json

    names = ("model_name", "benchmark", "test_name", "module", "hardware_type", "device_name", "mode",
             "batch_size", "sequence_length", "input_shape", "precision")
    params = getattr(record, "benchmark_params", None)
    return (type(record).__name__, *(str(getattr(record, n, None)) for n in names),
            _json.dumps(params, sort_keys=True, default=str) if params else None)
