"""``benchwh import`` finds files as ``os.walk`` would: a folder it cannot list is reported, never
passed over in silence (the failure is injected into a real walk: the tests may run as root)."""

from __future__ import annotations

import os

import pytest

from benchwh.errors import BenchwhError
from benchwh.importing import discover


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.json").write_text("{}")
    (tmp_path / "a" / "y.png").write_bytes(b"\x89PNG")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "z.json").write_text("{}")
    (tmp_path / "link").symlink_to(tmp_path / "a", target_is_directory=True)
    return tmp_path


def _refuse(monkeypatch, folder):
    real = os.scandir

    def scandir(path="."):
        if os.path.abspath(path) == str(folder):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_walk_lists_files_and_reports_what_it_cannot_read(tree, monkeypatch):
    _refuse(monkeypatch, tree / "locked")
    not_read = []
    found = discover([tree], not_read)
    assert [f.rel_path for f in found] == ["a/b/x.json"]  # the symlinked folder is not followed
    assert [f.rel_path for f in not_read] == ["a/y.png", "locked/"]


def test_unlistable_root_is_an_error_naming_it(tree, monkeypatch):
    _refuse(monkeypatch, tree / "locked")
    with pytest.raises(BenchwhError, match=r"locked: the folder cannot be listed \(Permission denied\)"):
        discover([tree / "locked"])


def test_import_reports_the_folder(tree, monkeypatch):
    from benchwh.api import Warehouse

    wh = Warehouse(str(tree / "w.duckdb"))
    wh.migrate()
    _refuse(monkeypatch, tree / "locked")
    entries = []
    wh.import_([tree], dry_run=True, jobs=1, sink=entries.append)
    assert {"path": "locked/", "reason": "folder cannot be listed"}.items() <= \
        next(e for e in entries if e["path"] == "locked/").items()
