"""The parameters of the problem analyses: the problem filters, cells and weights, each
analysis's own.

Declared once with :func:`citygrid.params.param`; the CLI renders them as
options, the web as query parameters. This module stays light (no pandas)
so the CLI can build its options from it without slowing start-up. The filters are
:class:`~citygrid.services.problems.filters.ProblemFilters`, shared with the map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from citygrid.errors import BadInput
from citygrid.params import param
from citygrid.services.problems.filters import ProblemFilters

__all__ = [
    "WEIGHT_BY",
    "CellParams",
    "CellsSpec",
    "DensityParams",
    "EmergingParams",
    "HotSpotParams",
    "ProblemFilters",
    "WeightsSpec",
    "parse_cells",
    "parse_weights",
]

WEIGHT_BY = ("count", "deduction")
"""What a problem adds to its cell: 1, or its catalogue item's deduction weight."""

_CELLS = re.compile(r"^(grids)$|^(fishnet|hex)(?::(\d+(?:\.\d+)?))?$|^(h3):(\d+)$")
_WEIGHTS = re.compile(r"^(queen|rook)$|^(distance):(\d+(?:\.\d+)?)$|^(knn):(\d+)$")


@dataclass(frozen=True)
class CellsSpec:
    """Which cells to count in: ``grids``, ``fishnet``/``hex`` (size in metres,
    ``None`` for the default) or ``h3`` (resolution)."""

    kind: str
    size: float | None = None

    def __str__(self) -> str:
        return self.kind if self.size is None else f"{self.kind}:{self.size:g}"


@dataclass(frozen=True)
class WeightsSpec:
    """Which neighbours a cell has.

    Attributes
    ----------
    kind
        ``queen`` (sharing an edge or a corner), ``rook`` (sharing an edge),
        ``distance`` (centroids within ``value`` metres) or ``knn`` (the
        ``value`` nearest centroids).
    value
        Metres for ``distance``, a count for ``knn``, ``None`` otherwise.
    """

    kind: str
    value: float | None = None

    def __str__(self) -> str:
        if self.value is None:
            return self.kind
        return f"{self.kind}:{self.value:g}"


def parse_cells(text: str) -> CellsSpec:
    """Parse ``grids``, ``fishnet[:SIZE_M]``, ``hex[:SIZE_M]`` or ``h3:RES``.

    Raises
    ------
    BadInput
        Anything else, or a size that is not positive.
    """
    match = _CELLS.match(text.strip().lower())
    if match is None:
        raise BadInput(
            "Cells {text!r} are not understood; give grids, fishnet:SIZE_M (e.g. fishnet:250), "
            "hex:SIZE_M or h3:RES (e.g. h3:9).",
            text=text,
            param="cells",
        )
    if match.group(1):
        return CellsSpec("grids")
    if match.group(2):
        size = float(match.group(3)) if match.group(3) else None
        if size is not None and size <= 0:
            raise BadInput(
                "The cell size {size} m is not a positive number of metres; give one such as 250.",
                size=size,
                param="cells",
            )
        return CellsSpec(match.group(2), size)
    return CellsSpec("h3", float(match.group(5)))


def parse_weights(text: str) -> WeightsSpec:
    """Parse ``queen``, ``rook``, ``distance:METRES`` or ``knn:K``.

    Raises
    ------
    BadInput
        Anything else, or a distance or K that is not positive.
    """
    match = _WEIGHTS.match(text.strip().lower())
    if match is None:
        raise BadInput(
            "Weights {text!r} are not understood; give queen, rook, distance:METRES "
            "(e.g. distance:500) or knn:K (e.g. knn:8).",
            text=text,
            param="weights",
        )
    if match.group(1):
        return WeightsSpec(match.group(1))
    if match.group(2):
        value = float(match.group(3))
        if value <= 0:
            raise BadInput(
                "The distance band must be more than 0 m; give one such as distance:500.",
                param="weights",
            )
        return WeightsSpec("distance", value)
    k = int(match.group(5))
    if k < 1:
        raise BadInput("knn needs at least 1 neighbour; give one such as knn:8.", param="weights")
    return WeightsSpec("knn", float(k))


def _cells_text(text: str) -> str:
    return str(parse_cells(text))


def _weights_text(text: str) -> str:
    return str(parse_weights(text))


@dataclass(frozen=True)
class CellParams(ProblemFilters):
    """Filters, cells and weights of the cell analyses (hot spots, emerging hot spots)."""

    cells: str | None = param(
        "str",
        "单元",
        "Cells",
        "grids, fishnet:SIZE_M, hex:SIZE_M or h3:RES (default: fishnet sized from the data).",
        parser=_cells_text,
    )
    weights: str | None = param(
        "str",
        "空间权重",
        "Weights",
        "queen, rook, distance:METRES or knn:K (default: distance band chosen from the data).",
        parser=_weights_text,
    )
    weight_by: str = param(
        "str",
        "计数方式",
        "Weight by",
        "What a problem adds to its cell: 1, or its catalogue deduction weight.",
        default="count",
        choices=WEIGHT_BY,
    )
    fdr: bool = param(
        "bool",
        "错误发现率校正",
        "FDR correction",
        "Bin on p-values corrected for the false discovery rate (each month for emerging hot "
        "spots).",
        default=True,
    )

    def cells_spec(self) -> CellsSpec | None:
        """The cells asked for, ``None`` for the default."""
        return parse_cells(self.cells) if self.cells else None

    def weights_spec(self) -> WeightsSpec | None:
        """The weights asked for, ``None`` for the default."""
        return parse_weights(self.weights) if self.weights else None


@dataclass(frozen=True)
class HotSpotParams(CellParams):
    """The parameters of ``hotspots`` (Getis-Ord Gi* with FDR)."""

    name: ClassVar[str] = "hotspots"

    permutations: int = param(
        "int",
        "置换次数",
        "Permutations",
        "Conditional permutations for pseudo p-values (e.g. 999).",
        default=0,
        minimum=0,
        maximum=99_999,
    )
    seed: int | None = param("int", "随机种子", "Seed", "Seed of the permutations.", minimum=0)


@dataclass(frozen=True)
class EmergingParams(CellParams):
    """The parameters of ``emerging`` (Gi* per month and the Mann-Kendall trend)."""

    name: ClassVar[str] = "emerging"

    time_window: int = param(
        "int",
        "时间窗口",
        "Time window",
        "Also count the neighbours of the K months before (space-time cube, as ArcGIS).",
        default=0,
        unit="months",
        minimum=0,
        maximum=120,
    )
    trend_alpha: float = param(
        "float",
        "趋势显著性水平",
        "Trend significance",
        "Significance level of the Mann-Kendall trend.",
        default=0.05,
        minimum=0.001,
        maximum=0.5,
    )


@dataclass(frozen=True)
class DensityParams(ProblemFilters):
    """The parameters of ``density`` (quartic kernel density)."""

    name: ClassVar[str] = "density"

    bandwidth_m: float | None = param(
        "float",
        "带宽",
        "Bandwidth",
        "Kernel radius (default: chosen from the points' spread).",
        unit="m",
        minimum=1.0,
        flag="--bandwidth",
    )
    cell_size_m: float | None = param(
        "float",
        "栅格大小",
        "Raster cell size",
        "Raster cell (default: a tenth of the bandwidth).",
        unit="m",
        minimum=1.0,
        flag="--cell-size",
    )
