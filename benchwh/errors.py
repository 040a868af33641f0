"""One error tree. The CLI turns any ``BenchwhError`` into ``Error: <message>`` and exit 1.

Every message names the file or value at fault and says what to do next.
"""

from __future__ import annotations


class BenchwhError(Exception):
    """Base of every error benchwh reports to a user.

    The message states the facts in the library's terms (what a script calling
    ``benchwh.Warehouse`` sees). Two optional fields let the CLI say the same in its own terms:
    ``option``, the keyword argument the message is about (the message then starts with its
    name, e.g. ``limit -1: ...``), which the CLI spells as its flag (``--limit -1: ...``); and
    ``remedy``, the name of the way out (``REMEDIES`` below), which replaces ``hint`` (the
    way out in library terms, appended to the message) with the CLI's flags, formatted with
    ``facts``."""

    def __init__(self, message: str = "", *args: object, option: str | None = None, remedy: str | None = None,
                 hint: str = "", **facts: object):
        super().__init__(f"{message}{hint}", *args)
        self.fact, self.option, self.remedy, self.hint, self.facts = message, option, remedy, hint, facts


class LocationError(BenchwhError):
    """The warehouse location cannot be used (not a DuckDB file, bad URL...)."""


class LockedError(BenchwhError):
    """Another process holds the warehouse file's lock."""


class RevisionError(BenchwhError):
    """The warehouse is behind or ahead of this version of benchwh."""


class MigrationError(BenchwhError):
    """A migration failed; the warehouse was restored."""


class ImportFormatError(BenchwhError):
    """A legacy file could not be identified or converted."""


class AdoptError(BenchwhError):
    """A legacy warehouse could not be recognised."""


class QueryError(BenchwhError):
    """A query was refused or failed."""


class MissingExtraError(BenchwhError):
    """An optional dependency group is not installed."""

    def __init__(self, extra: str, what: str):
        super().__init__(f"{what} needs the '{extra}' extra: pip install 'benchwh[{extra}]'")
        self.extra = extra


def environment_message(exc: BaseException) -> str | None:
    """One line for a failure of the machine rather than of benchwh (a full disk, a read-only
    file system, a damaged DuckDB file) found anywhere in ``exc``'s chain, else None."""
    import errno

    seen, e = 0, exc
    while e is not None and seen < 10:
        text = " ".join(str(e).split())
        if (isinstance(e, OSError) and e.errno == errno.ENOSPC) or "No space left on device" in text:
            return f"the disk is full (No space left on device): {text[:300]}; free space and rerun " \
                   "(what was committed before is kept; the failed batch was rolled back)"
        if (isinstance(e, OSError) and e.errno == errno.EROFS) or "Read-only file system" in text:
            return f"the file system is read-only: {text[:300]}"
        e = e.__cause__ or e.__context__
        seen += 1
    return None


# remedy name -> what the command line appends to the message (formatted with the error's facts)
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
