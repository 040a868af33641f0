"""benchwh's own interchange format: records as a versioned JSON file.

A runner with ``--no-db-store`` writes one (on a GPU box without the warehouse stack), the spool
keeps locked-out batches in it, and ``benchwh import`` reads it back through the
``benchwh-interchange`` importer. Reading gives records equal to the ones written, field for
field, so every content-hash id is the same as if the runner had written to the warehouse.
Pure standard library: importing this module pulls in no warehouse dependency.

Document (version 1)::

    {"format": "benchwh-interchange", "version": 1, "benchwh_version": "0.1.0",
     "runs": [{<RunInfo fields>, "run_id": "..."}],
     "records": [{"kind": "Result", "run_id": "...", <fields>, "result_id": "..."}, ...]}

See the README, "The interchange format", for the field-by-field description.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Union

from benchwh.errors import BenchwhError
from benchwh.records import (
    CompatFact, ModelInfo, Provenance, Record, Result, RunInfo, RunMeta, TestOutcome,
    benchmark_params_problem,
)

FORMAT = "benchwh-interchange"
VERSION = 1

KINDS: dict[str, type] = {c.__name__: c for c in (Result, CompatFact, TestOutcome, RunMeta, ModelInfo)}
GENERIC_FIELDS = ("benchmark", "benchmark_params", "reported_unit")  # Result's, optional in a document
ID_FIELD = {"Result": "result_id", "CompatFact": "compat_id", "TestOutcome": "test_id"}


class InterchangeError(BenchwhError):
    """An interchange document that cannot be read faithfully (the message says where)."""


# --- writing ---------------------------------------------------------------------------

def _enc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dict):
        return {str(k): _enc(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_enc(v) for v in value]
    return value


def _fields(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.name: _enc(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in skip}


def to_document(records: Iterable[Record]) -> dict[str, Any]:
    """The interchange document for ``records`` (runs listed once, records refer to them)."""
    from benchwh import __version__

    runs: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for rec in records:
        kind = type(rec).__name__
        if kind not in KINDS:
            raise InterchangeError(f"not a benchwh record: {kind}")
        item: dict[str, Any] = {"kind": kind}
        run = getattr(rec, "run", None)
        if run is not None:
            rid = run.run_id
            if rid not in runs:
                runs[rid] = dict(_fields(run), run_id=rid)
            item["run_id"] = rid
        item.update(_fields(rec, skip=("run", "provenance")))
        if kind == "Result":
            # A model result's generic benchmark fields are left out when unset, so a model-only
            # document reads the same in a benchwh from before they existed.
            for name in GENERIC_FIELDS:
                if item.get(name) is None:
                    item.pop(name, None)
        prov = getattr(rec, "provenance", None)
        if prov is not None and any(getattr(prov, f.name) is not None for f in dataclasses.fields(prov)):
            item["provenance"] = _fields(prov)
        if kind in ID_FIELD:
            item[ID_FIELD[kind]] = getattr(rec, ID_FIELD[kind])
        out.append(item)
    return {"format": FORMAT, "version": VERSION, "benchwh_version": __version__,
            "runs": list(runs.values()), "records": out}


def dumps(records: Iterable[Record]) -> str:
    try:
        return json.dumps(to_document(records), indent=1, allow_nan=False, ensure_ascii=False)
    except ValueError as e:  # NaN/Infinity: JSON has no spelling for them
        raise InterchangeError(f"a record holds a value JSON cannot carry ({e}); use None for missing") from None


def journal_line(records: Iterable[Record]) -> bytes:
    """``records`` as one journal line: a complete interchange document on one line, ending in a
    newline (see ``journal_document``). Each line names its runs, so any line reads alone."""
    try:
        text = json.dumps(to_document(records), separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    except ValueError as e:
        raise InterchangeError(f"a record holds a value JSON cannot carry ({e}); use None for missing") from None
    return (text + "\n").encode("utf-8")


def atomic_write(path: Path, data: bytes, tmp_name: str | None = None) -> Path:
    """Write ``data`` to ``path`` so a reader sees the old file or the whole new one: a temporary
    file in the same folder, fsync, rename over ``path``, fsync the folder."""
    path = Path(path)
    tmp = path.with_name(tmp_name or f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return path  # some platforms cannot open a folder; the rename itself is atomic
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return path


def write_file(path: str | os.PathLike, records: Iterable[Record]) -> Path:
    """Write ``records`` as an interchange file at ``path`` (atomically)."""
    return atomic_write(Path(path), dumps(records).encode("utf-8"))


# --- reading ---------------------------------------------------------------------------

_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _dec(value: Any, tp: Any, where: str) -> Any:
    """``value`` (parsed JSON) as type ``tp``, or InterchangeError naming ``where``."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _dec(value, inner, where)
    if tp is Any:
        return value
    if tp is datetime:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        raise InterchangeError(f"{where}: expected an ISO date-time, got {value!r}")
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    elif origin is dict:
        if isinstance(value, dict):
            _, vt = typing.get_args(tp)
            return {k: _dec(v, vt, f"{where}.{k}") for k, v in value.items()}
    elif origin is list:
        if isinstance(value, list):
            (vt,) = typing.get_args(tp)
            return [_dec(v, vt, f"{where}[{i}]") for i, v in enumerate(value)]
    else:  # pragma: no cover - a record type this reader does not know yet
        raise InterchangeError(f"{where}: unsupported field type {tp}")
    name = getattr(tp, "__name__", str(tp))
    raise InterchangeError(f"{where}: expected {name}, got {type(value).__name__} {value!r:.60}")


