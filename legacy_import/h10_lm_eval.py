"""H10: lm-evaluation-harness results (``results_<time>.json``): task accuracies, not speed.

``{results: {task: {metric,filter: value}}, configs, versions, n-shot, higher_is_better,
config: {model, model_args, batch_size, device...}, date, ...}``. Recognised and skipped with
the reason: an accuracy is no latency, throughput or memory, and benchwh keeps performance.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, shaped
from benchwh.records import Record


class LmEvalImporter(Importer, name="lm-eval-harness", formats=("H10",), keys={"results", "configs",
                     "versions", "n-shot", "higher_is_better", "config", "git_hash", "date"},
                     required_keys={"results", "versions", "config"}):
    """lm-evaluation-harness results (skipped: accuracy, not speed)"""

    def sniff(self, doc: Any) -> bool:
        return (shaped(doc, {"results": dict, "versions": dict, "config": dict})
                and ("n-shot" in doc or "configs" in doc or "higher_is_better" in doc or "model" in doc["config"]))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        model = doc["config"].get("model")
        raise SkipFile(f"lm-evaluation-harness results ({len(doc['results'])} task(s), model {model}): "
                       f"accuracy metrics, not speed; not imported")
        yield  # pragma: no cover


IMPORTERS = [LmEvalImporter()]
