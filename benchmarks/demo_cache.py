"""The demo city the benchmark command measures on, built once and kept.

A cached demo is named by citygrid's version, the schema revision, the size
and the seed (:func:`cache_key`), so a new version or migration builds a new
one and an unchanged one is reused at once. Each is built under a temporary
name and renamed when complete, so an interrupted build is never taken:

- SQLite: ``<cache>/demo-<key>.db``;
- PostGIS: the database ``citygrid_bench_<key>`` on the server given;
- the baselines' files: ``<cache>/files-<key>/`` with ``demo.gpkg`` (layers
  problems, grids, jurisdictions) and ``problems.parquet``, exported from
  the SQLite demo.

Commands that change data run on a working copy (:func:`working_copy`),
so the cached demo stays as built.
"""

from __future__ import annotations

import compileall
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

import citygrid
from citygrid.layers.migrations import head

#: Where cached demos live by default.
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "citygrid/bench"

#: citygrid's packages, each a folder of its own in an editable install.
PACKAGES = ("citygrid", "citygrid.gis", "citygrid.layers", "citygrid.services", "citygrid.web")

#: Layers of the demo the baselines read.
BASELINE_LAYERS = ("problems", "grids", "jurisdictions")


def cache_key(size: str, seed: int) -> str:
    """``<version>-<schema revision>-<size>-<seed>``: what a cached demo depends on."""
    return f"{citygrid.__version__}-{head()}-{size}-{seed}"


def citygrid_command() -> list[str]:
    """The ``citygrid`` entry point of this interpreter's environment, its modules
    byte-compiled (:func:`byte_compile`)."""
    byte_compile()
    script = Path(sys.executable).with_name("citygrid")
    found = str(script) if script.exists() else shutil.which("citygrid")
    if found is None:
        sys.exit("citygrid is not installed in this environment (pip install -e .)")
    return [found]


def byte_compile() -> None:
    """Byte-compile citygrid's modules where Python looks for them, as installing it does.

    pip compiles the modules of a package it installs, the baselines' libraries
    included. An editable install writes them on first import, unless
    ``$PYTHONDONTWRITEBYTECODE`` is set: then every command would compile all
    of citygrid again (about 0.2 s a command), which no installed copy does.
    """
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(folder, quiet=1)


def _load_demo(url: str, size: str, seed: int) -> None:
    """``citygrid demo`` into ``url`` (its progress shows on a terminal)."""
    command = [*citygrid_command(), "--db", url, "demo", "--size", size, "--seed", str(seed)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def sqlite_demo(folder: Path, size: str, seed: int) -> str:
    """URL of the cached SQLite demo in ``folder``, built first if missing."""
    path = folder / f"demo-{cache_key(size, seed)}.db"
    if not path.exists():
        print(f"Building the {size} demo into {path} (once)...", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        building = path.with_name(path.name + ".building")
        building.unlink(missing_ok=True)
        _load_demo(f"sqlite:///{building}", size, seed)
        building.rename(path)
    return f"sqlite:///{path}"


def _admin(server_url: str) -> sa.Engine:
    url = sa.engine.make_url(server_url).set(drivername="postgresql+psycopg")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


def _database_url(server_url: str, name: str) -> str:
    url = sa.engine.make_url(server_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def _exists(conn: sa.Connection, name: str) -> bool:
    found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
    return found.first() is not None


def postgis_demo(server_url: str, size: str, seed: int) -> str:
    """URL of the cached PostGIS demo on the server of ``server_url``, built first if missing."""
    name = "citygrid_bench_" + re.sub(r"[^a-z0-9]+", "_", cache_key(size, seed).lower())
    admin = _admin(server_url)
    try:
        with admin.connect() as conn:
            if _exists(conn, name):
                return _database_url(server_url, name)
            print(f"Building the {size} demo into PostGIS database {name} (once)...", flush=True)
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_building" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}_building"')
        _load_demo(_database_url(server_url, f"{name}_building"), size, seed)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}_building" RENAME TO "{name}"')
    finally:
        admin.dispose()
    return _database_url(server_url, name)


def baseline_files(folder: Path, size: str, seed: int, sqlite_url: str) -> Path:
    """The folder of the baselines' files for this demo, exported first if missing."""
    import pyogrio

    from citygrid.layers.store import Store

    files = folder / f"files-{cache_key(size, seed)}"
    if files.exists():
        return files
    print(f"Exporting the demo's layers for the baselines into {files} (once)...", flush=True)
    building = Path(tempfile.mkdtemp(prefix="files-", dir=folder))
    store = Store.open(sqlite_url)
    try:
        for layer in BASELINE_LAYERS:
            frame = store.read(layer)
            pyogrio.write_dataframe(frame, building / "demo.gpkg", layer=layer, use_arrow=True)
            if layer == "problems":
                frame.to_parquet(building / "problems.parquet")
    finally:
        store.close()
    building.rename(files)
    return files


@contextmanager
def working_copy(url: str, folder: Path) -> Iterator[str]:
    """A copy of the demo at ``url`` to change, removed afterwards.

    SQLite copies the file into ``folder``; PostGIS clones the database
    (``CREATE DATABASE ... TEMPLATE``).
    """
    if url.startswith("sqlite"):
        copy = folder / "work.db"
        shutil.copyfile(sa.engine.make_url(url).database or "", copy)
        try:
            yield f"sqlite:///{copy}"
        finally:
            copy.unlink(missing_ok=True)
        return
    source = sa.engine.make_url(url).database or ""
    name = f"{source}_work"
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        yield _database_url(url, name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
