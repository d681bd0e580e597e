"""Benchmark: the cycle's reports on the city-size demo (1,000,000 problems over 24 months).

Times, each the best of ``--repeat`` runs, against a plain pandas script doing
the same arithmetic on the same rows read the same way (one SQL query of the
same columns, with the same filter, through ``pandas.read_sql``):

- a month's ranking (月评排名) at every level, with the change from the month
  before (aim: under 1 s each);
- the performance figures (按期结案率, 返工率, 按时立案率) for a year, per unit,
  sub-district and cell;
- the ledger (台账) of the sub-district with most open problems, and writing it
  to XLSX.

The store is the ``city`` demo (``citygrid demo --size city``) plus an audit
log the demo does not make: a ``transition:register`` entry for every
registered problem, 0.5 to 30 working-clock hours after its report, and a
``transition:rework`` for 5 % of the closed ones. It is built once into
``--db`` (default ``~/.cache/citygrid/bench_cycle.db``) and reused.

    python benchmarks/bench_cycle.py
    python benchmarks/bench_cycle.py --db /tmp/cycle.db --repeat 5
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.cycle.ledger import ledger, overdue_days
from citygrid.services.cycle.performance import performance
from citygrid.services.cycle.periods import Month
from citygrid.services.cycle.ranking import LEVELS, monthly_ranking
from citygrid.services.cycle.reports import write_ledger

DEFAULT_DB = Path.home() / ".cache" / "citygrid" / "bench_cycle.db"


def build(path: Path, seed: int) -> None:
    """The city demo and its synthetic audit log, into a new SQLite file at ``path``."""
    from citygrid.services.demo import load_demo

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".building")
    for leftover in partial.parent.glob(partial.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    store = Store.open(f"sqlite:///{partial}", check_schema=False)
    store.init()
    load_demo(store, "city", seed, actor="bench")
    print(f"demo loaded in {time.perf_counter() - started:.0f} s")
    problems = store.read(
        "problems", columns=["code", "status", "reported_at", "closed_at"], order_by=None
    )
    rng = np.random.default_rng(seed)
    registered = problems[problems["status"] != "reported"]
    hours = rng.uniform(0.5, 30, len(registered))
    register = pd.DataFrame(
        {
            "at": registered["reported_at"] + pd.to_timedelta(hours, unit="h"),
            "feature_code": registered["code"].to_numpy(),
            "action": "transition:register",
        }
    )
    closed = problems[(problems["status"] == "closed") & problems["closed_at"].notna()]
    sent_back = closed.sample(frac=0.05, random_state=seed)
    rework = pd.DataFrame(
        {
            "at": sent_back["reported_at"]
            + (sent_back["closed_at"] - sent_back["reported_at"]) / 2,
            "feature_code": sent_back["code"].to_numpy(),
            "action": "transition:rework",
        }
    )
    audit = pd.concat([register, rework], ignore_index=True).assign(actor="bench", layer="problems")
    with store.transaction() as conn, store.bulk_load("audit", conn):
        store.write("audit", audit, conn=conn)
    store.close()
    for suffix in ("", "-wal", "-shm"):
        source = partial.with_name(partial.name + suffix)
        if source.exists():
            os.replace(source, path.with_name(path.name + suffix))
    print(
        f"audit: {len(register):,} registrations, {len(rework):,} reworks; "
        f"built in {time.perf_counter() - started:.0f} s"
    )


def best(run: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def report(label: str, ours: float, baseline: float) -> None:
    print(
        f"{label:<34}{ours * 1000:>10.0f}{baseline * 1000:>12.0f}{ours / baseline:>8.2f}",
        flush=True,
    )


# -- the plain pandas baselines ----------------------------------------------------------


def _read(engine: sa.Engine, sql: str, **params: Any) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.text(sql), conn, params=params)


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


def pandas_ranking(ctx: CityContext, engine: sa.Engine, month: Month, level: str) -> pd.DataFrame:
    """The same ranking, as one would write it with pandas alone."""
    field, layer = LEVELS[level]
    weights = dict(ctx.config.ranking_weights)
    standards = _read(engine, "SELECT catalogue_code, deduction FROM standards ORDER BY fid")
    catalogue = _read(engine, "SELECT code, weight FROM catalogue")
    given = standards.dropna().drop_duplicates("catalogue_code").set_index("catalogue_code")
    deduction = given["deduction"].combine_first(catalogue.set_index("code")["weight"].dropna())
    names = _read(engine, f"SELECT code, name FROM {layer}").set_index("code")["name"]

    def scores(m: Month) -> pd.DataFrame:
        problems = _dates(
            _read(
                engine,
                f"SELECT code, {field}, catalogue_code, status, deadline, closed_at, recurrence "
                "FROM problems WHERE reported_at >= :start AND reported_at < :stop",
                start=m.start,
                stop=m.stop,
            ),
            "deadline",
            "closed_at",
        )
        reworked = _read(
            engine,
            "SELECT DISTINCT a.feature_code FROM audit a JOIN problems p ON p.code = "
            "a.feature_code WHERE a.layer = 'problems' AND a.action = 'transition:rework' "
            "AND a.at >= :start AND p.reported_at >= :start AND p.reported_at < :stop",
            start=m.start,
            stop=m.stop,
        )["feature_code"]
        closed = problems["status"] == "closed"
        late = np.where(
            closed,
            problems["closed_at"] > problems["deadline"],
            problems["deadline"] < pd.Timestamp(ctx.now),
        )
        penalty = (
            problems["catalogue_code"].map(deduction).fillna(0)
            + weights["recurrence"] * (problems["recurrence"].fillna(0) > 0)
            + weights["overdue"] * (late & problems["deadline"].notna())
            + weights["rework"] * problems["code"].isin(reworked)
        )
        total = penalty.groupby(problems[field]).sum().reindex(names.index, fill_value=0)
        out = pd.DataFrame({"score": (weights["base"] - total).round(4)})
        out["rank"] = out["score"].rank(method="min", ascending=False)
        return out

    now, before = scores(month), scores(month.previous())
    now["rank_change"] = before["rank"] - now["rank"]
    now["score_change"] = now["score"] - before["score"]
    now["name"] = names
    return now.sort_values("rank")


def pandas_performance(
    ctx: CityContext, engine: sa.Engine, since: date, until: date, field: str
) -> pd.DataFrame:
    """The same figures with pandas alone."""
    start = pd.Timestamp(since)
    stop = pd.Timestamp(until) + pd.Timedelta(days=1)
    now = pd.Timestamp(ctx.now)
    problems = _dates(
        _read(
            engine,
            f"SELECT code, {field}, status, deadline, closed_at FROM problems WHERE "
            "(deadline >= :start AND deadline < :stop) OR (closed_at >= :start AND closed_at < "
            ":stop)",
            start=start.to_pydatetime(),
            stop=stop.to_pydatetime(),
        ),
        "deadline",
        "closed_at",
    )
    reworked = _read(
        engine,
        "SELECT DISTINCT feature_code FROM audit WHERE layer = 'problems' AND action = "
        "'transition:rework' AND at < :stop",
        stop=stop.to_pydatetime(),
    )["feature_code"]
    is_closed = (problems["status"] == "closed") & problems["closed_at"].notna()
    in_period = (problems["deadline"] >= start) & (problems["deadline"] < stop)
    due = in_period & (is_closed | (problems["deadline"] < now))
    closed = is_closed & (problems["closed_at"] >= start) & (problems["closed_at"] < stop)
    problems["due"] = due
    problems["closed_on_time"] = due & is_closed & (problems["closed_at"] <= problems["deadline"])
    problems["closed"] = closed
    problems["reworked"] = closed & problems["code"].isin(reworked)
    registrations = _dates(
        _read(
            engine,
            f"SELECT a.at, p.reported_at, p.{field} FROM audit a JOIN problems p ON p.code = "
            "a.feature_code WHERE a.layer = 'problems' AND a.action = 'transition:register' "
            "AND a.at >= :start AND a.at < :stop",
            start=start.to_pydatetime(),
            stop=stop.to_pydatetime(),
        ),
        "at",
        "reported_at",
    )
    hours = ctx.calendar.working_hours_between_array(
        registrations["reported_at"].to_numpy(), registrations["at"].to_numpy()
    )
    registrations["registered"] = True
    registrations["registered_on_time"] = hours <= ctx.config.registration_hours
    counts = pd.concat(
        [
            problems.groupby(field)[["due", "closed_on_time", "closed", "reworked"]].sum(),
            registrations.groupby(field)[["registered", "registered_on_time"]].sum(),
        ],
        axis=1,
    ).fillna(0)
    counts["on_time_closure_rate"] = counts["closed_on_time"] / counts["due"]
    counts["rework_rate"] = counts["reworked"] / counts["closed"]
    counts["on_time_registration_rate"] = counts["registered_on_time"] / counts["registered"]
    return counts


def pandas_ledger(ctx: CityContext, engine: sa.Engine, subdistrict: str) -> pd.DataFrame:
    """The same ledger rows with pandas alone (places by point, else cell name)."""
    import shapely

    problems = _dates(
        _read(
            engine,
            "SELECT code, catalogue_code, description, status, reported_at, deadline, "
            "unit_code, head_code, point_code, street_code, alley_code, grid_code, "
            "subdistrict_code, geom FROM problems WHERE subdistrict_code = :code AND status "
            "!= 'closed'",
            code=subdistrict,
        ),
        "reported_at",
        "deadline",
    )
    geometry = shapely.from_wkb(problems.pop("geom").to_numpy())
    place = pd.Series(None, index=problems.index, dtype=object)
    for field, layer in (
        ("point_code", "points"),
        ("street_code", "streets"),
        ("alley_code", "alleys"),
        ("grid_code", "grids"),
        ("subdistrict_code", "jurisdictions"),
    ):
        names = _read(engine, f"SELECT code, name FROM {layer}").set_index("code")["name"]
        place = place.fillna(problems[field].map(names))
    out = problems[["code", "description", "reported_at", "deadline", "status"]].copy()
    out["place"] = place
    for field, layer in (
        ("catalogue_code", "catalogue"),
        ("unit_code", "units"),
        ("head_code", "people"),
    ):
        names = _read(engine, f"SELECT code, name FROM {layer}").set_index("code")["name"]
        out[field] = problems[field].map(names)
    out["overdue_days"] = overdue_days(ctx, problems["deadline"])
    out["geometry"] = geometry
    return out.sort_values(["overdue_days", "deadline"], ascending=[False, True])


# -- the run ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the cached store")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--build-only", action="store_true", help="build the store and stop")
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.seed)
    if args.build_only:
        return
    url = f"sqlite:///{args.db}"
    store = Store.open(url)
    engine = sa.create_engine(url)
    last = pd.Timestamp(
        pd.read_sql("SELECT MAX(reported_at) AS last FROM problems", engine)["last"][0]
    )
    ctx = CityContext(store, Config(database_url=url), now=last.to_pydatetime())
    print(
        f"store: {store.count('problems'):,} problems, {store.count('audit'):,} audit entries; "
        f"now = {ctx.now:%Y-%m-%d}; load: {os.getloadavg()[0]:.2f} (1 min)"
    )
    month = Month(last.year, last.month).previous()
    print(f"\n{'':<34}{'ours ms':>10}{'pandas ms':>12}{'ratio':>8}")
    for level in LEVELS:
        ours = best(lambda level=level: monthly_ranking(ctx, month, level), args.repeat)
        theirs = best(lambda level=level: pandas_ranking(ctx, engine, month, level), args.repeat)
        report(f"ranking {month} by {level}", ours, theirs)
    first = month
    for _ in range(11):
        first = first.previous()
    since, until = first.start.date(), (month.stop - timedelta(days=1)).date()
    for by, field in (
        ("unit", "unit_code"),
        ("subdistrict", "subdistrict_code"),
        ("cell", "grid_code"),
    ):
        ours = best(lambda by=by: performance(ctx, since, until, by), args.repeat)
        theirs = best(
            lambda field=field: pandas_performance(ctx, engine, since, until, field), args.repeat
        )
        report(f"figures {since:%Y-%m}..{until:%Y-%m} by {by}", ours, theirs)
    busiest = pd.read_sql(
        "SELECT subdistrict_code, COUNT(*) AS n FROM problems WHERE status != 'closed' "
        "GROUP BY subdistrict_code ORDER BY n DESC LIMIT 1",
        engine,
    ).iloc[0]
    code = str(busiest["subdistrict_code"])
    ours = best(lambda: ledger(ctx, subdistrict=code), args.repeat)
    theirs = best(lambda: pandas_ledger(ctx, engine, code), args.repeat)
    report(f"ledger of {code} ({busiest['n']:,} open)", ours, theirs)
    found = ledger(ctx, subdistrict=code)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "ledger.xlsx"
        ours = best(lambda: write_ledger(ctx, found, target, overwrite=True), args.repeat)
        frame = pd.DataFrame(found.frame.drop(columns="geometry"))
        theirs = best(lambda: frame.to_excel(Path(folder) / "plain.xlsx", index=False), args.repeat)
        report("ledger to XLSX", ours, theirs)
    store.close()
    engine.dispose()


if __name__ == "__main__":
    main()
