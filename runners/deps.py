"""The runners' optional dependencies, imported on demand.

``require()`` is the one place a runner imports torch and transformers; without them it raises
MissingExtraError, which the CLI prints as ``pip install 'benchwh[runners]'``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from benchwh.errors import MissingExtraError


def require(what: str = "this runner") -> tuple[ModuleType, ModuleType]:
    """``(torch, transformers)``; MissingExtraError naming ``what`` when either is absent."""
    mods = []
    for name in ("torch", "transformers"):
        try:
            mods.append(importlib.import_module(name))
        except ImportError:
            raise MissingExtraError("runners", f"{what} (needs {name})") from None
    torch, transformers = mods
    # Random-weight models built from configs make transformers warn about untrained heads and
    # generation defaults on every load; the numbers are unaffected, the noise hides progress.
    transformers.logging.set_verbosity_error()
    return torch, transformers
