"""A test-only computed layer and analysis: problems counted per grid cell.

Registered through the public ``register`` and ``register_analysis`` (in
registries copied for the test, so other tests never see them), it shows
that a new analysis reaches the providers and the web with nothing but
declarations. It really computes: it reads the grids and the problems
from the store and joins them (geopandas ``sjoin``).
"""

from __future__ import annotations

import dataclasses
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest

from citygrid.layers import registry
from citygrid.layers.base_layers import PROBLEM_STATUSES
from citygrid.layers.registry import Field, Layer, register
from citygrid.params import Params, param
from citygrid.services import analysis as analyses
from citygrid.services.analysis import Analysis, AnalysisResult, register_analysis
from citygrid.services.context import CityContext

LAYER = "problem_counts"


@dataclasses.dataclass(frozen=True)
class CountParams(Params):
    """Which problems to count."""

    name = "problem_counts"

    status: str | None = param(
        "str",
        "状态",
        "status",
        "Count only problems of this status.",
        choices=tuple(c.value for c in PROBLEM_STATUSES),
    )
    since: date | None = param(
        "date", "起始日期", "since", "Count only problems reported on or after this day."
    )
    min_count: int = param(
        "int", "最少问题数", "minimum count", "Leave out cells with fewer problems.", 0, minimum=0
    )


class Runs:
    """How many times the analysis ran (to tell a cached answer from a new run)."""

    def __init__(self) -> None:
        self.count = 0


def count_problems(ctx: CityContext, params: CountParams, runs: Runs) -> AnalysisResult:
    """Problems per grid cell (EPSG:4326), cells with at least ``min_count`` of them."""
    runs.count += 1
    cells = ctx.store.read("grids", columns=["code"])
    where = {"status": params.status} if params.status else None
    problems = ctx.store.read("problems", columns=["reported_at"], where=where)
    if params.since is not None:
        problems = problems[problems["reported_at"] >= pd.Timestamp(params.since)]
    joined = gpd.sjoin(problems, cells[["code", "geometry"]], predicate="within")
    counts = joined.groupby("code").size()
    frame = cells[["code", "geometry"]].rename(columns={"code": "cell_code"})
    frame["problems"] = frame["cell_code"].map(counts).fillna(0).astype("int64")
    frame = frame[frame["problems"] >= params.min_count].reset_index(drop=True)
    return AnalysisResult({LAYER: frame}, params, {"cells": "grids"})


COUNT_LAYER = Layer(
    LAYER,
    "问题计数",
    "Problem counts",
    "MultiPolygon",
    (
        Field("cell_code", "str", "网格编码", "grid code", required=True),
        Field("problems", "int", "问题数", "problems"),
    ),
    key="cell_code",
    popup=("cell_code", "problems"),
    editable=False,
    stored=False,
    group="analysis",
)


def install(monkeypatch: pytest.MonkeyPatch) -> Runs:
    """Declare the layer and its analysis for one test; return the run counter."""
    monkeypatch.setattr(registry, "LAYERS", registry.LAYERS.copy())
    monkeypatch.setattr(analyses, "ANALYSES", analyses.ANALYSES.copy())
    runs = Runs()
    register(COUNT_LAYER)
    register_analysis(
        Analysis(
            "problem_counts",
            CountParams,
            (LAYER,),
            lambda ctx, params: count_problems(ctx, params, runs),
        )
    )
    return runs
