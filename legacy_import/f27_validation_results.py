"""F27: ``key_models_hardware_fixes/validation_results.json``, a top-level list of
``{model, platform, file_path, success, timestamp, returncode, stdout, stderr}`` (success and
returncode are strings in the real file: ``"False"``, ``"1"``).

Each entry ran one fixed test file for a model on a platform -> one ``CompatFact``
(measured_at = the entry's ``timestamp``). ``success`` true -> compatible True. ``success``
false -> compatible None (unknown) with status 'failed', the last stderr line as error and
returncode in details: the corpus failures are IndentationErrors in the test files themselves,
which say nothing about the model on that hardware, so no "incompatible" is claimed.
model_name is the model key the file uses (``bert``, ``clip``...). Run: origin
``validate_hardware_fixes``, started_at = the earliest entry time.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.legacy_import.fields import tail
from benchwh.records import CompatFact, Record, RunInfo

_ENTRY_KEYS = {"model", "platform", "success"}


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return None


class ValidationResultsImporter(Importer, name="f27-validation-results", formats=("F27",), keys={"model",
                                "platform", "file_path", "success", "timestamp", "returncode", "stdout",
                                "stderr"}):
    """validation_results list [{model, platform, success, returncode, stdout, stderr, timestamp}]"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, list) and bool(doc) and isinstance(doc[0], dict)
                and _ENTRY_KEYS <= set(doc[0]) and "returncode" in doc[0])

    def convert(self, doc: list, ctx: ImportContext) -> Iterator[Record]:
        entries = [(i, e) for i, e in enumerate(doc) if isinstance(e, dict)
                   and isinstance(e.get("model"), str) and e["model"].strip()]
        if not entries:
            raise SkipFile("validation results list no model")
        times = [t for _, e in entries if (t := nz.parse_time(e.get("timestamp")))]
        run = RunInfo(origin="validate_hardware_fixes", started_at=min(times) if times else ctx.path_time)
        for i, e in entries:
            hw, mock = nz.hardware(e.get("platform"))
            ok = _bool(e.get("success"))
            details: dict[str, Any] = {}
            rc = nz.to_int(e.get("returncode"))
            if rc is not None:
                details["returncode"] = rc
            if isinstance(e.get("file_path"), str):
                details["file_path"] = e["file_path"]
            plat = e.get("platform")
            yield CompatFact(
                run=run, model_name=e["model"].strip(), hardware_type=hw or "unknown",
                device_name=plat if isinstance(plat, str) and hw is None else None,
                compatible=True if ok else None,
                status="unknown" if ok is None else ("completed" if ok else "failed"),
                error=None if ok else tail(e.get("stderr")), details=details,
                is_simulated=mock, simulation_reason="platform marked (mock)" if mock else None,
                measured_at=nz.parse_time(e.get("timestamp")) or run.started_at, provenance=ctx.prov(ptr(i)))


IMPORTERS = [ValidationResultsImporter()]
