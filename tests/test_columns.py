"""The column lists are derived from one place (the Arrow schemas of ``warehouse.tables``, the
record types and the contract's column names), and the derivations cover every column."""

from __future__ import annotations

from benchwh.warehouse import flat, write
from benchwh.warehouse.tables import ID_COLUMN, SCHEMAS


def test_flat_select_names_every_contract_column_once():
    results = set(SCHEMAS["results"].names)
    plain = [c for c in flat.CONTRACT_COLUMNS if c not in flat._JOINED]
    assert plain and all(c in results for c in plain), [c for c in plain if c not in results]
    items = flat.FLAT_SELECT.split("FROM results")[0].split("SELECT", 1)[1].split(",\n")
    named = [item.strip().rsplit(" AS ", 1)[-1].rsplit(".", 1)[-1] for item in items]
    assert named == list(flat.CONTRACT_COLUMNS)


def test_writer_fields_cover_every_fact_column():
    links = {"run_id", "model_id", "hardware_id", "inserted_at"}
    for table, copied in write._FACT_FIELDS.items():
        covered = {*copied, *write._COMPUTED[table], *write._PROV_FIELDS, ID_COLUMN[table], *links}
        assert set(SCHEMAS[table].names) <= covered, set(SCHEMAS[table].names) - covered
        assert list(copied) == [c for c in SCHEMAS[table].names if c in copied]  # schema order
    assert ("import_ledger", *write._LEDGER_FIELDS) == ("import_ledger", *SCHEMAS["import_ledger"].names[1:])
