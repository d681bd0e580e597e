"""The parameters of the coverage analysis (``citygrid analyse gaps``).

Light (no pandas) so the CLI can build its options from it quickly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from citygrid.params import Params, param


@dataclass(frozen=True)
class CoverageParams(Params):
    """Thresholds of the coverage analysis.

    ``as_of`` left out means the day the command or request started
    (:attr:`CityContext.now <citygrid.services.context.CityContext.now>`).
    """

    name: ClassVar[str] = "gaps"

    min_area_m2: float = param(
        "float",
        "最小面积",
        "Minimum area",
        "Uncovered pieces smaller than this are slivers.",
        default=10.0,
        unit="m²",
        minimum=0.0,
        flag="--min-area",
    )
    min_width_m: float = param(
        "float",
        "最小宽度",
        "Minimum width",
        "Uncovered pieces narrower than this are slivers, and gaps this narrow make edges invalid.",
        default=1.0,
        unit="m",
        minimum=0.0,
        flag="--min-width",
    )
    stale_days: int = param(
        "int",
        "巡查期限",
        "Days without inspection",
        "Points, streets and alleys not inspected in this many days are reported.",
        default=30,
        unit="days",
        minimum=1,
    )
    as_of: date | None = param(
        "date", "截止日", "As of", "Day to look back from, YYYY-MM-DD (default: today)."
    )
    problem_days: int = param(
        "int",
        "问题回溯天数",
        "Problem days",
        "Blind spots are sought among the problems of this many days.",
        default=90,
        unit="days",
        minimum=1,
    )
    cluster_k: int = param(
        "int",
        "聚集问题数",
        "Cluster size",
        "Problems a cluster needs within the cluster radius.",
        default=5,
        minimum=1,
    )
    cluster_r_m: float = param(
        "float",
        "聚集半径",
        "Cluster radius",
        "Radius of a problem cluster.",
        default=50.0,
        unit="m",
        minimum=0.01,
        flag="--cluster-r",
    )
    far_m: float = param(
        "float",
        "盲区距离",
        "Blind-spot distance",
        "A cluster this far from every point is a blind spot.",
        default=100.0,
        unit="m",
        minimum=0.0,
    )
    outside_tolerance_m: float = param(
        "float",
        "出界容差",
        "Outside tolerance",
        "A street or alley is outside the cells when more than this length of it is.",
        default=1.0,
        unit="m",
        minimum=0.0,
    )
