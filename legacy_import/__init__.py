"""Legacy JSON importers: one module per format family (FORMATS.md F1-F32) and a registry.

Importers identify a document by its content (``sniff``) and turn it into plain records
(``convert``); they never open a connection or write SQL. ``adopt_*`` are the converters of
``benchwh adopt``: rows of a legacy warehouse (read by ``benchwh.warehouse.adopt_read``) into
records.
"""

from benchwh.legacy_import.base import Importer, ImportContext, Quarantine, SkipFile

__all__ = ["Importer", "ImportContext", "Quarantine", "SkipFile"]
