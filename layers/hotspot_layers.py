"""Declarations of the hot-spot analysis layers: computed, not stored, not editable.

- ``hotspots``: Getis-Ord Gi* per cell (see :mod:`citygrid.services.hotspots.gistar`);
- ``emerging_hotspots``: the trend pattern of each cell over months (see
  :mod:`citygrid.services.hotspots.emerging`);
- ``density_contours``: filled contour bands of the kernel density surface.

Besides Leaflet path options, each style carries ``categories``: the field
the map and the styled exports colour by and a colour (with zh/en labels)
per value, the ArcGIS hot-spot palette (red hot, blue cold). Emerging
patterns are darker the more a cell has been hot (or cold): intensifying,
persistent, diminishing, consecutive, sporadic, new.
"""

from __future__ import annotations

from citygrid.layers.registry import Choice, Field, Layer, choice_categories, register

GI_BINS = (
    Choice("3", "热点 (99% 置信度)", "Hot spot, 99% confidence"),
    Choice("2", "热点 (95% 置信度)", "Hot spot, 95% confidence"),
    Choice("1", "热点 (90% 置信度)", "Hot spot, 90% confidence"),
    Choice("0", "不显著", "Not significant"),
    Choice("-1", "冷点 (90% 置信度)", "Cold spot, 90% confidence"),
    Choice("-2", "冷点 (95% 置信度)", "Cold spot, 95% confidence"),
    Choice("-3", "冷点 (99% 置信度)", "Cold spot, 99% confidence"),
)

GI_BIN_COLOURS = {
    "3": "#d62f27",
    "2": "#ed7551",
    "1": "#fab984",
    "0": "#f7f7f2",
    "-1": "#c0ccbe",
    "-2": "#849eba",
    "-3": "#4575b5",
}

PATTERNS = (
    Choice("new_hot", "新增热点", "New hot spot"),
    Choice("consecutive_hot", "连续热点", "Consecutive hot spot"),
    Choice("intensifying_hot", "加强热点", "Intensifying hot spot"),
    Choice("persistent_hot", "持续热点", "Persistent hot spot"),
    Choice("diminishing_hot", "减弱热点", "Diminishing hot spot"),
    Choice("sporadic_hot", "零星热点", "Sporadic hot spot"),
    Choice("oscillating_hot", "振荡热点", "Oscillating hot spot"),
    Choice("historical_hot", "历史热点", "Historical hot spot"),
    Choice("new_cold", "新增冷点", "New cold spot"),
    Choice("consecutive_cold", "连续冷点", "Consecutive cold spot"),
    Choice("intensifying_cold", "加强冷点", "Intensifying cold spot"),
    Choice("persistent_cold", "持续冷点", "Persistent cold spot"),
    Choice("diminishing_cold", "减弱冷点", "Diminishing cold spot"),
    Choice("sporadic_cold", "零星冷点", "Sporadic cold spot"),
    Choice("oscillating_cold", "振荡冷点", "Oscillating cold spot"),
    Choice("historical_cold", "历史冷点", "Historical cold spot"),
    Choice("none", "无显著模式", "No pattern detected"),
)

PATTERN_COLOURS = {
    "new_hot": "#fde0dd",
    "consecutive_hot": "#fc9272",
    "intensifying_hot": "#a50f15",
    "persistent_hot": "#de2d26",
    "diminishing_hot": "#fb6a4a",
    "sporadic_hot": "#fcbba1",
    "oscillating_hot": "#f768a1",
    "historical_hot": "#bdbdbd",
    "new_cold": "#deebf7",
    "consecutive_cold": "#9ecae1",
    "intensifying_cold": "#08519c",
    "persistent_cold": "#3182bd",
    "diminishing_cold": "#6baed6",
    "sporadic_cold": "#c6dbef",
    "oscillating_cold": "#8c6bb1",
    "historical_cold": "#969696",
    "none": "#ffffff",
}

