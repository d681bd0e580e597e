"""Declarations of the coverage-gap analysis layers (computed, not stored).

One layer per finding of :func:`citygrid.services.coverage.analysis.analyse_coverage`
(uncovered land, slivers, overlaps, cells outside the jurisdiction, invalid
tiling edges, features nobody answers for, features nobody looked at, blind
spots), the per-sub-district summary and the proposed fixes of
:func:`citygrid.services.coverage.proposals.propose_fixes`. Areas are in square
metres and lengths in metres, measured in the city's metric CRS; geometries
are in EPSG:4326.
"""

from __future__ import annotations

import citygrid.layers.base_layers  # noqa: F401  (the responsible layers are declared there)
from citygrid.layers.registry import (
    Choice,
    Field,
    GeometryType,
    Layer,
    choice_categories,
    register,
    responsible_layers,
)

FEATURE_LAYERS = tuple(Choice(lyr.name, lyr.zh, lyr.en) for lyr in responsible_layers())
"""The layers a finding about a feature names: the registry's responsible layers."""

UNASSIGNED_REASONS = (
    Choice("no_unit", "无责任单位", "no responsible unit"),
    Choice("unknown_unit", "责任单位不存在", "unknown responsible unit"),
    Choice("no_head", "无责任人", "no head or grid manager"),
    Choice("unknown_head", "责任人不存在", "unknown head or grid manager"),
    Choice("outside_cells", "不在任何网格内", "outside every grid cell"),
)

PROPOSAL_ACTIONS = (
    Choice("add_area", "并入网格", "add the area to the cell"),
    Choice("remove_area", "从网格切除", "cut the area from the cell"),
    Choice("set_field", "指定责任", "set the responsible unit or head"),
)

UNASSIGNED_COLOURS = {
    "no_unit": "#d7301f",
    "unknown_unit": "#fc8d59",
    "no_head": "#7a0177",
    "unknown_head": "#f768a1",
    "outside_cells": "#525252",
}

PROPOSAL_COLOURS = {"add_area": "#33a02c", "remove_area": "#e31a1c", "set_field": "#1f78b4"}


def _id(prefix_zh: str) -> Field:
    return Field("id", "str", f"{prefix_zh}编号", "id", required=True)


def _subdistrict() -> Field:
    return Field("subdistrict_code", "str", "所属镇街", "sub-district", references="jurisdictions")


def _feature() -> tuple[Field, ...]:
    return (
        Field("layer", "str", "图层", "layer", required=True, choices=FEATURE_LAYERS),
        Field("feature_code", "str", "要素编码", "feature code", required=True),
        Field("name", "str", "名称", "name"),
    )


_AREA_FIELDS = (
    Field("area_m2", "float", "面积(平方米)", "area (m²)"),
    Field("width_m", "float", "最大宽度(米)", "widest width (m)"),
    _subdistrict(),
)


def _analysis(
    name: str,
    zh: str,
    en: str,
    geometry_type: GeometryType | None,
    fields: tuple[Field, ...],
    style: dict[str, object],
    popup: tuple[str, ...],
    key: str | None = "id",
) -> Layer:
    return register(
        Layer(
            name,
            zh,
            en,
            geometry_type,
            fields,
            key=key,
            style=style,
            popup=popup,
            editable=False,
            stored=False,
            group="analysis",
        )
    )


GAP_UNCOVERED = _analysis(
    "gap_uncovered",
    "无网格覆盖区域",
    "Uncovered land",
    "Polygon",
    (_id("空白区"), *_AREA_FIELDS),
    {"color": "#e31a1c", "weight": 1, "fillColor": "#fb9a99", "fillOpacity": 0.6},
    ("id", "area_m2", "width_m", "subdistrict_code"),
)

GAP_SLIVERS = _analysis(
    "gap_slivers",
    "网格间细缝",
    "Slivers between cells",
    "Polygon",
    (_id("细缝"), *_AREA_FIELDS),
    {"color": "#ff7f00", "weight": 2, "fillColor": "#fdbf6f", "fillOpacity": 0.8},
    ("id", "area_m2", "width_m", "subdistrict_code"),
)

GAP_OVERLAPS = _analysis(
    "gap_overlaps",
    "网格重叠",
    "Overlapping cells",
    "MultiPolygon",
    (
        _id("重叠"),
        Field("code_a", "str", "网格A", "cell A", required=True, references="grids"),
        Field("code_b", "str", "网格B", "cell B", required=True, references="grids"),
        Field("area_m2", "float", "重叠面积(平方米)", "shared area (m²)"),
        Field("share_a", "float", "占网格A比例", "share of cell A"),
        Field("share_b", "float", "占网格B比例", "share of cell B"),
        _subdistrict(),
    ),
    {"color": "#6a3d9a", "weight": 1, "fillColor": "#cab2d6", "fillOpacity": 0.7},
    ("id", "code_a", "code_b", "area_m2"),
)

GAP_OUTSIDE = _analysis(
    "gap_outside",
    "超出辖区的网格",
    "Cells reaching outside the jurisdiction",
    "MultiPolygon",
    (
        _id("越界"),
        Field("feature_code", "str", "网格编码", "grid code", required=True, references="grids"),
        Field("area_m2", "float", "辖区外面积(平方米)", "area outside (m²)"),
        Field("share", "float", "占网格比例", "share of the cell"),
        _subdistrict(),
    ),
    {"color": "#b15928", "weight": 1, "fillColor": "#ffff99", "fillOpacity": 0.6},
    ("id", "feature_code", "area_m2", "share"),
)

