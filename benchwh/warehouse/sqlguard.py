"""``benchwh query sql``: let a person run one read-only query, and nothing else.

Three walls, each enough on its own for the common cases:

1. The statement is parsed with sqlglot (in the user's dialect) and refused unless it is
   exactly one query (SELECT / set operation / VALUES) containing no DDL, DML, COPY, ATTACH,
   INSTALL/LOAD, PRAGMA, SET, CALL, CHECKPOINT, EXPORT or ``SELECT ... INTO``. Every relation
   it reads must be a warehouse table or view, an ``information_schema`` view or one of its
   own CTEs (so ``FROM 'file.csv'`` and ``FROM "x.parquet"`` are refused); table functions
   come from an allowlist of pure generators (``range``, ``unnest``...), so ``read_csv``,
   ``glob``, ``query()`` and every other file or SQL-string reader is refused; scalar
   functions must be known to DuckDB and not one of the few that leak the environment
   (``getenv``, ``current_setting``...) or move state (``nextval``, ``setseed``). What runs is
   sqlglot's DuckDB rendering of the checked tree (never the raw text), and any sqlglot
   warning (an unsupported construct, a fallback to an opaque Command) is an error.
2. The connection is opened read-only.
3. Before the query runs, the connection turns off external access (files, extensions,
   ATTACH) and locks its configuration, so nothing the statement does can re-enable them.
   (Not on DuckLake: a lake connection shares a cached DuckDB instance whose catalog and
   data files are external by nature; there the lake is attached read-only and wall 1 holds.)
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

from sqlglot import exp

from benchwh.errors import QueryError

# Table functions that only generate values from their arguments.
TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "json_each", "json_tree", "generate_subscripts",
})

# Scalar functions DuckDB has that read the environment or settings, or change state.
DENIED_FUNCTIONS = frozenset({
    "getenv", "current_setting", "which_secret", "nextval", "currval", "setval", "setseed",
    "set_config", "pg_read_file", "pg_ls_dir", "read_text", "read_blob",
    "current_query", "current_schemas", "current_connection_id", "current_transaction_id",
    "current_query_id", "txid_current", "parse_duckdb_log_message", "pg_conf_load_time",
    "pg_postmaster_start_time",
})

# Expression types that write, change the session, or reach outside the warehouse.
_DENIED_NODES = tuple(
    getattr(exp, name) for name in (
        "DDL", "DML", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Copy",
        "Attach", "Detach", "Install", "Command", "Pragma", "Set", "Use", "Transaction",
        "Commit", "Rollback", "Into", "Describe", "Show", "Summarize", "LoadData", "Analyze",
        "Kill", "Grant", "Revoke", "Cache", "Uncache", "Refresh", "TruncateTable", "Export",
        "Comment", "Declare", "Execute", "ToFile",
    ) if hasattr(exp, name)  # names differ between sqlglot releases
)

_CALL_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")


@dataclass(frozen=True)
class Catalog:
    """What a checked query may read: the warehouse's relations (lower-case names) in its
    default catalog and schema."""

    relations: frozenset[str]
    database: str = ""
    schema: str = "main"


@lru_cache(maxsize=1)
def _duckdb_functions() -> dict[str, frozenset[str]]:
    """Function name -> DuckDB function types (scalar, aggregate, table, macro...), read
    from a fresh in-memory DuckDB (no warehouse, no extensions beyond the built-ins)."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        rows = con.execute("SELECT DISTINCT lower(function_name), function_type FROM duckdb_functions()").fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for name, kind in rows:
        out.setdefault(name, set()).add(kind)
    return {k: frozenset(v) for k, v in out.items()}


