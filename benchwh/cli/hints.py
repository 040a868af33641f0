"""How an error ends a command: its message in the command line's terms
(``benchwh.errors.cli_message``) on stderr, exit 1."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Callable, NoReturn

from benchwh.errors import BenchwhError, cli_message

__all__ = ["cli_message", "fail", "guarded"]


def fail(e: BaseException) -> NoReturn:
    """The one place an error ends a command: ``Error: <one line>`` on stderr and exit 1
    (``BENCHWH_DEBUG=1``: the traceback too); an interrupt exits 130."""
    if isinstance(e, KeyboardInterrupt):
        print("Interrupted.", file=sys.stderr)
        sys.exit(130)
    if os.environ.get("BENCHWH_DEBUG"):
        traceback.print_exc()
    print(f"Error: {cli_message(e)}", file=sys.stderr)
    sys.exit(1)


def guarded(call: Callable[[], Any]) -> Any:
    """Run a command: a ``BenchwhError`` or an interrupt ends it through ``fail``; a failure
    of the machine (a full disk...) becomes one line too; anything else is a bug, shown whole."""
    try:
        return call()
    except (BenchwhError, KeyboardInterrupt) as e:
        fail(e)
    except Exception as e:  # noqa: BLE001 - only a machine failure (full disk...) is turned into one line
        from benchwh.errors import environment_message

        msg = environment_message(e)
        if msg is None or os.environ.get("BENCHWH_DEBUG"):
            raise
        print(f"Error: {msg}", file=sys.stderr)
        sys.exit(1)
