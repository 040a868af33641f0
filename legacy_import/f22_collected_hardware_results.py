"""F22: collected hardware test results ``hardware_<hw>_results_<TS>.json``.

Shape: ``{<test module>: {<sub-test>: status string | shape | dtype | bool, ...} | "<error>"}``,
one entry per skill test module (``test_hf_bert``...), run on one machine. No metric anywhere.

Each status string of a module's dict (``"cpu_init": "Success"``, ``"Failed Qualcomm
initialization"``, ``"Error: ..."``, ``"CUDA not available"`` -> skipped) -> one ``TestOutcome``
(module = the entry key, test_name = the sub-test key, hardware from its prefix). A module whose
value is a bare string crashed before testing (``"'transformers'"`` is a KeyError text):
``TestOutcome(test_name=<module>, status='failed', error=<text>)``. Shapes, dtypes and booleans
(``cpu_similarity_in_range``) are test internals, not outcomes.

The file holds no time: measured_at / the run's started_at come from the file name; the
hardware in the file name is not used (sub-test prefixes say the hardware). Run: origin
``collect_hardware_results``.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.legacy_import.f16_skill_common import hw_of_key, status_of
from benchwh.records import Record, RunInfo, TestOutcome


def _module_dict(v: Any) -> bool:
    return isinstance(v, dict) and any(isinstance(k, str) and (k == "init" or k.endswith(("_init", "_tests")))
                                       and status_of(x) is not None for k, x in v.items())


class CollectedHardwareResultsImporter(Importer, name="f22-collected-hardware-results", formats=("F22",),
                                       keys={"test_hf_bert", "test_hf_clip", "test_hf_t5",
                                       "test_default_embed", "test_default_lm"}):
    """collected skill-test statuses per module {test_<skill>: {sub-test: status} | error text}"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or not doc:
            return False
        if not all(isinstance(k, str) and k.startswith("test_") for k in doc):
            return False
        return all(isinstance(v, str) or isinstance(v, dict) for v in doc.values()) and any(
            _module_dict(v) for v in doc.values())

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        run = RunInfo(origin="collect_hardware_results", started_at=ctx.path_time)
        count = 0
        for module, val in doc.items():
            if isinstance(val, str):
                count += 1
                yield TestOutcome(run=run, module=module, test_name=module, status="failed", error=val,
                                  measured_at=ctx.path_time, provenance=ctx.prov(ptr(module)))
                continue
            if not isinstance(val, dict):
                continue
            for key, text in val.items():
                st = status_of(text) if isinstance(key, str) else None
                if st is None:
                    continue
                status, error, sim = st
                count += 1
                yield TestOutcome(run=run, module=module, test_name=key, status=status,
                                  hardware_type=hw_of_key(key), error=error,
                                  details={} if error == text else {"status_text": text},
                                  is_simulated=sim is not None, simulation_reason=sim,
                                  measured_at=ctx.path_time, provenance=ctx.prov(ptr(module, key)))
        if not count:
            raise SkipFile("collected hardware results hold no test status")


IMPORTERS = [CollectedHardwareResultsImporter()]