GAP_INVALID_EDGES = _analysis(
    "gap_invalid_edges",
    "网格边界不吻合",
    "Invalid tiling edges",
    "MultiLineString",
    (
        _id("边界"),
        Field("feature_code", "str", "网格编码", "grid code", required=True, references="grids"),
        Field("length_m", "float", "长度(米)", "length (m)"),
        _subdistrict(),
    ),
    {"color": "#e31a1c", "weight": 3},
    ("id", "feature_code", "length_m"),
)

GAP_UNASSIGNED = _analysis(
    "gap_unassigned",
    "无人负责",
    "No one responsible",
    "Geometry",
    (
        _id("无人负责"),
        *_feature(),
        Field("reason", "str", "原因", "reason", required=True, choices=UNASSIGNED_REASONS),
        Field("field", "str", "字段", "field"),
        Field("value", "str", "当前值", "current value"),
        Field("outside_m", "float", "网格外长度(米)", "length outside cells (m)"),
        Field("version", "int", "版本", "version"),
        _subdistrict(),
    ),
    {
        "color": "#d7301f",
        "weight": 3,
        "radius": 6,
        "fillOpacity": 0.8,
        "categories": choice_categories("reason", UNASSIGNED_REASONS, UNASSIGNED_COLOURS),
    },
    ("id", "layer", "feature_code", "name", "reason"),
)

GAP_STALE = _analysis(
    "gap_stale",
    "长期未检查",
    "Not looked at",
    "Geometry",
    (
        _id("未检查"),
        *_feature(),
        Field("unit_code", "str", "责任单位", "responsible unit", references="units"),
        Field("head_code", "str", "责任人", "head", references="people"),
        Field("last_inspected_at", "datetime", "最近检查时间", "last inspected at"),
        Field("days_since", "int", "距今天数", "days since"),
        _subdistrict(),
    ),
    {"color": "#fd8d3c", "weight": 3, "radius": 5, "fillOpacity": 0.8},
    ("id", "layer", "feature_code", "name", "last_inspected_at", "days_since"),
)

GAP_BLIND_SPOTS = _analysis(
    "gap_blind_spots",
    "盲区",
    "Blind spots",
    "Polygon",
    (
        _id("盲区"),
        Field("problems", "int", "问题数", "problems"),
        Field("center_x", "float", "中心经度", "centre longitude"),
        Field("center_y", "float", "中心纬度", "centre latitude"),
        Field("nearest_point_code", "str", "最近点位", "nearest point", references="points"),
        Field("nearest_point_m", "float", "距最近点位(米)", "distance to nearest point (m)"),
        _subdistrict(),
    ),
    {"color": "#800026", "weight": 2, "fillColor": "#fc4e2a", "fillOpacity": 0.5},
    ("id", "problems", "nearest_point_code", "nearest_point_m"),
)

GAP_SUMMARY = _analysis(
    "gap_summary",
    "覆盖情况汇总",
    "Coverage summary",
    "MultiPolygon",
    (
        Field("code", "str", "镇街代码", "sub-district code"),
        Field("name", "str", "镇街名称", "sub-district"),
        Field("area_m2", "float", "面积(平方米)", "area (m²)"),
        Field("covered_m2", "float", "网格覆盖面积(平方米)", "covered area (m²)"),
        Field("covered_share", "float", "覆盖率", "share covered"),
        Field("gaps", "int", "空白区", "gaps"),
        Field("gap_area_m2", "float", "空白面积(平方米)", "gap area (m²)"),
        Field("slivers", "int", "细缝", "slivers"),
        Field("overlaps", "int", "重叠", "overlaps"),
        Field("overlap_area_m2", "float", "重叠面积(平方米)", "overlap area (m²)"),
        Field("outside", "int", "越界网格", "cells outside"),
        Field("invalid_edges", "int", "边界不吻合", "invalid edges"),
        Field("unassigned", "int", "无人负责", "no one responsible"),
        Field("stale", "int", "长期未检查", "not looked at"),
        Field("blind_spots", "int", "盲区", "blind spots"),
    ),
    {"color": "#252525", "weight": 2, "fillColor": "#969696", "fillOpacity": 0.1},
    ("code", "name", "covered_share", "gaps", "unassigned", "blind_spots"),
    key="code",
)

GAP_PROPOSALS = _analysis(
    "gap_proposals",
    "整改建议",
    "Proposed fixes",
    "Geometry",
    (
        _id("建议"),
        Field("action", "str", "操作", "action", required=True, choices=PROPOSAL_ACTIONS),
        *_feature()[:2],
        Field("field", "str", "字段", "field"),
        Field("before", "str", "原值", "before"),
        Field("after", "str", "建议值", "after"),
        Field("version", "int", "要素版本", "feature version", required=True),
        Field("area_m2", "float", "面积(平方米)", "area (m²)"),
        Field("rule", "str", "依据", "rule"),
        Field("finding_id", "str", "对应问题", "finding"),
    ),
    {
        "color": "#33a02c",
        "weight": 2,
        "fillColor": "#b2df8a",
        "fillOpacity": 0.6,
        "radius": 6,
        "categories": choice_categories("action", PROPOSAL_ACTIONS, PROPOSAL_COLOURS),
    },
    ("id", "action", "layer", "feature_code", "field", "after", "rule"),
)

FINDING_LAYERS = (
    GAP_UNCOVERED,
    GAP_SLIVERS,
    GAP_OVERLAPS,
    GAP_OUTSIDE,
    GAP_INVALID_EDGES,
    GAP_UNASSIGNED,
    GAP_STALE,
    GAP_BLIND_SPOTS,
)
"""The finding layers, in the order the analysis reports them."""
