"""Legacy-shaped documents for tests and benchmarks (shapes of FORMATS.md F6, F8, F10, F12).

Deterministic for a given seed and index; times advance one minute per index so every
document is a distinct measurement. Pure: returns ``(file name, document)`` pairs; callers
write them where they need them.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

BASE_TIME = datetime(2025, 3, 1, 12, 0, 0)
MODELS = ("prajjwal1/bert-tiny", "bert-base-uncased", "t5-small", "gpt2", "google/vit-base-patch16-224")


def _t(i: int) -> datetime:
    return BASE_TIME + timedelta(minutes=i)


def f8_direct(i: int, model: str = "prajjwal1/bert-tiny", hardware: str = "cpu",
              batch_sizes=(1, 2), mean_ms: float = 3.0, samples: int = 5, seed: int = 0) -> tuple[str, dict]:
    """F8 direct_benchmark: batch_results keyed by batch size, *_ms units, samples in ms."""
    rng = random.Random(seed * 1_000_003 + i)
    t = _t(i)
    batches = {}
    for j, b in enumerate(batch_sizes):
        lat = [mean_ms * b * (0.8 + 0.4 * rng.random()) for _ in range(samples)]
        avg = sum(lat) / len(lat)
        batches[str(b)] = {
            "success": True, "batch_size": b, "avg_latency_ms": avg,
            "throughput_items_per_second": 1000.0 * b / avg, "memory_mb": 400.0 + 10 * b + rng.random(),
            "latencies_ms": lat, "device": hardware,
            "timestamp": (t + timedelta(seconds=j + 1)).isoformat(),
        }
    doc = {"model": model, "hardware": hardware, "success": True, "batch_results": batches,
           "timestamp": t.isoformat()}
    name = f"direct_benchmark_{model.replace('/', '_')}_{hardware}_{t:%Y%m%d_%H%M%S}.json"
    return name, doc


def f6_runner(i: int, model: str = "bert-base-uncased", hardware: str = "cpu", seed: int = 0) -> tuple[str, dict]:
    """F6 hardware_benchmark_runner: seconds, per-config keys ``batch_<b>_seq_<s>``."""
    rng = random.Random(seed * 1_000_003 + i)
    t = _t(i)
    results = {}
    for b, s in ((1, 32), (4, 128)):
        lat = [0.01 * b * (0.8 + 0.4 * rng.random()) for _ in range(5)]
        avg = sum(lat) / len(lat)
        results[f"batch_{b}_seq_{s}"] = {"status": "completed", "latencies": lat, "avg_latency": avg,
                                         "throughput": b / avg, "total_time": sum(lat), "iterations": 5}
    doc = {
        "timestamp": f"{t:%Y%m%d_%H%M%S}",
        "system_info": {"platform": "Linux-6.8.0-x86_64", "python_version": "3.12.3", "hostname": "bench-01"},
        "hardware_info": {hardware: True},
        "benchmarks": {"embedding": {model: {hardware: {
            "status": "completed", "model_name": model, "model_class": "AutoModel", "family": "embedding",
            "hardware": hardware, "benchmark_results": results, "timestamp": (t + timedelta(seconds=5)).isoformat(),
            "model_load_time": 0.5 + rng.random(),
            "performance_summary": {"latency": {}, "throughput": {}, "memory": {}},
        }}}},
    }
    return f"run_{i:06d}/benchmark_results.json", doc


def f10_summary(i: int, model: str = "bert-base-uncased", hardware: str = "cpu", seed: int = 0) -> tuple[str, dict]:
    """F10 per model x hardware summary (ms, items/s, MiB)."""
    rng = random.Random(seed * 1_000_003 + i)
    t = _t(i)
    doc = {
        "model": "BERT", "model_key": "bert", "model_category": "embedding", "model_path": model,
        "hardware": hardware.upper(), "hardware_key": hardware, "timestamp": t.isoformat(),
        "batch_sizes": {str(b): {"throughput": 50.0 * b + rng.random(), "latency_ms": 20.0 + b + rng.random(),
                                 "memory_usage_mb": 100.0 + 10 * b, "success": True,
                                 "command": f"python run.py --batch-sizes {b}"} for b in (1, 4)},
        "compatible": True,
    }
    return f"benchmark_bert_{hardware}_{t:%Y%m%d_%H%M%S}_{i}.json", doc


def f12_web(i: int, model: str = "prajjwal1/bert-tiny", platform: str = "webgpu", seed: int = 0) -> tuple[str, dict]:
    """F12 web result.json: nested metrics, simulated."""
    rng = random.Random(seed * 1_000_003 + i)
    t = _t(i)
    doc = {
        "model_key": "bert", "model_name": model, "platform": platform, "status": "success",
        "timestamp": t.isoformat(),
        "platform_support": {"available": True, "simulated": True},
        "implementation_type": f"REAL_{platform.upper()}", "is_simulation": True, "modality": "text",
        "metrics": {"inference_time_ms": 100.0 + rng.random() * 40, "load_time_ms": 350.0,
                    "memory_mb": 150.0, "throughput_items_per_second": 8.0 + rng.random()},
    }
    return f"bert_{platform}_{t:%Y%m%d_%H%M%S}_{i}/result.json", doc


SHAPES = {"f6": f6_runner, "f8": f8_direct, "f10": f10_summary, "f12": f12_web}


def generate(n: int, shapes=("f6", "f8", "f10", "f12"), seed: int = 0) -> Iterator[tuple[str, dict]]:
    """``n`` documents cycling through ``shapes``; paths prefixed by shape to keep them apart."""
    for i in range(n):
        shape = shapes[i % len(shapes)]
        name, doc = SHAPES[shape](i, seed=seed)
        yield f"{shape}/{name}", doc


def write_tree(root: Path, n: int, shapes=("f6", "f8", "f10", "f12"), seed: int = 0) -> int:
    """Write ``n`` generated documents under ``root``; returns bytes written."""
    total = 0
    for rel, doc in generate(n, shapes, seed):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(doc, indent=2)
        p.write_text(text)
        total += len(text)
    return total
