"""F16: per-skill performance file ``hf_<skill>_performance_<TS>.json`` (run_performance_tests.py).

Shape: ``{metadata {timestamp, test_file, model, execution_time}, results <skill result dict>}``
where the skill result dict is structured (``status``/``examples``/``metadata``) or flat (see
f16_skill_common for what each part becomes: status strings -> TestOutcome, timed examples ->
Result, MOCK/simulated markers -> is_simulated).

Run: origin ``run_performance_tests``, started_at = ``metadata.timestamp`` (the wrapper's time,
ISO naive), run_key = the test file; python/torch/transformers versions from the skill's own
metadata. ``execution_time`` (s) is the wrapper's wall time for the whole test file: run
metadata, not a model latency. model_name = the skill's ``metadata.model_name`` (e.g.
``distilbert-base-uncased``), else its ``test_model`` path, else the skill name the wrapper gives
(``hf_whisper``); model_family = the skill name without ``hf_`` (``whisper``).
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, shaped
from benchwh.legacy_import.f16_skill_common import SkillContext, skill_model_name, skill_records, skill_time
from benchwh.legacy_import.fields import str_at
from benchwh.records import Record, RunInfo


def skill_name(value: Any) -> str | None:
    """``skills/test_hf_bert.py`` / ``hf_bert`` -> ``hf_bert``."""
    if not isinstance(value, str) or not value.strip():
        return None
    name = value.strip().rsplit("/", 1)[-1]
    if name.endswith(".py"):
        name = name[:-3]
    if name.startswith("test_"):
        name = name[len("test_"):]
    return name or None


def family_of(skill: str | None) -> str | None:
    """``hf_llava_next`` -> ``llava_next``; ``default_lm`` -> None (not an architecture)."""
    if not skill or not skill.startswith("hf_"):
        return None
    return skill[3:] or None


_VERSION_KEYS = {"torch_version": "torch", "transformers_version": "transformers", "numpy_version": "numpy"}
_ENV_KEYS = ("cuda_available", "cuda_device_count", "mps_available", "transformers_mocked", "platform_status")


def skill_run_fields(meta: Any) -> dict[str, Any]:
    """RunInfo keyword arguments from a skill dict's ``metadata`` (versions, environment)."""
    if not isinstance(meta, dict):
        return {}
    versions = {lib: v for k, lib in _VERSION_KEYS.items() if isinstance(v := meta.get(k), str)}
    env = {k: meta[k] for k in _ENV_KEYS if k in meta}
    return {"library_versions": versions, "environment": env, "python_version": str_at(meta, "python_version")}


def skill_test_run(d: Any, fallback_time: Any = None) -> RunInfo | None:
    """The run a skill result dict names itself: origin ``skill_test``, its own time
    (``metadata.test_timestamp``/``timestamp``, else ``fallback_time``), run_key =
    ``metadata.test_run_id`` (else its model). The same dict read standalone (F20) or inside a
    wrapper (F16 ``results``, F18/F19 ``json_result``) gives the same run, so its facts are one
    row whichever file carried them. None when the dict names neither a run id nor a model."""
    meta = d.get("metadata") if isinstance(d, dict) and isinstance(d.get("metadata"), dict) else {}
    model = skill_model_name(d, "") or None
    run_key = meta.get("test_run_id") if isinstance(meta.get("test_run_id"), str) else model
    if run_key is None:
        return None
    total = d.get("total_execution_time", meta.get("total_execution_time"))
    run_meta = {"total_execution_time_s": total} if nz.is_number(total) else {}
    return RunInfo(origin="skill_test", started_at=skill_time(d) or fallback_time, run_key=run_key,
                   metadata=run_meta, **skill_run_fields(meta))


def embedded_run(d: Any, wrapper: RunInfo) -> RunInfo:
    """The run for the facts of a skill dict a wrapper carries: the dict's own run when it
    names one by ``metadata.test_run_id`` and its own time, else the wrapper's run."""
    meta = d.get("metadata") if isinstance(d, dict) and isinstance(d.get("metadata"), dict) else {}
    if isinstance(meta.get("test_run_id"), str) and skill_time(d) is not None:
        return skill_test_run(d) or wrapper
    return wrapper


class SkillPerformanceImporter(Importer, name="f16-skill-performance", formats=("F16",),
                               keys={"metadata", "results"}):
    """run_performance_tests.py per-skill file {metadata{test_file, model}, results<skill dict>}"""

    def sniff(self, doc: Any) -> bool:
        return (shaped(doc, {"metadata": dict, "results": dict}, exact=True)
                and "test_file" in doc["metadata"] and "model" in doc["metadata"])

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        meta, res = doc["metadata"], doc["results"]
        test_file = str_at(meta, "test_file")
        skill = skill_name(meta.get("model")) or skill_name(test_file)
        started = nz.parse_time(meta.get("timestamp")) or ctx.path_time
        inner_meta = res.get("metadata")
        run_meta = {k: meta[k] for k in ("test_file", "model") if isinstance(meta.get(k), str)}
        if nz.to_float(meta.get("execution_time")) is not None:
            run_meta["execution_time_s"] = nz.to_float(meta.get("execution_time"))
        if isinstance(inner_meta, dict) and isinstance(inner_meta.get("test_run_id"), str):
            run_meta["test_run_id"] = inner_meta["test_run_id"]
        run = RunInfo(origin="run_performance_tests", started_at=started, run_key=test_file or skill,
                      metadata=run_meta, **skill_run_fields(inner_meta))
        model = skill_model_name(res, skill or "unknown")
        if model == "unknown":
            raise SkipFile("per-skill performance file names no skill or model")
        sc = SkillContext(run=embedded_run(res, run), ctx=ctx, model_name=model, module=test_file,
                          model_family=family_of(skill), base_time=skill_time(res) or started,
                          pointer=("results",))
        yield from skill_records(res, sc)


IMPORTERS = [SkillPerformanceImporter()]
