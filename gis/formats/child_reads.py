"""GDAL queries of a SQLite file that this process also has open, run in a child process.

GDAL's wheels carry a copy of SQLite of their own, beside the one Python's
``sqlite3`` uses. Two copies of SQLite in one process do not know of each
other's POSIX locks, and when either closes the file the kernel drops every
lock the process holds on it (SQLite's "How To Corrupt An SQLite Database
File", section 2.2.1). A store whose connection holds the write lock would
lose it as soon as GDAL finished reading the same database, and another
process could then write at the same time. A child process holds locks of
its own, so GDAL reads there and sends the rows back as an Arrow IPC stream,
a batch at a time: the parent never holds the whole result, and starting
the child costs a fraction of a second.

    with query_batches(path, "SELECT ... FROM problems ORDER BY fid") as batches:
        for batch in batches: ...

Run as a script (``python -I child_reads.py PATH SQL BATCH_SIZE``), this
module is the child: it imports pyarrow and pyogrio only. The child runs on
:func:`child_python`: this process's own interpreter, or, inside a server
that embeds Python (mod_wsgi, uWSGI: ``sys.executable`` names the server),
the ``python3`` of the environment, or ``$CITYGRID_PYTHON``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import pyarrow as pa

BATCH_ROWS = 65_536
"""Rows per Arrow batch the child sends."""

_STDERR_LINES = 12
"""Lines of the child's error output a failure quotes."""

PYTHON_VARIABLE = "CITYGRID_PYTHON"
"""The environment variable naming the interpreter of the child, when set."""


class ChildReadFailed(RuntimeError):
    """GDAL's query in the child process failed; the message quotes the child's errors."""


@contextmanager
def query_batches(
    path: str | os.PathLike[str], sql: str, *, batch_size: int = BATCH_ROWS
) -> Iterator[pa.RecordBatchReader]:
    """The rows of ``sql`` run by GDAL on the SQLite file ``path``, read in a child process.

    Yields a reader of Arrow batches of the query's schema as GDAL gives it.
    When the block ends the child is awaited, or stopped if the block raised
    or left batches unread.

    Raises
    ------
    ChildReadFailed
        GDAL could not open the file or run the query, or the child failed
        before its last batch.
    """
    command = [child_python(), "-I", __file__, os.fspath(path), sql, str(batch_size)]
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        assert child.stdout is not None  # stdout=PIPE
        read_through = False
        try:
            try:
                reader = pa.ipc.open_stream(child.stdout)
            except pa.ArrowInvalid:
                child.wait()
                raise ChildReadFailed(_failure(path, errors)) from None
            yield reader
            read_through = _exhausted(reader)
        finally:
            if not read_through:
                child.kill()
            child.stdout.close()
            status = child.wait()
        if read_through and status != 0:
            raise ChildReadFailed(_failure(path, errors))


def child_python() -> str:
    """The Python interpreter the child runs on.

    ``$CITYGRID_PYTHON`` if set; else ``sys.executable`` when it is a Python
    interpreter; else the ``python3`` (``python.exe`` on Windows) in the
    scripts folder of this environment, since a server that embeds Python
    gives its own program as ``sys.executable``.

    Raises
    ------
    BadInput
        ``$CITYGRID_PYTHON`` names no file, or no interpreter is found (a
        setting to correct).
    """
    # Here, not at the top: the child runs this file as a script, without citygrid.
    from citygrid.errors import BadInput

    named = os.environ.get(PYTHON_VARIABLE)
    if named:
        if not os.path.isfile(named):
            raise BadInput(
                "{variable}={value} is not a file; set it to the Python interpreter of "
                "citygrid's environment (its bin/python3).",
                variable=PYTHON_VARIABLE,
                value=named,
            )
        return named
    if _is_python(sys.executable):
        return sys.executable
    scripts = sysconfig.get_path("scripts")
    for name in ("python3", "python", "python.exe"):
        candidate = os.path.join(scripts, name)
        if os.path.isfile(candidate):
            return candidate
    raise BadInput(
        "No Python interpreter to read with: this process runs in {program} and {folder} has "
        "no python3. Set {variable} to citygrid's Python interpreter.",
        program=sys.executable,
        folder=scripts,
        variable=PYTHON_VARIABLE,
    )


def _is_python(executable: str) -> bool:
    """Whether ``executable`` is a Python interpreter's file, by its name."""
    name = os.path.basename(executable).lower()
    return os.path.isfile(executable) and name.startswith(("python", "pypy"))


def _exhausted(reader: pa.RecordBatchReader) -> bool:
    """Whether ``reader`` has no batch left (else one is taken from it)."""
    try:
        reader.read_next_batch()
    except StopIteration:
        return True
    return False


def _failure(path: str | os.PathLike[str], errors: IO[bytes]) -> str:
    """What the child said before it failed."""
    errors.seek(0)
    lines = errors.read().decode(errors="replace").splitlines()[-_STDERR_LINES:]
    return f"GDAL could not read {os.fspath(path)}:\n" + "\n".join(lines)


def _send(path: str, sql: str, batch_size: int) -> None:
    """The child: run ``sql`` on ``path`` with GDAL and write its batches to stdout."""
    import pyogrio

    with pyogrio.open_arrow(path, sql=sql, batch_size=batch_size, use_pyarrow=True) as opened:
        _, reader = opened
        with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as stream:
            for batch in reader:
                stream.write_batch(batch)


if __name__ == "__main__":
    _send(sys.argv[1], sys.argv[2], int(sys.argv[3]))
