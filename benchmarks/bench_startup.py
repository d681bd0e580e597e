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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Aims in seconds (None: a baseline, no aim).
AIMS = {
    "citygrid --help": 0.3,
    "citygrid --version": 0.3,
    "citygrid who (small demo)": 2.0,
    'python -c "import geopandas"': None,
}
#: A place inside the small demo city (Changsha), EPSG:4326.
WHO_LON, WHO_LAT = "112.98", "28.19"


def _citygrid() -> list[str]:
    """The ``citygrid`` entry point of this interpreter's environment."""
    script = Path(sys.executable).with_name("citygrid")
    found = str(script) if script.exists() else shutil.which("citygrid")
    if found is None:
        sys.exit("citygrid is not installed in this environment (pip install -e .)")
    return [found]


def _time(command: list[str], env: dict[str, str], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` runs of ``command`` as a fresh process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Build the small demo, time each command and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (default 5)")
    args = parser.parse_args()
    citygrid = _citygrid()
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
        }
        results = {name: _time(cmd, env, args.repeat) for name, cmd in commands.items()}
    baseline = statistics.median(results['python -c "import geopandas"'])
    print(f"{'command':<30} {'best s':>7} {'median s':>9} {'aim s':>6} {'x geopandas':>12}  met")
    for name, times in results.items():
        best, median = min(times), statistics.median(times)
        aim = AIMS[name]
        met = "-" if aim is None else ("yes" if median <= aim else "NO")
        aim_text = "-" if aim is None else f"{aim:.1f}"
        ratio = median / baseline
        print(f"{name:<30} {best:>7.3f} {median:>9.3f} {aim_text:>6} {ratio:>12.2f}  {met}")
    print(f"({args.repeat} runs each, whole processes, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
