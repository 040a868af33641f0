"""benchwh's own interchange files (``benchwh run ... --no-db-store --output FILE.json``).

Identified by ``"format": "benchwh-interchange"``. Records come back exactly as the runner made
them (every field, so every content-hash id is what a direct write would have produced); only
the provenance says which file carried them. A document that is wrong anywhere (a newer
version, an unknown field, an id that does not match its content) is quarantined whole.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator

from benchwh.interchange import FORMAT, InterchangeError, from_document
from benchwh.legacy_import.base import ImportContext, Importer, Quarantine, ptr
from benchwh.records import Record


class BenchwhInterchangeImporter(Importer, name="benchwh-interchange", formats=("benchwh-interchange",),
                                 keys={"format", "version", "benchwh_version", "runs", "records"},
                                 required_keys={'format'}, own_clock=True):
    """benchwh's versioned interchange JSON (runner --no-db-store output, spool files)"""

    def sniff(self, doc: Any) -> bool:
        return isinstance(doc, dict) and doc.get("format") == FORMAT

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        try:
            records = from_document(doc)
        except InterchangeError as e:
            raise Quarantine(str(e)) from None
        for i, rec in enumerate(records):
            if hasattr(rec, "provenance") and rec.provenance.source_file is None:
                # Provenance is not part of any id: the record stays the runner's record.
                rec = dataclasses.replace(rec, provenance=ctx.prov(ptr("records", i)))
            yield rec


IMPORTERS = [BenchwhInterchangeImporter()]
