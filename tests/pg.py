"""A private PostgreSQL cluster for tests: own data folder, own port, 127.0.0.1 only.

``start_cluster()`` runs ``initdb`` and ``pg_ctl start``; ``stop_cluster()`` stops it and
removes its folder. PostgreSQL refuses to run as root, so under root the server binaries run
as the ``postgres`` system user (created by Debian's package) and the folder is handed to it.
Every database is reached over TCP with trust authentication: the cluster listens on the
loopback interface only and lives for one test session.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "benchwh"


def bin_dir() -> Path | None:
    """Folder holding initdb/pg_ctl/createdb: PATH first, then Debian's versioned folders."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def why_unavailable() -> str | None:
    """None when a cluster can be started here, else the reason (for pytest.skip)."""
    if bin_dir() is None:
        return "PostgreSQL server binaries (initdb) not found: apt-get install -y postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    root: Path
    port: int
    bindir: Path
    run_as: str | None  # system user running the server binaries (None: the current user)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq key=value text, as ``ducklake:postgres:`` takes it."""
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user={SUPERUSER}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], user=self.run_as, cwd=self.root,
            capture_output=True, text=True, timeout=timeout, check=True,
        )

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new database (empty, or a copy of ``template``); returns its name."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        if template:
            # CREATE DATABASE ... TEMPLATE needs the template to have no open sessions.
            self.sql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 f"WHERE datname = '{template}' AND pid <> pg_backend_pid()")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER,
                  *(["-T", template] if template else []), name)
        return name

    def sql(self, dbname: str, statement: str) -> str:
        """Run one statement with psql; returns its unaligned output."""
        return self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER,
                         "-d", dbname, "-v", "ON_ERROR_STOP=1", "-XAtqc", statement).stdout


def start_cluster() -> Cluster:
    """initdb a fresh cluster in a new temporary folder and start it; waits until it accepts."""
    bindir = bin_dir()
    if bindir is None:
        raise RuntimeError(why_unavailable())
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="benchwh-pg-"))
    if run_as:
        pw = pwd.getpwnam(run_as)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    cluster = Cluster(root, _free_port(), bindir, run_as)
    try:
        cluster._run("initdb", "-D", str(cluster.datadir), "-U", SUPERUSER, "--auth=trust",
                     "--encoding=UTF8", "--locale=C", "--no-sync")
        # Private socket folder and loopback only: nothing shared with a system cluster.
        opts = (f"-c listen_addresses=127.0.0.1 -c port={cluster.port} "
                f"-c unix_socket_directories={cluster.root} -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        cluster._run("pg_ctl", "-D", str(cluster.datadir), "-o", opts, "-l",
                     str(cluster.root / "server.log"), "-w", "-t", "60", "start")
    except Exception as e:
        log = cluster.root / "server.log"
        detail = log.read_text()[-2000:] if log.exists() else ""
        out = getattr(e, "stderr", "") or ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {e}\n{out}\n{detail}") from e
    _wait_accepting(cluster)
    return cluster


def _wait_accepting(cluster: Cluster, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", cluster.port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop_cluster(cluster: Cluster) -> None:
    """Stop the server (fast shutdown) and delete its folder."""
    try:
        cluster._run("pg_ctl", "-D", str(cluster.datadir), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)


# --- migrated warehouses for the ``warehouse_db`` fixture ------------------------------------
# Migrating costs seconds (alembic, extension loading), so each backend is migrated once per
# session by `benchwh.warehouse.migrate` and every test gets a copy: a file copy for DuckDB, a
# `CREATE DATABASE ... TEMPLATE` for the DuckLake catalog (the migrated lake holds no data files:
# its only row, the revision, is inlined in the catalog). The copy's data path is pointed at the
# test's own folder, the one documented key DuckLake keeps it under.

TEMPLATE_DB = "benchwh_template"


def migrated_file_template(folder: Path) -> Path:
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    path = folder / "template.duckdb"
    migrate(resolve(str(path)))
    return path


def migrated_lake_template(cluster: Cluster, folder: Path) -> str:
    """Migrate a lake into the template database; returns its name."""
    from benchwh.warehouse import lake
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    cluster.create_database(TEMPLATE_DB)
    data = folder / "template-data"
    migrate(resolve("ducklake:postgres:" + cluster.conninfo(TEMPLATE_DB), str(data)))
    lake.release()  # close this process's sessions on the template
    leftovers = [p for p in data.rglob("*") if p.is_file()] if data.exists() else []
    assert not leftovers, f"migrated template lake wrote data files: {leftovers}"
    return TEMPLATE_DB


def lake_copy(cluster: Cluster, template: str, data_path: Path) -> str:
    """A new lake database copied from ``template`` whose data lives in ``data_path``;
    returns the ``--db`` text."""
    name = cluster.create_database(template=template)
    data_path.mkdir(parents=True, exist_ok=True)
    cluster.sql(name, "UPDATE ducklake_metadata SET value = '{}/' WHERE key = 'data_path'"
                .format(str(data_path).replace("'", "''")))
    return "ducklake:postgres:" + cluster.conninfo(name)
