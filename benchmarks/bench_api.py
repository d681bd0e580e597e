"""/api/v1 at city scale: pages of 1,000 problems over real HTTP on loopback.

A real server (werkzeug, threaded) serves the store on 127.0.0.1; an
administrator's API token reads ``GET /api/v1/problems?limit=1000&offset=K``
for pages spread over the whole layer, plain and sorted
(``sortby=-reported_at``), with urllib. For each it prints the median and
95th percentile of the request time (the target: p95 under 100 ms on
loopback), and next to them the store's own read of the same page
(``Store.read`` with the same limit, offset and order), so ``api/read`` is
what the API adds: scope, counting ``numberMatched``, GeoJSON and HTTP.

Usage::

    citygrid --db sqlite:///city.db demo --size city
    python benchmarks/bench_api.py --db sqlite:///city.db
    python benchmarks/bench_api.py --size small          # builds a temp demo
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request
from collections.abc import Callable

from bench_web import _open
from serving import serving

from citygrid.config import Config
from citygrid.errors import NotFound
from citygrid.layers.store import Store
from citygrid.services.accounts import tokens, users
from citygrid.services.context import CityContext

PAGE = 1000
BENCH_USER = "bench_api"


def _token(store: Store) -> str:
    ctx = CityContext(store, Config(database_url=store.url), actor="bench")
    try:
        users.get_user(ctx, BENCH_USER)
    except NotFound:
        users.add_user(ctx, BENCH_USER, "admin")
    return tokens.issue_token(ctx, BENCH_USER, days=1, label="bench_api").token


def _times(run: Callable[[], object], repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        found.append((time.perf_counter() - start) * 1000)
    return found


def _get(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body: dict = json.loads(response.read())
    return body


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="URL of a database that already holds a city")
    parser.add_argument("--size", default="small", help="demo size to build without --db")
    parser.add_argument("--pages", type=int, default=20, help="pages spread over the layer")
    parser.add_argument("--repeat", type=int, default=3, help="requests per page")
    args = parser.parse_args()

    store = _open(args)
    token = _token(store)
    config = Config(database_url=store.url, secret_key="bench")
    with serving(store, config) as root:
        base = f"{root}/api/v1/problems"
        total = store.count("problems")
        offsets = [
            round(i * max(0, total - PAGE) / max(1, args.pages - 1)) for i in range(args.pages)
        ]
        print(f"problems: {total:,}; {len(offsets)} pages of {PAGE:,}, {args.repeat} requests each")
        print(f"{'query':<24}{'p50 ms':>9}{'p95 ms':>9}{'read p50':>10}{'api/read':>10}")
        for label, sort in (
            ("limit/offset", ()),
            ("sortby=-reported_at", (("reported_at", True),)),
        ):
            api: list[float] = []
            read: list[float] = []
            for offset in offsets:
                query = f"?limit={PAGE}&offset={offset}" + ("&sortby=-reported_at" if sort else "")
                body = _get(base + query, token)  # warm the page once
                assert body["numberReturned"] == min(PAGE, total - offset), body["numberReturned"]
                api += _times(lambda q=query: _get(base + q, token), args.repeat)
                read += _times(
                    lambda o=offset, s=sort: store.read("problems", limit=PAGE, offset=o, sort=s),
                    args.repeat,
                )
            p50, p95, r50 = statistics.median(api), _p95(api), statistics.median(read)
            print(f"{label:<24}{p50:>9.1f}{p95:>9.1f}{r50:>10.1f}{p50 / r50:>10.2f}")
        verdict = "meets" if p95 < 100 else "misses"
        print(f"target: p95 < 100 ms on loopback ({verdict} it with the sorted pages)")
    tokens.revoke(CityContext(store, Config(database_url=store.url), actor="bench"), BENCH_USER)


if __name__ == "__main__":
    main()
