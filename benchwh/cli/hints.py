"""Errors in the CLI's terms: the library's message with its keyword spelled as the flag, and
its way out spelled as the flags to pass (``BenchwhError.option``/``remedy``)."""

from __future__ import annotations

import os
import sys
import traceback
from typing import NoReturn

from benchwh.errors import BenchwhError

# remedy name -> what the CLI appends to the message (formatted with the error's facts)
REMEDIES = {
    "db-not-duckdb": "; pass `--db` a benchwh warehouse",
    "db-empty": ": pass `--db PATH`",
    "migrate-to-create": ": run `benchwh migrate --db {db}` to create one",
    "migrate-first": ": run `benchwh migrate --db {db}` first",
    "ingest-spool": ": fix that, then run `benchwh ingest --spool --db {db}`",
    "migrate": ": run `benchwh migrate`",
    "check-it": "; run `benchwh check`",
    "adopt-it": ": to bring a legacy warehouse in, run `benchwh adopt {db}`",
    "fill-first": " (run a benchmark or `benchwh import` first)",
    "json-import": " (legacy JSON result files go through `benchwh import`)",
    "guarded-sql": " in `benchwh query sql`",
    "data-path-needed": ": pass `--data-path DIR` or set {env}",
    "data-path-other": "; pass the one it was created with ({found})",
    "export-exists": ": pass `--overwrite` to replace it, or `--incremental` to add what is new to an "
                     "incremental export folder",
    "too-many-rows": ", pass `--limit N`, or set {env}",
    "model-or-benchmark": ": pass `--model NAME` or `--benchmark NAME`",
    "hardware-needed": ": pass `--hardware TYPE`",
    "trend-needs": " `--model NAME` (or `--benchmark NAME`) and `--hardware TYPE`",
    "param-form": ": give KEY=VALUE (a benchmark parameter, e.g. `--param n=1000`)",
}


def flag(option: str) -> str:
    """A keyword argument's flag: ``partition_by`` -> ``--partition-by``."""
    return "--" + option.replace("_", "-")


def cli_message(e: BenchwhError) -> str:
    """``e``'s one line as the command line says it."""
    remedy = REMEDIES.get(getattr(e, "remedy", None) or "")
    text = getattr(e, "fact", None) if remedy is not None else str(e)
    if text is None:  # a BenchwhError subclass that sets its own message
        return str(e)
    option = getattr(e, "option", None)
    if option and (text == option or text.startswith((option + " ", option + ":"))):
        text = flag(option) + text[len(option):]
    if remedy is not None:
        text += remedy.format(**e.facts)
    return text


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
