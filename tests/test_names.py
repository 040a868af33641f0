"""Names as a user types them work in every filter: a runner's short name (`bert-tiny` for
the stored `prajjwal1/bert-tiny`), another case, a hardware spelling; an unknown name gets
"no such model 'x'; did you mean ..." and exit 1 from query, regressions, changes, report and
export."""

from __future__ import annotations

import json

import pytest

from benchwh.testing import f8_direct


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    from conftest import run_cli

    base = tmp_path_factory.mktemp("names")
    root, db = base / "legacy", str(base / "wh.duckdb")
    root.mkdir()
    for i in range(3):
        for model in ("prajjwal1/bert-tiny", "bert-base-uncased"):
            name, doc = f8_direct(i, model=model, samples=8, seed=i)
            (root / name).write_text(json.dumps(doc))
    assert run_cli("migrate", "--db", db).code == 0
    assert run_cli("import", str(root), "--db", db).code == 0
    return db


@pytest.mark.parametrize("spelling", ["bert-tiny", "prajjwal1/bert-tiny", "PRAJJWAL1/BERT-TINY"])
def test_model_aliases_resolve_in_queries(cli, tiny_db, spelling):
    res = cli("query", "latest", "--model", spelling, "--db", tiny_db, "--format", "json")
    assert res.code == 0, res.stderr
    rows = json.loads(res.stdout)
    assert rows and {r["model_name"] for r in rows} == {"prajjwal1/bert-tiny"}
    res = cli("query", "trend", "--model", spelling, "--hardware", "CPU", "--db", tiny_db, "--format", "json")
    assert res.code == 0, res.stderr
    assert len(json.loads(res.stdout)) == 6  # 3 runs x 2 batch sizes


def test_alias_in_regressions_report_export(cli, tiny_db, tmp_path):
    res = cli("regressions", "--model", "bert-tiny", "--db", tiny_db, "--all", "--format", "json")
    assert res.code == 0, res.stderr
    found = json.loads(res.stdout)["findings"]
    assert found and {f["model_name"] for f in found} == {"prajjwal1/bert-tiny"}
    series = {}
    for spelling in ("bert-tiny", "prajjwal1/bert-tiny", None):
        res = cli("changes", *(["--model", spelling] if spelling else []), "--db", tiny_db)
        assert res.code == 0, res.stderr
        series[spelling] = int(res.stderr.split(" series")[0].split()[-1])
    assert 0 < series["bert-tiny"] == series["prajjwal1/bert-tiny"] < series[None], series
    res = cli("report", "--model", "bert-tiny", "--db", tiny_db, "--out", str(tmp_path / "r.html"), "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["models"] == 1
    res = cli("export", "--model", "bert-tiny", "--db", tiny_db, "--out", str(tmp_path / "x.csv"))
    assert res.code == 0, res.stderr
    lines = (tmp_path / "x.csv").read_text().splitlines()
    assert len(lines) == 1 + 6 and all("prajjwal1/bert-tiny" in line for line in lines[1:])


@pytest.mark.parametrize("argv", [
    ["query", "latest"], ["query", "compare-hardware"], ["regressions"], ["changes"],
    ["report", "--out", "{tmp}/r.html"], ["export", "--out", "{tmp}/x.parquet"],
])
def test_unknown_model_did_you_mean_everywhere(cli, tiny_db, tmp_path, argv):
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    res = cli(*args, "--model", "bert-tinny", "--db", tiny_db)
    assert res.code == 1, (res.stdout, res.stderr)
    assert "no such model 'bert-tinny'; did you mean 'prajjwal1/bert-tiny'" in res.stderr
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("argv", [["query", "latest"], ["regressions"], ["changes"],
                                  ["export", "--out", "{tmp}/x.parquet"]])
def test_unknown_hardware_did_you_mean(cli, tiny_db, tmp_path, argv):
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    res = cli(*args, "--hardware", "cpux", "--db", tiny_db)
    assert res.code == 1 and "no such hardware 'cpux'; did you mean 'cpu'?" in res.stderr, res.stderr


def test_unknown_precision_says_what_there_is(cli, tiny_db):
    res = cli("query", "latest", "--precision", "fp16", "--db", tiny_db)
    assert res.code == 1 and "no such precision 'fp16'" in res.stderr, res.stderr


def test_did_you_mean_helper():
    from benchwh.warehouse.names import did_you_mean

    assert str(did_you_mean("model", "gpt3", ["gpt2", "t5-small"])) == "no such model 'gpt3'; did you mean 'gpt2'?"
    assert "the warehouse has: a, b" in str(did_you_mean("model", "zzzz", ["a", "b"]))
    assert "has no benchmark yet" in str(did_you_mean("benchmark", "x", []))
