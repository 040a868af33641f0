"""benchwh: one trustworthy warehouse for ML benchmark results.

Scripts hold a :class:`benchwh.Warehouse` (``benchwh.api``) and call its methods; the ``benchwh``
command does the same. ``import benchwh`` loads nothing heavy: ``Warehouse`` and ``Recorder`` are
imported on first use, and torch/transformers only when a runner runs.
"""

__version__ = "0.1.0"

from benchwh.errors import BenchwhError  # noqa: E402

__all__ = ["__version__", "BenchwhError", "Recorder", "Warehouse"]

_LAZY = {"Warehouse": "benchwh.api", "Recorder": "benchwh.recorder"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'benchwh' has no attribute {name!r}")
