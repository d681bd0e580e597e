"""Whether a SQLite file's write lock is held, seen from another process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_ATTEMPT = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    conn.execute("BEGIN IMMEDIATE")
except sqlite3.OperationalError:
    sys.exit(3)
"""


def second_writer_is_locked_out(path: Path) -> bool:
    """Whether another process is refused the write lock of the SQLite file ``path`` at once."""
    done = subprocess.run([sys.executable, "-c", _ATTEMPT, str(path)], check=False)
    return done.returncode == 3