def _build(cls: type, data: dict[str, Any], where: str, extra: dict[str, Any]) -> Any:
    hints = _hints(cls)
    unknown = set(data) - set(hints)
    if unknown:
        raise InterchangeError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = dict(extra)
    for f in dataclasses.fields(cls):
        if f.name in extra:
            continue
        if f.name in data:
            kwargs[f.name] = _dec(data[f.name], hints[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise InterchangeError(f"{where}: missing field '{f.name}'")
    return cls(**kwargs)


def from_document(doc: Any) -> list[Record]:
    """Records from a parsed interchange document. Every stored id is checked against the id
    recomputed from the record's content; any mismatch, unknown field or wrong type raises
    InterchangeError (nothing is returned for a document that is wrong anywhere)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InterchangeError(f"not a {FORMAT} document")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InterchangeError(f"{FORMAT}: version must be a positive integer, got {version!r}")
    if version > VERSION:
        raise InterchangeError(
            f"{FORMAT} version {version} was written by a newer benchwh "
            f"({doc.get('benchwh_version', '?')}); this one reads up to {VERSION}: upgrade benchwh")
    runs_doc, recs_doc = doc.get("runs"), doc.get("records")
    if not isinstance(runs_doc, list) or not isinstance(recs_doc, list):
        raise InterchangeError(f"{FORMAT}: 'runs' and 'records' must be lists")
    runs: dict[str, RunInfo] = {}
    for i, item in enumerate(runs_doc):
        where = f"/runs/{i}"
        if not isinstance(item, dict):
            raise InterchangeError(f"{where}: expected an object")
        body = {k: v for k, v in item.items() if k != "run_id"}
        run = _build(RunInfo, body, where, {})
        if item.get("run_id") != run.run_id:
            raise InterchangeError(f"{where}: run_id {item.get('run_id')!r} does not match the run's content ({run.run_id})")
        runs[run.run_id] = run
    out: list[Record] = []
    for i, item in enumerate(recs_doc):
        where = f"/records/{i}"
        if not isinstance(item, dict):
            raise InterchangeError(f"{where}: expected an object")
        kind = item.get("kind")
        if kind not in KINDS:
            raise InterchangeError(f"{where}: unknown kind {kind!r}; known: {', '.join(KINDS)}")
        cls = KINDS[kind]
        body = {k: v for k, v in item.items() if k not in ("kind", "run_id", ID_FIELD.get(kind))}
        extra: dict[str, Any] = {}
        if "run" in _hints(cls):
            rid = item.get("run_id")
            if rid not in runs:
                raise InterchangeError(f"{where}: run_id {rid!r} is not among the document's runs")
            extra["run"] = runs[rid]
        if "provenance" in body:
            p = body.pop("provenance")
            if not isinstance(p, dict):
                raise InterchangeError(f"{where}.provenance: expected an object")
            extra["provenance"] = _build(Provenance, p, f"{where}.provenance", {})
        rec = _build(cls, body, where, extra)
        if kind == "Result":
            problem = benchmark_params_problem(rec.benchmark_params)
            if problem:
                raise InterchangeError(f"{where}.benchmark_params: {problem}")
        if kind in ID_FIELD:
            stored, actual = item.get(ID_FIELD[kind]), getattr(rec, ID_FIELD[kind])
            if stored != actual:
                raise InterchangeError(f"{where}: {ID_FIELD[kind]} {stored!r} does not match the record's content "
                                       f"({actual}); was the file edited?")
        out.append(rec)
    return out


def journal_document(text: str | bytes) -> dict[str, Any] | None:
    """The one document a journal holds, or None when ``text`` is not a journal.

    A journal (the recorder's append-only file) is JSON Lines: each line is a whole interchange
    document, appended with one write. A last line without its newline was cut by a crash before
    its write returned, so it is dropped; any other line that is not a document is an error."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    lines = data.split(b"\n")
    lines.pop()  # after the last newline: empty, or a line whose write never completed
    if not lines:
        return None
    runs: dict[Any, Any] = {}
    records: list[Any] = []
    version, made_by = 0, None
    for n, line in enumerate(lines, 1):
        try:
            part = json.loads(line)
        except ValueError as e:
            if n == 1:
                return None
            raise InterchangeError(f"journal line {n}: not JSON: {e}") from None
        if not isinstance(part, dict) or part.get("format") != FORMAT:
            if n == 1:
                return None
            raise InterchangeError(f"journal line {n}: not a {FORMAT} document")
        if not isinstance(part.get("runs"), list) or not isinstance(part.get("records"), list):
            raise InterchangeError(f"journal line {n}: 'runs' and 'records' must be lists")
        v = part.get("version")
        if not isinstance(v, int) or isinstance(v, bool):
            raise InterchangeError(f"journal line {n}: version must be a positive integer, got {v!r}")
        if v > version:
            version, made_by = v, part.get("benchwh_version")
        for run in part["runs"]:
            key = run.get("run_id") if isinstance(run, dict) else id(run)
            if runs.setdefault(key, run) != run:
                raise InterchangeError(f"journal line {n}: run {key!r} differs from the same run on an earlier line")
        records.extend(part["records"])
    return {"format": FORMAT, "version": version, "benchwh_version": made_by,
            "runs": list(runs.values()), "records": records}


def loads(text: str | bytes) -> list[Record]:
    try:
        doc = json.loads(text)
    except ValueError as e:
        doc = journal_document(text)  # a journal: one document per line
        if doc is None:
            raise InterchangeError(f"not JSON: {e}") from None
    return from_document(doc)


def read_file(path: str | os.PathLike) -> list[Record]:
    """Records of the interchange file at ``path``; InterchangeError names the file."""
    p = Path(path)
    try:
        return loads(p.read_bytes())
    except InterchangeError as e:
        raise InterchangeError(f"{p}: {e}") from None
