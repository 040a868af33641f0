#!/usr/bin/env bash
# Set up benchwh in ./.venv and run the main job on a local DuckDB file:
# create/upgrade ./benchwh.duckdb, import the legacy results, show a comparison and
# write a report. Safe to rerun (imports are idempotent).
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch 2.13.0 (CPU) is pinned by the runners extra; everything for the tests comes along.
.venv/bin/python -m pip install -q -e '.[runners,lake,dev,spark,web,onnxruntime,openvino,serve,png]'
# Apache Otava, the change-point reference of benchmarks/changes_accuracy.py and one test: its
# metadata pins older numpy/scipy and cloud clients its analysis module never imports.
.venv/bin/python -m pip install -q --no-deps 'apache-otava==0.8.0'

# onnxruntime-web for `benchwh run web`, from the npm registry into a cache (never fetched at run
# time). Skipped with a note where npm is absent: only the web runner needs it.
ORT_WEB_CACHE=${BENCHWH_WEB_CACHE:-$HOME/.cache/benchwh/web}
if command -v npm >/dev/null 2>&1; then
    if [ ! -f "$ORT_WEB_CACHE/node_modules/onnxruntime-web/dist/ort.all.min.js" ]; then
        mkdir -p "$ORT_WEB_CACHE"
        npm install --prefix "$ORT_WEB_CACHE" --no-save --no-audit --no-fund --loglevel=error onnxruntime-web@1.30.0 >/dev/null
    fi
else
    echo "npm not found: skipping onnxruntime-web (only \`benchwh run web\` needs it)" >&2
fi

DB=${BENCHWH_DB:-benchwh.duckdb}
SRC=${1:-../shared/legacy_corpus}
if [ -d "$SRC" ]; then
    FILES=("$SRC")
else
    echo "legacy corpus not found at $SRC; importing the bundled test fixtures instead" >&2
    # Only the fixtures' input files: each *.expected.json beside them is the golden output
    # a test compares with, not a result file.
    mapfile -t FILES < <(find tests/fixtures/legacy -name '*.json' ! -name '*.expected.json' | sort)
fi

.venv/bin/benchwh migrate --db "$DB"
.venv/bin/benchwh import "${FILES[@]}" --db "$DB" --report import-report.json
.venv/bin/benchwh check --db "$DB"
.venv/bin/benchwh status --db "$DB"
.venv/bin/benchwh query compare-hardware --model bert-base-uncased --db "$DB"
.venv/bin/benchwh report --db "$DB" --out report.html
echo "warehouse: $DB   import report: import-report.json   report: report.html"
