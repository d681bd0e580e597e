"""The map's JSON API at city scale: time per bbox request, against the store read alone.

For each map layer and two views (the whole city, and a zoomed-in window
1/8 of its width and height at the centre) it times
``GET /api/layers/<layer>/features?bbox=...&limit=10000`` through Flask's
test client (no network), next to:

- ``read``: :meth:`Store.read` of the same bbox and limit (what a caller of
  the store would do; on SQLite it filters exactly in Python before the
  limit, so at city scale the API, which limits in SQL, can be faster);
- ``gpd``: that read plus geopandas' ``GeoDataFrame.to_json(default=str)`` (a
  reference serialiser).

``api/read`` is what the web layer adds on top of the store; ``api/gpd``
compares citygrid's GeoJSON writer with geopandas'. It also times the
map page (``GET /``), which reads only the layers' extents, and, for each
computed layer whose analysis is installed, the first request (the
analysis runs) against the second (answered from the providers' cache).

Usage::

    python benchmarks/bench_web.py --db sqlite:///citygrid.db   # e.g. after
        # `citygrid demo --size city`
    python benchmarks/bench_web.py --size small                 # builds a temp demo
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.demo import load_demo
from citygrid.services.providers import collections
from citygrid.services.providers.computed import RESULTS
from citygrid.web.app import create_app
from citygrid.web.map_page import data_extent
from citygrid.web.params import MAX_LIMIT

LAYERS = ("jurisdictions", "grids", "streets", "alleys", "points", "problems")


def _best(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Best wall time (seconds) of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def _open(args: argparse.Namespace) -> Store:
    if args.db:
        return Store.open(args.db)
    path = Path(tempfile.mkdtemp()) / "bench_web.db"
    store = Store.open(f"sqlite:///{path}", check_schema=False)
    store.init()
    start = time.perf_counter()
    load_demo(store, args.size, 0, actor="bench")
    print(f"demo --size {args.size} loaded in {time.perf_counter() - start:.1f} s into {path}")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="URL of a database that already holds a city")
    parser.add_argument("--size", default="small", help="demo size to build without --db")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    store = _open(args)
    client = create_app(Config(database_url=store.url, secret_key="bench"), store).test_client()
    extent = data_extent(CityContext(store, Config(database_url=store.url)), LAYERS)
    assert extent is not None, "the database holds no features"
    minx, miny, maxx, maxy = extent
    cx, cy, w, h = (minx + maxx) / 2, (miny + maxy) / 2, (maxx - minx) / 16, (maxy - miny) / 16
    views = {"city": extent, "zoomed": (cx - w, cy - h, cx + w, cy + h)}
    print(f"backend {store.engine.dialect.name}; counts: {store.counts()}")

    page_s, _ = _best(lambda: client.get("/").close(), args.repeat)
    print(f"map page: {page_s * 1000:.0f} ms\n")
    print(
        f"{'layer':<14}{'view':<8}{'features':>9}{'trunc':>7}{'MB':>7}"
        f"{'api ms':>9}{'read ms':>9}{'gpd ms':>9}{'api/read':>10}{'api/gpd':>9}"
    )
    for layer in LAYERS:
        for view, bbox in views.items():
            query = ",".join(f"{v:.6f}" for v in bbox)
            url = f"/api/layers/{layer}/features?bbox={query}&limit={MAX_LIMIT}"
            api_s, response = _best(lambda url=url: client.get(url), args.repeat)
            body = response.get_json()
            read_s, _ = _best(
                lambda layer=layer, bbox=bbox: store.read(layer, bbox=bbox, limit=MAX_LIMIT + 1),
                args.repeat,
            )
            gpd_s, _ = _best(
                lambda layer=layer, bbox=bbox: store.read(
                    layer, bbox=bbox, limit=MAX_LIMIT + 1
                ).to_json(default=str),
                args.repeat,
            )
            size_mb = len(response.data) / 1e6
            print(
                f"{layer:<14}{view:<8}{body['numberReturned']:>9}{body['truncated']!s:>7}"
                f"{size_mb:>7.2f}{api_s * 1000:>9.0f}{read_s * 1000:>9.0f}{gpd_s * 1000:>9.0f}"
                f"{api_s / read_s:>10.2f}{api_s / gpd_s:>9.2f}"
            )
    _computed(client)
    store.close()


def _computed(client: FlaskClient) -> None:
    """First (computing) and second (cached) request of each served computed layer."""
    served = [c for c in collections() if c.analysis is not None]
    if not served:
        print("\nno analysis is installed: no computed layer to time")
        return
    print(f"\n{'computed layer':<22}{'features':>9}{'first ms':>10}{'cached ms':>10}{'ratio':>8}")
    for collection in served:
        RESULTS.clear()
        url = f"/api/layers/{collection.layer.name}/features"
        start = time.perf_counter()
        response = client.get(url)
        first_s = time.perf_counter() - start
        cached_s, _ = _best(lambda url=url: client.get(url), 3)
        returned = response.get_json().get("numberReturned", response.status_code)
        print(
            f"{collection.layer.name:<22}{returned:>9}{first_s * 1000:>10.0f}"
            f"{cached_s * 1000:>10.1f}{first_s / cached_s:>8.0f}"
        )


if __name__ == "__main__":
    main()
