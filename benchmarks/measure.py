"""Time a command as a process of its own, with the peak memory of that process alone.

Each command runs under this module as a tiny wrapper process::

    python benchmarks/measure.py REPORT -- COMMAND...

which starts the command, reaps it with :func:`os.wait4` and writes its wall
time, its own peak resident memory (``ru_maxrss``) and its exit status to
REPORT. The wrapper is needed because Linux carries a process's peak across
``exec``: a command started straight from the benchmark process (which holds
the demo's frames) would report that process's peak, and
``getrusage(RUSAGE_CHILDREN)`` is the largest of every child so far. The
wrapper is small, so its child starts from a small peak.

A command may print ``BENCH_SECONDS=<s>`` to have the time of the work it
names taken instead of the process's wall time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_SECONDS = re.compile(r"^BENCH_SECONDS=([0-9.]+)$", re.MULTILINE)


class CommandFailed(RuntimeError):
    """A measured command exited with an error."""


@dataclass(frozen=True)
class Timing:
    """The best of several runs of one command.

    Attributes
    ----------
    seconds
        The fastest run's wall time (or the time it printed), in seconds.
    peak_mb
        The largest peak resident memory of any run, in MiB.
    runs
        How many runs were made.
    """

    seconds: float
    peak_mb: float
    runs: int


def run_once(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``command``; return its seconds and its peak memory (MiB).

    Raises
    ------
    CommandFailed
        The command exited with an error; the message ends with the last lines
        of its stderr (each cut to 300 characters).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with tempfile.NamedTemporaryFile("r") as report:
            wrapper = [sys.executable, __file__, report.name, "--", *command]
            subprocess.run(wrapper, stdout=out, stderr=err, env=env, check=True)
            seconds_text, peak_kb, status = report.read().split()
        out.seek(0)
        err.seek(0)
        printed = out.read().decode(errors="replace")
        if int(status) != 0:
            lines = err.read().decode(errors="replace").splitlines()[-12:]
            tail = "\n".join(line[:300] for line in lines)
            raise CommandFailed(f"{' '.join(command)} exited {status}:\n{tail}")
    seconds = float(seconds_text)
    found = _SECONDS.search(printed)
    return (float(found[1]) if found else seconds), int(peak_kb) / 1024


def best_of(
    command: Sequence[str],
    repeat: int,
    *,
    env: dict[str, str] | None = None,
    before: Callable[[], None] | None = None,
) -> Timing:
    """The fastest of ``repeat`` runs of ``command``, calling ``before`` (untimed) before each."""
    times, peaks = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        seconds, peak = run_once(command, env)
        times.append(seconds)
        peaks.append(peak)
    return Timing(min(times), max(peaks), repeat)


def _wrap(report: str, command: list[str]) -> None:
    """Run ``command`` and write its seconds, peak memory (KiB) and exit status to ``report``."""
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    with open(report, "w") as file:
        file.write(f"{seconds:.6f} {usage.ru_maxrss} {child.returncode}\n")


if __name__ == "__main__":
    _wrap(sys.argv[1], sys.argv[3:])
