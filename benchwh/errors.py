"""One error tree. The CLI turns any ``BenchwhError`` into ``Error: <message>`` and exit 1.

Every message names the file or value at fault and says what to do next.
"""

from __future__ import annotations


class BenchwhError(Exception):
    """Base of every error benchwh reports to a user."""


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
