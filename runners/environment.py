"""Capture the environment of a run once: machine, accelerators, software, code, command.

Reads /proc (Linux), ``platform``, package metadata, ``git`` in the working directory and,
only when the caller passes it in, torch; never imports torch itself, so a recorder in a script
without torch captures what it can and leaves the rest None.
"""

from __future__ import annotations

import os
import platform
import shlex
import socket
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from benchwh.records import RunInfo, content_id

# Versions recorded for every run (from package metadata: no import needed).
PACKAGES = ("benchwh", "torch", "transformers", "numpy", "duckdb", "psutil", "accelerate",
            "onnxruntime", "onnxruntime-gpu", "onnx", "openvino")


def utc_now() -> datetime:
    """Naive UTC: runners stamp times in UTC (the warehouse stores naive timestamps)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return None


def cpu_model() -> str | None:
    """The CPU's marketing name (``/proc/cpuinfo`` model name, else ``platform``)."""
    text = _read("/proc/cpuinfo")
    if text:
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                return value.strip()
    if sys.platform == "darwin":
        out = _run(["sysctl", "-n", "machdep.cpu.brand_string"])
        if out:
            return out
    return platform.processor() or None


def physical_cores() -> int | None:
    """Distinct (physical id, core id) pairs in /proc/cpuinfo; None where that is not known."""
    text = _read("/proc/cpuinfo")
    if not text:
        return None
    pairs, phys = set(), None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "physical id":
            phys = value.strip()
        elif key == "core id":
            pairs.add((phys, value.strip()))
    return len(pairs) or None


def ram_total_mib() -> float | None:
    text = _read("/proc/meminfo")
    if text:
        for line in text.splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024.0  # kB -> MiB
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    except (ValueError, OSError, AttributeError):
        return None


def nvidia_driver_version() -> str | None:
    """The NVIDIA kernel driver version (/proc/driver/nvidia/version, else nvidia-smi)."""
    text = _read("/proc/driver/nvidia/version")
    if text:
        for tok in text.split():
            parts = tok.split(".")
            if len(parts) >= 2 and all(p.isdigit() for p in parts):
                return tok
    out = _run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"])
    return out.splitlines()[0].strip() if out else None


def _run(cmd: list[str], cwd: str | None = None) -> str | None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def git_info(cwd: str | None = None) -> dict[str, Any]:
    """Commit, branch and dirty flag of the git work tree around ``cwd``; {} outside one."""
    commit = _run(["git", "rev-parse", "HEAD"], cwd)
    if not commit:
        return {}
    branch = _run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd)
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd)
    return {"commit": commit, "branch": None if branch == "HEAD" else branch, "dirty": bool(status)}


def library_versions(torch: ModuleType | None = None) -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    if torch is not None:
        # A source-built torch (NGC images) may have no pip metadata; the module knows.
        versions["torch"] = str(torch.__version__)
    return versions


def accelerators(torch: ModuleType | None) -> dict[str, Any]:
    """GPU names, count, memory, CUDA/cuDNN versions and MPS availability, from torch."""
    info: dict[str, Any] = {"gpu_count": None, "gpus": [], "cuda_version": None,
                            "cudnn_version": None, "mps_available": None}
    if torch is None:
        return info
    info["cuda_version"] = torch.version.cuda
    info["gpu_count"] = 0
    if torch.cuda.is_available():
        info["gpu_count"] = torch.cuda.device_count()
        for i in range(info["gpu_count"]):
            p = torch.cuda.get_device_properties(i)
            info["gpus"].append({
                "index": i, "name": p.name, "memory_mib": p.total_memory / 2**20,
                "capability": f"{p.major}.{p.minor}", "multiprocessors": p.multi_processor_count,
            })
        if torch.backends.cudnn.is_available():
            info["cudnn_version"] = torch.backends.cudnn.version()
    mps = getattr(torch.backends, "mps", None)
    info["mps_available"] = bool(mps and mps.is_available())
    info["torch_num_threads"] = torch.get_num_threads()
    info["torch_num_interop_threads"] = torch.get_num_interop_threads()
    return info


def fingerprint(env: dict[str, Any]) -> str:
    """A hash of what identifies the hardware (CPU, cores, RAM to the GiB, GPUs and their
    memory), not the software: the same box gives the same fingerprint after upgrades."""
    ram = env.get("ram_total_mib")
    gpus = sorted((g.get("name"), round(g.get("memory_mib") or 0)) for g in env.get("gpus") or [])
    return content_id("hardware-fingerprint", env.get("machine"), env.get("cpu_model"),
                      env.get("cpu_cores_logical"), None if ram is None else round(ram / 1024),
                      gpus)


def command_line(argv: list[str] | None = None) -> str:
    args = list(sys.argv if argv is None else argv)
    if args:
        args[0] = Path(args[0]).name or args[0]
    return shlex.join(args)


def capture(origin: str, torch: ModuleType | None = None, argv: list[str] | None = None,
            metadata_: dict[str, Any] | None = None, cwd: str | None = None,
            extra_environment: dict[str, Any] | None = None) -> RunInfo:
    """A RunInfo for a run starting now: ``run_key`` a fresh uuid, ``started_at`` now (UTC).

    Reads the machine (/proc, platform), ``git`` in ``cwd`` (default: the current folder) and
    ``torch`` when given; writes nothing."""
    started = utc_now()
    env: dict[str, Any] = {
        "cpu_model": cpu_model(), "cpu_cores_logical": os.cpu_count(),
        "cpu_cores_physical": physical_cores(), "ram_total_mib": ram_total_mib(),
        "os": platform.platform(), "machine": platform.machine(),
        "driver_version": nvidia_driver_version() if torch is not None and torch.cuda.is_available() else None,
        "time_zone": "UTC",  # started_at and every measured_at of this run
        "cwd": os.getcwd(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }
    env.update(accelerators(torch))
    env.update(extra_environment or {})
    git = git_info(cwd)
    if git:
        env["git_dirty"] = git["dirty"]
    return RunInfo(
        origin=origin, started_at=started, run_key=uuid.uuid4().hex,
        git_commit=git.get("commit"), git_branch=git.get("branch"),
        command_line=command_line(argv), host=socket.gethostname(),
        python_version=platform.python_version(), library_versions=library_versions(torch),
        environment=env, hardware_fingerprint=fingerprint(env), metadata=dict(metadata_ or {}),
    )
