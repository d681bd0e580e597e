"""Publishing a month's ranking (月评排名发布): stored once, then read back unchanged.

Rewards and penalties follow the ranking month by month (奖惩逐月兑现), so
the ranking a month was judged by must not move when a problem of that
month is closed late or reported afterwards. :func:`publish_ranking`
computes the month's ranking at every level and writes it to the
internal ``rankings`` layer in one audited transaction;
:func:`~citygrid.services.cycle.ranking.monthly_ranking` then returns the
stored rows for that month. A month is published once: publishing it
again is refused, naming when and by whom it was.
"""

from __future__ import annotations

import pandas as pd

from citygrid.errors import Conflict
from citygrid.services.context import CityContext
from citygrid.services.cycle.periods import Month, parse_month
from citygrid.services.cycle.ranking import computed_rankings
from citygrid.services.cycle.reading import read_columns
from citygrid.services.cycle.workflow import now_stamp


def publish_ranking(ctx: CityContext, month: str | Month) -> dict[str, int]:
    """Store ``month``'s ranking at every level, as computed now.

    Returns
    -------
    dict
        Level -> number of features ranked.

    Raises
    ------
    BadInput
        A bad month, or no problem was reported in it.
    Conflict
        The month was published already.
    """
    found = parse_month(month)
    rankings = computed_rankings(ctx, found)
    at = now_stamp(ctx)
    rows = pd.concat(
        [
            r.frame.assign(month=str(found), level=level, published_at=at, published_by=ctx.actor)
            for level, r in rankings.items()
        ],
        ignore_index=True,
    )
    store = ctx.store
    with store.transaction() as conn:
        earlier = store.read(
            "rankings", where={"month": str(found)}, columns=["published_at"], limit=1, conn=conn
        )
        if not earlier.empty:
            first = earlier.iloc[0]
            raise Conflict(
                "The ranking of {month} was published at {at} already; a published ranking "
                "stays as it was.",
                month=str(found),
                at=pd.Timestamp(first["published_at"]).strftime("%Y-%m-%d %H:%M"),
            )
        store.write(
            "rankings",
            rows,
            actor=ctx.actor,
            reason=f"publish the ranking of {found}",
            conn=conn,
        )
    return {level: len(r.frame) for level, r in rankings.items()}


def published_months(ctx: CityContext) -> list[str]:
    """The months whose ranking was published (``YYYY-MM``), newest first."""
    months = read_columns(ctx.store, "rankings", ["month"])["month"]
    return sorted(set(months), reverse=True)
