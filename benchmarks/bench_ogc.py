"""OGC API Features and Open311 on a large store, over loopback HTTP.

1. ``/ogc`` items pages of 1,000 problems: a real HTTP server (werkzeug,
   threaded, 127.0.0.1) serving the store, read page after page by
   following the ``next`` links with an administrator's token, and pages
   of a bbox around the city's centre; p50, p95 and max per page, next to
   the same page from the JSON API (``/api/layers/problems/features``).
2. Open311: ``--posts`` form-encoded POSTs of citizen requests at places
   inside grid cells, from ``--threads`` clients at once; throughput, and
   a check that every POST answered 201 with its own id and that each id
   is stored exactly once (the store holds exactly ``--posts`` more
   problems, all with source ``citizen``).

Without ``--db`` it builds the small demo and copies its problems (new
codes, the same places and items) until the store holds ``--problems``.

Usage::

    python benchmarks/bench_ogc.py                      # 300,000 problems, 1,000 POSTs
    python benchmarks/bench_ogc.py --db sqlite:///citygrid.db   # after `citygrid demo --size city`
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from serving import serving

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.accounts import tokens, users
from citygrid.services.context import CityContext
from citygrid.services.demo import load_demo

PAGE = 1000


def _grow(store: Store, wanted: int) -> None:
    """Copy the store's problems with new codes until it holds ``wanted``."""
    held = store.read("problems")
    have = len(held)
    start = time.perf_counter()
    batch = 50_000
    while have < wanted:
        take = min(batch, wanted - have)
        rows = held.sample(n=take, replace=True, random_state=have).reset_index(drop=True)
        rows = rows.drop(columns=["fid", "version"])
        rows["code"] = [f"BX{have + i:09d}" for i in range(take)]
        store.write("problems", rows, actor="bench", reason="bench_ogc copies")
        have += take
    print(f"problems copied to {have:,} in {time.perf_counter() - start:.1f} s")


def _open(args: argparse.Namespace) -> Store:
    if args.db:
        return Store.open(args.db)
    path = Path(tempfile.mkdtemp()) / "bench_ogc.db"
    store = Store.open(f"sqlite:///{path}", check_schema=False)
    store.init()
    start = time.perf_counter()
    load_demo(store, "small", 0, actor="bench")
    print(f"demo --size small loaded in {time.perf_counter() - start:.1f} s into {path}")
    _grow(store, args.problems)
    return store


def _get(url: str, token: str) -> tuple[float, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
    elapsed = time.perf_counter() - start
    return elapsed, json.loads(body)


def _figures(name: str, seconds: list[float], features: int) -> None:
    ms = np.array(seconds) * 1000
    print(
        f"{name:<34}{len(ms):>6}{features:>10,}{np.percentile(ms, 50):>9.1f}"
        f"{np.percentile(ms, 95):>9.1f}{ms.max():>9.1f}"
    )


def _pages(base: str, token: str, pages: int) -> None:
    print(
        f"{'pages of 1,000 problems':<34}{'pages':>6}{'features':>10}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'max ms':>9}"
    )
    url: str | None = f"{base}/ogc/collections/problems/items?limit={PAGE}"
    seconds, count = [], 0
    while url and len(seconds) < pages:
        elapsed, page = _get(url, token)
        seconds.append(elapsed)
        count += page["numberReturned"]
        url = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
    _figures("/ogc items, next links", seconds, count)
    after, seconds, count = None, [], 0
    for _ in range(pages):
        query = f"limit={PAGE}" + (f"&next={after}" if after is not None else "")
        elapsed, page = _get(f"{base}/api/layers/problems/features?{query}", token)
        seconds.append(elapsed)
        count += page["numberReturned"]
        after = page.get("next")
        if after is None:
            break
    _figures("/api/layers (same pages)", seconds, count)
    for crs in ("EPSG/0/4490",):
        url = f"{base}/ogc/collections/problems/items?limit={PAGE}&crs=http://www.opengis.net/def/crs/{crs}"
        seconds, count = [], 0
        for _ in range(min(pages, 20)):
            elapsed, page = _get(url, token)
            seconds.append(elapsed)
            count += page["numberReturned"]
        _figures("/ogc items, crs=EPSG:4490", seconds, count)


def _posts(base: str, store: Store, token: str, posts: int, threads: int) -> None:
    cells = store.read("grids", columns=["code"])
    points = cells.geometry.representative_point()
    catalogue = store.read("catalogue", columns=["code", "parent_code"])
    items = catalogue[~catalogue["code"].isin(catalogue["parent_code"])]["code"].tolist()
    rng = np.random.default_rng(0)
    before = store.count("problems")
    forms = []
    for i in range(posts):
        point = points.iloc[int(rng.integers(len(points)))]
        forms.append(
            urllib.parse.urlencode(
                {
                    "api_key": token,
                    "service_code": items[i % len(items)],
                    "lat": f"{point.y:.6f}",
                    "long": f"{point.x:.6f}",
                    "description": f"市民反映第{i}号问题",
                }
            ).encode()
        )

    def post(body: bytes) -> tuple[int, str]:
        request = urllib.request.Request(f"{base}/open311/v2/requests.json", data=body)
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())[0]["service_request_id"]

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(post, forms))
    elapsed = time.perf_counter() - start
    codes = [code for _status, code in answers]
    statuses = {status for status, _code in answers}
    stored = store.read("problems", where={"code": codes}, columns=["code", "source"])
    held = pd.Series(stored["code"]).value_counts()
    print(
        f"\nOpen311: {posts} POSTs from {threads} clients in {elapsed:.1f} s: "
        f"{posts / elapsed:.0f} requests/s; statuses {sorted(statuses)}; "
        f"{len(set(codes))} distinct ids; stored {len(stored)} "
        f"(each once: {bool((held == 1).all())}); problems {before:,} -> "
        f"{store.count('problems'):,} (+{store.count('problems') - before}); "
        f"all citizen: {bool((stored['source'] == 'citizen').all())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="URL of a database that already holds a city")
    parser.add_argument("--problems", type=int, default=300_000)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    store = _open(args)
    ctx = CityContext(store, Config(database_url=store.url, actor="bench"))
    name = f"bench_admin_{int(time.time())}"
    users.add_user(ctx, name, "admin", password="bench-ogc-2026!")
    token = tokens.issue_token(ctx, name, days=1).token
    config = Config(database_url=store.url, secret_key="bench", open311_rate="1000000 per minute")
    print(f"backend {store.engine.dialect.name}; problems {store.count('problems'):,}")
    with serving(store, config) as base:
        _pages(base, token, args.pages)
        _posts(base, store, token, args.posts, args.threads)


if __name__ == "__main__":
    main()
