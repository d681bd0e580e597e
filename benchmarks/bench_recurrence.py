"""Benchmark recurrence detection (反弹) over a city-size set of problems.

Builds 1,000,000 problems (deterministic) over 24 months on a 20 km x 20 km
city at Changsha's coordinates: 60% around 20,000 hot spots (a few metres
apart), 40% anywhere; 200 catalogue items, the common ones far more often
than the rare; 85% closed 0.5 to 20 days after being reported. Then times

- **ours**: :func:`citygrid.services.cycle.recurrence.metric_xy` and
  :func:`~citygrid.services.cycle.recurrence.recurrence_links` (the pairs
  within the distance from one KD-tree with the items kept apart in it,
  the time window and the choice of the last closed in arrays, chains by
  pointer jumping);
- **plain**: what one would write with geopandas alone: ``to_crs``, a
  ``gpd.sjoin(..., predicate="dwithin")`` of every problem with the closed
  ones, then pandas filters for the item and the window, a sort to pick
  the last closed (then the one stored first), and a loop of ``map`` up
  the chains;

checks that both give the same links, and prints the times and the ratio.
The aim is under 5 s for ours at 1,000,000 problems.

    python benchmarks/bench_recurrence.py [--problems 1000000] [--repeat 3] [--skip-plain]
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from citygrid.services.cycle.recurrence import metric_xy, recurrence_links

METRIC = CRS.from_epsg(32649)  # UTM 49N, Changsha
LON0, LAT0 = 112.88, 28.12
METRES, DAYS = 50.0, 90.0


def problems(n: int, seed: int = 15) -> pd.DataFrame:
    """``n`` problems with lon, lat, item, reported and closed times (EPSG:4326)."""
    rng = np.random.default_rng(seed)
    side = 20_000.0
    hot = rng.uniform(0, side, (20_000, 2))
    clustered = rng.uniform(size=n) < 0.6
    spot = rng.integers(0, len(hot), n)
    x = np.where(clustered, hot[spot, 0] + rng.normal(0, 8, n), rng.uniform(0, side, n))
    y = np.where(clustered, hot[spot, 1] + rng.normal(0, 8, n), rng.uniform(0, side, n))
    weights = 1 / np.arange(1, 201)
    items = np.array([f"C{i:03d}" for i in range(200)])[
        rng.choice(200, n, p=weights / weights.sum())
    ]
    start = np.datetime64("2024-11-01T00:00", "s")
    reported = start + (rng.uniform(0, 730, n) * 86_400).astype("timedelta64[s]")
    closed = reported + (rng.uniform(0.5, 20, n) * 86_400).astype("timedelta64[s]")
    closed[rng.uniform(size=n) >= 0.85] = np.datetime64("NaT")
    lon = LON0 + x / (111_320 * np.cos(np.radians(LAT0)))
    lat = LAT0 + y / 110_574
    return pd.DataFrame(
        {
            "code": [f"WT{i:08d}" for i in range(n)],
            "catalogue_code": items,
            "reported_at": reported,
            "closed_at": closed,
            "lon": lon,
            "lat": lat,
        }
    )


def ours(frame: pd.DataFrame) -> pd.DataFrame:
    """The links by citygrid's batch function (from EPSG:4326 lon/lat)."""
    x, y = metric_xy(frame["lon"].to_numpy(), frame["lat"].to_numpy(), METRIC)
    return recurrence_links(frame, x, y, metres=METRES, days=DAYS)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The same links with geopandas' sjoin and pandas, as a plain script would."""
    points = gpd.GeoDataFrame(
        frame[["code", "catalogue_code", "reported_at", "closed_at"]],
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs="EPSG:4326",
    ).to_crs(METRIC)
    closed = points[points["closed_at"].notna()]
    pairs = gpd.sjoin(points, closed, predicate="dwithin", distance=METRES)
    pairs = pairs[pairs["catalogue_code_left"] == pairs["catalogue_code_right"]]
    pairs = pairs[pairs["code_left"] != pairs["code_right"]]
    gap = pairs["reported_at_left"] - pairs["closed_at_right"]
    pairs = pairs[(gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=DAYS))]
    other = points.geometry.loc[pairs["index_right"]].to_numpy()
    other = gpd.GeoSeries(other, index=pairs.index, crs=METRIC)
    pairs = pairs.assign(distance=pairs.geometry.distance(other))
    pairs = pairs.sort_values(
        ["code_left", "closed_at_right", "distance", "index_right"],
        ascending=[True, False, True, True],
    )
    parent = pairs.drop_duplicates("code_left").set_index("code_left")["code_right"]
    links = pd.DataFrame({"code": frame["code"]})
    links["recurrence_of"] = links["code"].map(parent)
    depth = links["recurrence_of"].notna().astype("int64")
    up = links["recurrence_of"]
    while up.notna().any():
        up = up.map(parent)
        depth += up.notna()
    links["recurrence"] = depth
    return links


def timed(run: object, frame: pd.DataFrame, repeat: int) -> tuple[float, pd.DataFrame]:
    best, result = float("inf"), pd.DataFrame()
    for _ in range(repeat):
        started = time.perf_counter()
        result = run(frame)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    """Build the problems, time both ways, check they agree and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-plain", action="store_true", help="time ours only")
    args = parser.parse_args()
    frame = problems(args.problems)
    ours_s, found = timed(ours, frame, args.repeat)
    recurring = int((found["recurrence"] > 0).sum())
    print(
        f"problems: {len(frame):,}  closed: {int(frame['closed_at'].notna().sum()):,}  "
        f"recurrences: {recurring:,}  longest chain: {int(found['recurrence'].max())}"
    )
    print(f"ours (KD-tree pairs, arrays):        {ours_s:7.2f} s  (aim: under 5 s)")
    if args.skip_plain:
        return
    plain_s, reference = timed(plain, frame, 1)
    same = (
        found["recurrence_of"].fillna("").tolist() == reference["recurrence_of"].fillna("").tolist()
        and (found["recurrence"].to_numpy() == reference["recurrence"].to_numpy()).all()
    )
    print(f"plain geopandas sjoin + pandas:      {plain_s:7.2f} s")
    print(f"ratio plain / ours: {plain_s / ours_s:.1f}x   same links: {same}")
    if not same:
        raise SystemExit("the two ways disagree")


if __name__ == "__main__":
    main()