DENSITY_LEVELS = (
    Choice("1", "低", "Low"),
    Choice("2", "较低", "Moderately low"),
    Choice("3", "中", "Medium"),
    Choice("4", "较高", "Moderately high"),
    Choice("5", "高", "High"),
)

DENSITY_COLOURS = {"1": "#ffffb2", "2": "#fecc5c", "3": "#fd8d3c", "4": "#f03b20", "5": "#bd0026"}


def _cell_id() -> Field:
    return Field("cell_id", "str", "单元编号", "cell", required=True)


def _count() -> Field:
    return Field("count", "float", "问题数", "problems", required=True)


def _n_neighbors() -> Field:
    return Field("n_neighbors", "int", "邻居数", "neighbours")


HOTSPOTS = register(
    Layer(
        "hotspots",
        "问题热点 (Gi*)",
        "Problem hot spots (Gi*)",
        "MultiPolygon",
        (
            _cell_id(),
            _count(),
            Field("gi_zscore", "float", "Gi* Z 得分", "Gi* z-score"),
            Field("gi_pvalue", "float", "P 值", "p-value"),
            Field("gi_psim", "float", "置换 P 值", "pseudo p-value"),
            Field("gi_fdr", "float", "FDR 校正 P 值", "FDR-adjusted p-value"),
            Field("gi_bin", "int", "置信度", "confidence level", choices=GI_BINS),
            _n_neighbors(),
        ),
        key="cell_id",
        style={
            "color": "#999999",
            "weight": 0.5,
            "fillColor": GI_BIN_COLOURS["0"],
            "fillOpacity": 0.7,
            "categories": choice_categories("gi_bin", GI_BINS, GI_BIN_COLOURS),
        },
        popup=("cell_id", "count", "gi_zscore", "gi_pvalue", "gi_bin"),
        editable=False,
        stored=False,
        group="analysis",
    )
)

EMERGING_HOTSPOTS = register(
    Layer(
        "emerging_hotspots",
        "时空热点趋势",
        "Emerging hot spots",
        "MultiPolygon",
        (
            _cell_id(),
            Field("pattern", "str", "趋势类型", "pattern", required=True, choices=PATTERNS),
            _count(),
            Field("trend_s", "float", "Mann-Kendall S", "Mann-Kendall S"),
            Field("trend_z", "float", "趋势 Z 值", "trend z"),
            Field("trend_p", "float", "趋势 P 值", "trend p-value"),
            Field("hot_months", "int", "热点月数", "hot months"),
            Field("cold_months", "int", "冷点月数", "cold months"),
            Field("n_months", "int", "月数", "months"),
            Field("last_zscore", "float", "末月 Z 得分", "last month z-score"),
            Field("last_bin", "int", "末月置信度", "last month confidence level", choices=GI_BINS),
            _n_neighbors(),
        ),
        key="cell_id",
        style={
            "color": "#999999",
            "weight": 0.5,
            "fillColor": PATTERN_COLOURS["none"],
            "fillOpacity": 0.7,
            "categories": choice_categories("pattern", PATTERNS, PATTERN_COLOURS),
        },
        popup=("cell_id", "pattern", "count", "trend_z", "trend_p", "hot_months"),
        editable=False,
        stored=False,
        group="analysis",
    )
)

DENSITY_CONTOURS = register(
    Layer(
        "density_contours",
        "问题密度等值面",
        "Problem density contours",
        "MultiPolygon",
        (
            Field("level", "int", "密度等级", "level", required=True, choices=DENSITY_LEVELS),
            Field("density_min", "float", "密度下限(个/平方公里)", "density from (per km²)"),
            Field("density_max", "float", "密度上限(个/平方公里)", "density to (per km²)"),
        ),
        key="level",
        style={
            "color": "#bd0026",
            "weight": 0.5,
            "fillColor": DENSITY_COLOURS["3"],
            "fillOpacity": 0.5,
            "categories": choice_categories("level", DENSITY_LEVELS, DENSITY_COLOURS),
        },
        popup=("level", "density_min", "density_max"),
        editable=False,
        stored=False,
        group="analysis",
    )
)
