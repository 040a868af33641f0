"""How an error ends a command: its message in the command line's terms
(``benchwh.errors.cli_message``) on stderr, exit 1."""

from __future__ import annotations

import os
import sys
import traceback
from typing import NoReturn

from benchwh.errors import cli_message

__all__ = ["cli_message", "fail"]


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