class _WarningTrap(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _sqlglot_warnings() -> Iterator[_WarningTrap]:
    """Collect what sqlglot logs (it reports unsupported syntax as warnings, not errors)."""
    logger = logging.getLogger("sqlglot")
    trap = _WarningTrap()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(trap)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield trap
    finally:
        logger.removeHandler(trap)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _parse_message(err) -> str:
    """sqlglot's first parse error without its terminal highlighting."""
    errors = getattr(err, "errors", None)
    if errors:
        e = errors[0]
        return _one_line(f"{e.get('description')} at line {e.get('line')}, column {e.get('col')}")
    return _one_line(re.sub(r"\x1b\[[0-9;]*m", "", str(err)))


def _verb(sql: str, tree) -> str:
    """The statement's first keyword for the refusal message (CHECKPOINT, VACUUM...)."""
    m = re.match(r"\s*([A-Za-z]+)", sql)
    return m.group(1).upper() if m else tree.key.upper()


def _dialect(name: str | None) -> str:
    from sqlglot.dialects.dialect import Dialect

    name = (name or "duckdb").strip().lower()
    try:
        Dialect.get_or_raise(name)
    except ValueError as e:
        raise QueryError(f"unknown SQL dialect {name!r}: {_one_line(e)}") from None
    return name


def _function_name(node) -> str | None:
    """The name DuckDB will call for a function node (lower case), or None when sqlglot
    renders it as syntax rather than a call (CASE, ``::``, ``[...]``)."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    m = _CALL_NAME.match(node.sql(dialect="duckdb"))
    return m.group(1).lower() if m else None


def _in_table_position(node) -> bool:
    return isinstance(node.parent, (exp.Table, exp.From, exp.Join, exp.Lateral))


def _check_function(node) -> None:
    name = _function_name(node)
    if name is None or name in TABLE_FUNCTIONS:  # generators are fine anywhere (SELECT unnest(x))
        return
    if _in_table_position(node):
        raise QueryError(f"table function {name}() is not allowed: only "
                             f"{', '.join(sorted(TABLE_FUNCTIONS))} and the warehouse's tables may be read")
    if name in DENIED_FUNCTIONS:
        raise QueryError(f"function {name}() is not allowed", remedy="guarded-sql", hint=" in a guarded query")
    kinds = _duckdb_functions().get(name)
    if kinds is None:
        if isinstance(node, exp.Anonymous):
            raise QueryError(f"unknown function {name}()")
        return  # SQL syntax sqlglot models as a function (CAST, EXTRACT, ROW_NUMBER...)
    if not kinds & {"scalar", "aggregate", "macro", "window"}:
        raise QueryError(f"function {name}() is not allowed: it is a {'/'.join(sorted(kinds))} function")


def _cte_in_scope(table, name: str) -> bool:
    """Is ``name`` a CTE visible where ``table`` stands, as DuckDB's binder sees it? Visible:
    the CTEs of every enclosing query's WITH, and inside a CTE's own body only those defined
    before it; itself only when RECURSIVE *and* its body is a UNION whose recursive (right) arm
    holds the reference. Anything else, ``WITH RECURSIVE x AS (SELECT * FROM x)`` included, is
    bound by DuckDB to whatever else has that name (a table, a system view, a file through a
    replacement scan), so it must pass as a warehouse table."""
    child, node = table, table.parent
    while node is not None:
        if isinstance(node, exp.With):
            ctes = list(node.expressions)
            pos = next((i for i, c in enumerate(ctes) if c is child), len(ctes))
            if any(c.alias_or_name.lower() == name for c in ctes[:pos]):
                return True
            if pos < len(ctes) and node.args.get("recursive") and ctes[pos].alias_or_name.lower() == name:
                body = ctes[pos].this
                if isinstance(body, exp.Union) and _within(table, body.expression):
                    return True
        else:
            with_ = node.args.get("with_") or node.args.get("with")
            if isinstance(with_, exp.With) and child is not with_ and \
                    any(c.alias_or_name.lower() == name for c in with_.expressions):
                return True
        child, node = node, node.parent
    return False


def _within(node, ancestor) -> bool:
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


def _check_relation(table, catalog: Catalog) -> None:
    if not isinstance(table.this, exp.Identifier):
        return  # a function in FROM: checked by _check_function
    name = table.name.lower()
    db, cat = table.db.lower(), table.catalog.lower()
    shown = ".".join(p for p in (table.catalog, table.db, table.name) if p)
    if cat and cat != catalog.database.lower():
        raise QueryError(f"{shown}: only this warehouse can be read (no other catalogs)")
    if db == "information_schema":
        return
    if not db and not cat and _cte_in_scope(table, name):
        return
    if db and db != catalog.schema.lower():
        raise QueryError(f"{shown}: unknown schema {table.db!r}; read the warehouse's tables or information_schema")
    if name not in catalog.relations:
        from benchwh.suggest import did_you_mean

        hint = did_you_mean(name, sorted(catalog.relations))
        raise QueryError(f"unknown table {shown}{hint} (files and other databases cannot be read)")


def check_sql(sql: str, catalog: Catalog, dialect: str | None = None) -> str:
    """Parse ``sql`` in ``dialect`` and return the DuckDB SQL to run, or raise QueryError
    with a one-line reason. Pure: reads and writes nothing."""
    try:
        return _check_sql(sql, catalog, dialect)
    except RecursionError:
        raise QueryError("refused: the statement is nested too deeply to check; "
                         "flatten it (fewer nested parentheses or subqueries)") from None


def _check_sql(sql: str, catalog: Catalog, dialect: str | None) -> str:
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    name = _dialect(dialect)
    if not sql or not sql.strip():
        raise QueryError("empty statement: pass one SELECT query")
    with _sqlglot_warnings() as trap:
        try:
            trees = [t for t in sqlglot.parse(sql, read=name, error_level=ErrorLevel.RAISE) if t is not None]
        except SqlglotError as e:
            raise QueryError(f"cannot parse the statement as {name} SQL: {_parse_message(e)}") from None
        if trap.messages:
            raise QueryError(f"refused: {_one_line(trap.messages[0])}")
        if len(trees) != 1:
            raise QueryError(f"refused: {len(trees)} statements; pass exactly one SELECT query")
        tree = trees[0]
        if not isinstance(tree, (exp.Select, exp.SetOperation, exp.Subquery, exp.Values)):
            raise QueryError(f"refused: only a read-only query (SELECT) may run, not {_verb(sql, tree)}")
        # Render first: a construct DuckDB cannot express is reported as what it is.
        try:
            out = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
        except SqlglotError as e:
            raise QueryError(f"cannot translate the statement from {name} to DuckDB: {_one_line(e)}") from None
        if trap.messages:
            raise QueryError(f"cannot translate the statement from {name} to DuckDB: {_one_line(trap.messages[0])}")
        for node in tree.walk():
            if isinstance(node, _DENIED_NODES):
                raise QueryError(f"refused: {node.key.upper()} is not allowed in a read-only query")
            if isinstance(node, exp.Table):
                _check_relation(node, catalog)
            elif isinstance(node, exp.Func):
                _check_function(node)
    return out


def catalog_of(con) -> Catalog:
    """The relations a checked query may read on ``con``: tables and views of the current
    database and schema (the warehouse), lower-cased."""
    database, schema = con.execute("SELECT current_database(), current_schema()").fetchone()
    rows = con.execute(
        "SELECT lower(table_name) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
        "UNION SELECT lower(view_name) FROM duckdb_views() WHERE database_name = ? AND schema_name = ? "
        "AND NOT internal",
        [database, schema, database, schema],
    ).fetchall()
    return Catalog(frozenset(r[0] for r in rows), database, schema)


# What a checked query's plan may contain, by DuckDB's own binding of every name (the parser
# wall's view of names cannot be wrong here): scans of the warehouse's tables, these table
# functions (generators, and the metadata functions information_schema is made of), and
# operators that read nothing outside the statement.
PLAN_FUNCTIONS = frozenset({
    "RANGE", "GENERATE_SERIES", "UNNEST", "JSON_EACH", "JSON_TREE", "GENERATE_SUBSCRIPTS",
    "DUCKDB_TABLES", "DUCKDB_VIEWS", "DUCKDB_COLUMNS", "DUCKDB_SCHEMAS", "DUCKDB_CONSTRAINTS",
})
PLAN_LEAVES = frozenset({
    "DUMMY_SCAN", "CTE_SCAN", "REC_CTE_SCAN", "COLUMN_DATA_SCAN", "DELIM_SCAN", "CHUNK_SCAN",
    "EXPRESSION_SCAN", "EMPTY_RESULT", "POSITIONAL_SCAN", "UNNEST", "CROSS_PRODUCT",
})
TABLE_SCANS = frozenset({"SEQ_SCAN", "TABLE_SCAN", "INDEX_SCAN", "DUCKLAKE_SCAN"})

ENV_TIMEOUT = "BENCHWH_QUERY_TIMEOUT"
ENV_MEMORY = "BENCHWH_QUERY_MEMORY"
ENV_MAX_ROWS = "BENCHWH_QUERY_MAX_ROWS"
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY = "2GB"
DEFAULT_MAX_ROWS = 1_000_000


def _env_number(name: str, default: float, kind=float):
    import os

    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise QueryError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise QueryError(f"{name}={raw!r}: give a number above 0")
    return value


def check_plan(con, sql: str, catalog: Catalog, lake: bool = False) -> None:
    """Ask DuckDB how it binds ``sql`` (``EXPLAIN``, which runs nothing) and refuse any scan
    that is not of the warehouse's own tables or an allowed table function. Raises QueryError."""
    import json

    import duckdb

    try:
        rows = con.execute("EXPLAIN (FORMAT json) " + sql).fetchall()
    except duckdb.Error as e:
        raise QueryError(f"the query failed: {_one_line(e)}") from None
    allowed = ({t for t in catalog.relations} if lake else
               {f"{catalog.database}.{catalog.schema}.{t}".lower() for t in catalog.relations})
    stack = []
    for _, text in rows:
        doc = json.loads(text)
        stack.extend(doc if isinstance(doc, list) else [doc])
    while stack:
        node = stack.pop()
        name = str(node.get("name", "")).strip().upper()
        info = node.get("extra_info") or {}
        children = node.get("children") or []
        stack.extend(children)
        function = info.get("Function") if isinstance(info, dict) else None
        table = info.get("Table") if isinstance(info, dict) else None
        if function is not None:
            if str(function).upper() not in PLAN_FUNCTIONS:
                raise QueryError(f"refused: the query reads {str(function).lower()}(), which is not "
                                 "one of the warehouse's tables (files, settings and other databases cannot be read)")
        elif table is not None or name in TABLE_SCANS:
            if name not in TABLE_SCANS or str(table).lower() not in allowed:
                raise QueryError(f"refused: the query reads {table or name}, which is not one of the "
                                 "warehouse's tables")
        elif (not children or name.endswith("_SCAN")) and name not in PLAN_LEAVES:
            raise QueryError(f"refused: the query's plan reads through {name}, which is not allowed")


def lock_down(con) -> None:
    """Turn off file, extension and ATTACH access on ``con`` (a DuckDB-file connection that
    only this query uses) and lock its configuration so the statement cannot undo it."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def run_sql(db: Any, sql: str, dialect: str | None = None, limit: int | None = None,
            timeout_s: float | None = None, max_rows: int | None = None, memory: str | None = None):
    """Check ``sql`` and run it on the warehouse at ``db`` (a location) opened read-only and
    locked down; return the answer as a Polars DataFrame. Raises QueryError (refused, stopped
    at its time limit, over its row limit, or DuckDB's own error in one line). Writes nothing.

    Limits: ``timeout_s`` (else $BENCHWH_QUERY_TIMEOUT, else 60 s; the statement is
    interrupted), ``max_rows`` rows in the answer (else $BENCHWH_QUERY_MAX_ROWS, else 1,000,000)
    and, on a DuckDB file, ``memory`` for DuckDB (else $BENCHWH_QUERY_MEMORY, else 2GB)."""
    import os
    import threading

    import duckdb

    from benchwh.warehouse.open import as_location, open_warehouse
    from benchwh.warehouse.read import read_frame

    if limit is not None and limit < 0:
        raise QueryError(f"limit {limit}: give a number of rows, 0 or more", option="limit")
    timeout = timeout_s if timeout_s is not None else _env_number(ENV_TIMEOUT, DEFAULT_TIMEOUT_S)
    cap = max_rows if max_rows is not None else int(_env_number(ENV_MAX_ROWS, DEFAULT_MAX_ROWS, int))
    memory = memory or os.environ.get(ENV_MEMORY) or DEFAULT_MEMORY
    loc = as_location(db)
    with open_warehouse(loc, read_only=True) as con:
        catalog = catalog_of(con)
        checked = check_sql(sql, catalog, dialect)
        if not loc.is_lake:
            # A lake connection is a cursor on a shared, cached DuckDB instance whose catalog
            # and data files are external by nature: settings there are global and would
            # outlive this query. The lake is still attached read-only; the parser and plan
            # walls hold, and the time and row limits apply.
            try:
                con.execute("SET memory_limit = ?", [memory])
            except duckdb.Error as e:
                raise QueryError(f"{ENV_MEMORY}={memory!r}: {_one_line(e)}") from None
            lock_down(con)
        check_plan(con, checked, catalog, lake=loc.is_lake)
        # one row past the cap tells "more than the cap" from "exactly the cap"
        want = cap + 1 if limit is None or limit > cap else int(limit)
        checked, params = f"SELECT * FROM ({checked}) q LIMIT ?", [want]
        timer = threading.Timer(timeout, con.interrupt)
        timer.daemon = True
        timer.start()
        try:
            frame = read_frame(con, checked, params)
        except duckdb.InterruptException:
            raise QueryError(f"the query was stopped after {timeout:g} s (set {ENV_TIMEOUT} to allow longer)") from None
        except duckdb.OutOfMemoryException as e:
            raise QueryError(f"the query needs more memory than its limit {memory} (set {ENV_MEMORY}): "
                             f"{_one_line(e)}") from None
        except duckdb.Error as e:
            raise QueryError(f"the query failed: {_one_line(e)}") from None
        finally:
            timer.cancel()
    if frame.height > cap:
        raise QueryError(f"the answer has more than {cap:,} rows: add a LIMIT or a narrower WHERE",
                         remedy="too-many-rows", env=ENV_MAX_ROWS, hint=f", pass limit=N, or set {ENV_MAX_ROWS}")
    return frame
