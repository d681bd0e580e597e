"""Start-up time of the command line, as whole processes.

Runs ``citygrid --help``, ``citygrid --version`` and ``citygrid who`` on the
small demo city (built once in a temporary folder), and ``python -c "import
geopandas"`` as the baseline, each several times as a fresh process, and
prints the best and median wall-clock seconds against the aims of issue 10.

Usage::

    python benchmarks/bench_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from demo_cache import citygrid_command

#: Aims in seconds (None: a baseline, no aim).
AIMS = {
    "citygrid --help": 0.3,
    "citygrid --version": 0.3,
    "citygrid who (small demo)": 2.0,
    'python -c "import geopandas"': None,
    'python -c "pass"': None,
}
#: A place inside the small demo city (Changsha), EPSG:4326.
WHO_LON, WHO_LAT = "112.98", "28.19"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(command: list[str], env: dict[str, str], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of ``repeat`` runs of ``command``, each a fresh process.

    The CPU time (user + system of the child) hardly depends on how busy the
    machine is, so it tells the cost apart from the waiting on a loaded machine.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        cpu, start = _cpu(), time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return walls, cpus


def main() -> None:
    """Build the small demo, time each command and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (default 5)")
    args = parser.parse_args()
    citygrid = citygrid_command()
    with tempfile.TemporaryDirectory(prefix="citygrid-startup-") as folder:
        env = {
            **os.environ,
            "CITYGRID_DATABASE_URL": f"sqlite:///{Path(folder) / 'demo.db'}",
            "CITYGRID_LANG": "zh_CN",
        }
        subprocess.run([*citygrid, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        commands = {
            "citygrid --help": [*citygrid, "--help"],
            "citygrid --version": [*citygrid, "--version"],
            "citygrid who (small demo)": [*citygrid, "who", WHO_LON, WHO_LAT],
            'python -c "import geopandas"': [sys.executable, "-c", "import geopandas"],
            'python -c "pass"': [sys.executable, "-c", "pass"],
        }
        results = {name: _time(cmd, env, args.repeat) for name, cmd in commands.items()}
    baseline = statistics.median(results['python -c "import geopandas"'][0])
    print(
        f"{'command':<30} {'best s':>7} {'median s':>9} {'cpu s':>6} {'aim s':>6} "
        f"{'x geopandas':>12}  met"
    )
    for name, (walls, cpus) in results.items():
        best, median, cpu = min(walls), statistics.median(walls), statistics.median(cpus)
        aim = AIMS[name]
        met = "-" if aim is None else ("yes" if median <= aim else "NO")
        aim_text = "-" if aim is None else f"{aim:.1f}"
        ratio = median / baseline
        print(
            f"{name:<30} {best:>7.3f} {median:>9.3f} {cpu:>6.3f} {aim_text:>6} "
            f"{ratio:>12.2f}  {met}"
        )
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"({args.repeat} runs each, whole processes, {os.cpu_count()} CPUs, load {load})")


if __name__ == "__main__":
    main()
