"""benchwh: one trustworthy warehouse for ML benchmark results.

The public API re-exports the pieces scripts use most; everything heavy (torch,
transformers) stays inside ``benchwh.runners`` and is imported only when a runner runs.
"""

__version__ = "0.1.0"

from benchwh.errors import BenchwhError  # noqa: E402

__all__ = ["__version__", "BenchwhError"]
