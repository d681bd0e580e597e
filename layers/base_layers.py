"""Declarations of the stored layers (see :mod:`citygrid.layers.registry`).

The vocabulary follows ../shared/DOMAIN.md: jurisdictions, responsible
units, people (heads and grid managers), grid cells, streets, alleys,
points, the evaluation catalogue, inspections, problems and the audit log.
"""

from __future__ import annotations

from citygrid.layers.registry import (
    Access,
    Choice,
    Field,
    Layer,
    Responsibility,
    choice_categories,
    register,
)

JURISDICTION_LEVELS = (
    Choice("city", "市", "city"),
    Choice("district", "区", "district"),
    Choice("subdistrict", "镇街", "sub-district"),
    Choice("community", "社区", "community"),
)

UNIT_KINDS = (
    Choice("department", "职能部门", "department"),
    Choice("subdistrict", "镇街", "sub-district"),
    Choice("community", "社区", "community"),
    Choice("enterprise", "企事业单位", "enterprise"),
)

PERSON_ROLES = (
    Choice("grid_manager", "网格员", "grid manager"),
    Choice("grid_leader", "网格长", "grid leader"),
    Choice("street_head", "街长", "street head"),
    Choice("alley_head", "巷长", "alley head"),
    Choice("point_head", "点长", "point head"),
    Choice("inspector", "巡查员", "inspector"),
    Choice("contact", "联系人", "contact person"),
)

GRID_KINDS = (
    Choice("general", "综合网格", "general grid"),
    Choice("special", "专属网格", "special grid"),
)

ROAD_CLASSES = (
    Choice("main", "主干道", "main road"),
    Choice("secondary", "次干道", "secondary road"),
    Choice("branch", "支路", "branch road"),
    Choice("alley", "背街小巷", "back alley"),
)

POINT_TYPES = (
    Choice("residential", "小区", "residential compound"),
    Choice("back_alley", "背街小巷", "back alley"),
    Choice("main_road", "主次干道", "main or secondary road"),
    Choice("community", "社区", "community"),
    Choice("shopping", "商城超市", "shopping centre or supermarket"),
    Choice("market", "农贸市场", "farmers' market"),
    Choice("toilet", "公厕", "public toilet"),
    Choice("station", "车站", "station"),
    Choice("entrance", "出入市路口", "city entrance"),
    Choice("school", "学校周边", "school surroundings"),
    Choice("internet_cafe", "网吧", "internet café"),
    Choice("urban_village", "城中村", "urban village"),
    Choice("small_business", "五小行业", "small business"),
    Choice("park", "公园广场", "park or square"),
)

ASSIGNED_BY = (
    Choice("manual", "人工指定", "by hand"),
    Choice("department", "部门主管", "by its line department"),
    Choice("auto", "自动分配", "automatic"),
)
"""How a feature got its unit: only ``auto`` (or no unit) is open to auto-assign's rules."""

RULE_ASSIGNED = ("auto",)
"""The ``assigned_by`` values auto-assign may overwrite without being asked to."""

CATALOGUE_LEVELS = (
    Choice("section", "版块", "section"),
    Choice("item", "项目", "item"),
    Choice("content", "内容", "content"),
    Choice("standard", "标准", "standard"),
)

CATALOGUE_KINDS = (
    Choice("event", "事件", "event"),
    Choice("component", "部件", "component"),
)

INSPECTION_KINDS = (
    Choice("routine", "日常巡查", "routine"),
    Choice("unannounced", "暗访", "unannounced"),
    Choice("third_party", "第三方测评", "third-party evaluation"),
)

INSPECTION_RESULTS = (
    Choice("clean", "未发现问题", "clean"),
    Choice("problems", "发现问题", "problems found"),
)
"""What an inspection of one place found: nothing (the place is clean) or problems."""

PROBLEM_STATUSES = (
    Choice("reported", "已上报待立案", "reported, to register"),
    Choice("open", "待处置", "open"),
    Choice("dispatched", "已派遣", "dispatched"),
    Choice("rectified", "已整改待核查", "rectified, to verify"),
    Choice("closed", "已结案", "closed"),
    Choice("reopened", "返工", "reopened"),
)
PROBLEM_STATUS_COLOURS = {
    "reported": "#fb9a99",
    "open": "#e31a1c",
    "dispatched": "#ff7f00",
    "rectified": "#ffd92f",
    "closed": "#33a02c",
    "reopened": "#6a3d9a",
}

OPEN_STATUSES = tuple(c.value for c in PROBLEM_STATUSES if c.value != "closed")
"""Statuses of problems still being handled: they follow changes of responsibility and
count as open in workload."""

PROBLEM_SOURCES = (
    Choice("inspection", "日常巡查", "inspection"),
    Choice("unannounced", "暗访", "unannounced visit"),
    Choice("mock_evaluation", "模拟测评", "mock evaluation"),
    Choice("citizen", "市民举报", "citizen report"),
)

ROUTING_RULES = (
    Choice("point", "点位", "point"),
    Choice("street", "街道", "street"),
    Choice("alley", "小巷", "alley"),
    Choice("grid", "网格", "grid cell"),
    Choice("subdistrict", "镇街属地", "sub-district"),
    Choice("outside", "辖区外", "outside"),
    Choice("manual", "人工指定", "by hand"),
)


def _code(zh: str = "编码", en: str = "code") -> Field:
    return Field("code", "str", zh, en, required=True, indexed=True)


def _name(zh: str = "名称", en: str = "name", required: bool = True) -> Field:
    return Field("name", "str", zh, en, required=required)


def _unit_code() -> Field:
    return Field(
        "unit_code", "str", "责任单位", "responsible unit", references="units", indexed=True
    )


def _head_code(zh: str, en: str) -> Field:
    return Field("head_code", "str", zh, en, references="people", indexed=True)


def _assigned_by() -> Field:
    return Field("assigned_by", "str", "分配方式", "assigned by", choices=ASSIGNED_BY)


JURISDICTIONS = register(
    Layer(
        "jurisdictions",
        "辖区",
        "Jurisdictions",
        "MultiPolygon",
        (
            _code("行政区划代码", "administrative code"),
            _name(),
            Field(
                "level",
                "str",
                "层级",
                "level",
                required=True,
                choices=JURISDICTION_LEVELS,
                indexed=True,
            ),
            Field("parent_code", "str", "上级代码", "parent code", references="jurisdictions"),
        ),
        style={"color": "#555555", "weight": 2, "dashArray": "6 4", "fillOpacity": 0.0},
        popup=("code", "name", "level"),
        access=Access(shared=True),
    )
)

UNITS = register(
    Layer(
        "units",
        "责任单位",
        "Responsible units",
        "Point",
        (
            _code("单位编码", "unit code"),
            _name("单位名称", "unit name"),
            Field("kind", "str", "单位类型", "kind", choices=UNIT_KINDS),
            Field("parent_code", "str", "上级单位", "parent unit", references="units"),
            Field(
                "jurisdiction_code", "str", "所属辖区", "jurisdiction", references="jurisdictions"
            ),
            Field("contact", "str", "联系人", "contact person", personal=True),
            Field("phone", "str", "联系电话", "phone", personal=True),
        ),
        style={"color": "#6a3d9a", "radius": 5},
        popup=("code", "name", "kind", "contact", "phone"),
        access=Access(shared=True),
    )
)

PEOPLE = register(
    Layer(
        "people",
        "责任人",
        "People",
        None,
        (
            _code("人员编码", "person code"),
            _name("姓名", "name"),
            Field("role", "str", "职务", "role", required=True, choices=PERSON_ROLES),
            Field(
                "unit_code",
                "str",
                "所属单位",
                "unit",
                required=True,
                references="units",
                indexed=True,
            ),
            Field("phone", "str", "联系电话", "phone", personal=True),
        ),
        popup=("code", "name", "role", "unit_code", "phone"),
        access=Access(shared=True),
    )
)

GRIDS = register(
    Layer(
        "grids",
        "网格",
        "Grid cells",
        "MultiPolygon",
        (
            _code("网格编码", "grid code"),
            _name("网格名称", "grid name"),
            Field("kind", "str", "网格类型", "kind", choices=GRID_KINDS),
            _unit_code(),
            Field(
                "manager_code", "str", "网格员", "grid manager", references="people", indexed=True
            ),
            Field(
                "subdistrict_code", "str", "所属镇街", "sub-district", references="jurisdictions"
            ),
            Field("community_code", "str", "所属社区", "community", references="jurisdictions"),
            _assigned_by(),
        ),
        style={"color": "#1f78b4", "weight": 1, "fillColor": "#a6cee3", "fillOpacity": 0.15},
        popup=("code", "name", "unit_code", "manager_code"),
        access=Access(grid_field="code", unit_field="unit_code"),
        responsibility=Responsibility(
            rank=30,
            rule="grid",
            problem_field="grid_code",
            head_field="manager_code",
            measure="area",
        ),
    )
)

_LINE_FIELDS = (
    Field("road_class", "str", "道路等级", "road class", choices=ROAD_CLASSES),
    _unit_code(),
)

STREETS = register(
    Layer(
        "streets",
        "街道",
        "Streets",
        "MultiLineString",
        (
            _code("道路编码", "street code"),
            _name("道路名称", "street name"),
            *_LINE_FIELDS,
            _head_code("街长", "street head"),
            _assigned_by(),
        ),
        style={"color": "#ff7f00", "weight": 4},
        popup=("code", "name", "road_class", "unit_code", "head_code"),
        access=Access(unit_field="unit_code", located=True),
        responsibility=Responsibility(
            rank=20, rule="street", problem_field="street_code", measure="length", inspected=True
        ),
    )
)

ALLEYS = register(
    Layer(
        "alleys",
        "背街小巷",
        "Alleys",
        "MultiLineString",
        (
            _code("小巷编码", "alley code"),
            _name("小巷名称", "alley name"),
            *_LINE_FIELDS,
            _head_code("巷长", "alley head"),
            _assigned_by(),
        ),
        style={"color": "#b15928", "weight": 2, "dashArray": "4 3"},
        popup=("code", "name", "unit_code", "head_code"),
        access=Access(unit_field="unit_code", located=True),
        responsibility=Responsibility(
            rank=20, rule="alley", problem_field="alley_code", measure="length", inspected=True
        ),
    )
)

POINTS = register(
    Layer(
        "points",
        "点位",
        "Points",
        "Geometry",
        (
            _code("点位编码", "point code"),
            _name("点位名称", "point name"),
            Field(
                "point_type",
                "str",
                "点位类型",
                "point type",
                required=True,
                choices=POINT_TYPES,
                indexed=True,
            ),
            _unit_code(),
            _head_code("点长", "point head"),
            Field("radius_m", "float", "范围半径(米)", "radius (m)"),
            Field("address", "str", "地址", "address"),
            _assigned_by(),
        ),
        style={"color": "#e31a1c", "fillColor": "#fb9a99", "radius": 6, "fillOpacity": 0.8},
        popup=("code", "name", "point_type", "unit_code", "head_code"),
        access=Access(unit_field="unit_code", located=True),
        responsibility=Responsibility(
            rank=10,
            rule="point",
            problem_field="point_code",
            inspected=True,
            radius_field="radius_m",
            breakdown="point_type",
        ),
    )
)

CATALOGUE = register(
    Layer(
        "catalogue",
        "测评体系",
        "Evaluation catalogue",
        None,
        (
            _code("条目编码", "item code"),
            _name("条目名称", "item name"),
            Field("level", "str", "层级", "level", required=True, choices=CATALOGUE_LEVELS),
            Field("parent_code", "str", "上级条目", "parent item", references="catalogue"),
            Field("kind", "str", "部件/事件", "component or event", choices=CATALOGUE_KINDS),
            Field("major_class", "str", "大类代码", "major class code"),
            Field("minor_class", "str", "小类代码", "minor class code"),
            Field("weight", "float", "扣分分值", "deduction weight"),
            Field("rectify_days", "int", "整改时限(天)", "rectification days"),
            Field("urgent_hours", "int", "紧急时限(小时)", "urgent limit (hours)"),
            Field("negative_list", "bool", "负面清单", "negative list"),
        ),
        popup=("code", "name", "weight", "rectify_days"),
        access=Access(shared=True),
    )
)

INSPECTIONS = register(
    Layer(
        "inspections",
        "检查记录",
        "Inspections",
        "Point",
        (
            _code("检查编号", "inspection code"),
            Field(
                "inspected_at", "datetime", "检查时间", "inspected at", required=True, indexed=True
            ),
            Field("inspector", "str", "检查人", "inspector", personal=True),
            Field("kind", "str", "检查类型", "kind", choices=INSPECTION_KINDS),
            Field("point_code", "str", "点位", "point", references="points"),
            Field("street_code", "str", "街道", "street", references="streets"),
            Field("alley_code", "str", "小巷", "alley", references="alleys"),
            Field("problems_found", "int", "发现问题数", "problems found"),
            Field("notes", "str", "备注", "notes"),
            Field("round_code", "str", "巡查批次", "inspection round", indexed=True),
            Field("result", "str", "检查结果", "result", choices=INSPECTION_RESULTS),
        ),
        style={"color": "#33a02c", "radius": 4},
        popup=("code", "inspected_at", "inspector", "kind", "point_code", "result"),
        group="work",
        access=Access(located=True),
        # "When was this point (street, alley) last inspected?" for the coverage analysis.
        indexes=(
            ("point_code", "inspected_at"),
            ("street_code", "inspected_at"),
            ("alley_code", "inspected_at"),
        ),
    )
)

PROBLEMS = register(
    Layer(
        "problems",
        "问题",
        "Problems",
        "Point",
        (
            _code("问题编号", "problem code"),
            Field(
                "catalogue_code",
                "str",
                "测评条目",
                "catalogue item",
                required=True,
                references="catalogue",
                indexed=True,
            ),
            Field("description", "str", "问题描述", "description"),
            Field(
                "status",
                "str",
                "状态",
                "status",
                required=True,
                choices=PROBLEM_STATUSES,
                indexed=True,
            ),
            Field("source", "str", "来源", "source", choices=PROBLEM_SOURCES),
            Field(
                "reported_at", "datetime", "发现时间", "reported at", required=True, indexed=True
            ),
            Field("deadline", "datetime", "整改期限", "deadline"),
            Field("closed_at", "datetime", "结案时间", "closed at"),
            _unit_code(),
            Field("head_code", "str", "责任人", "responsible person", references="people"),
            Field("point_code", "str", "点位", "point", references="points", indexed=True),
            Field("street_code", "str", "街道", "street", references="streets"),
            Field("alley_code", "str", "小巷", "alley", references="alleys"),
            # Indexed alone (all problems per cell: a narrow index scans in a third of the
            # time) and first in the covering index below (per cell under filters).
            Field("grid_code", "str", "网格", "grid cell", references="grids", indexed=True),
            Field("subdistrict_code", "str", "镇街", "sub-district", references="jurisdictions"),
            Field("routed_by", "str", "派遣依据", "routed by", choices=ROUTING_RULES),
            Field("inspection_code", "str", "检查记录", "inspection", references="inspections"),
            Field("recurrence", "int", "反弹次数", "recurrences"),
            Field(
                "recurrence_of",
                "str",
                "反弹自",
                "recurrence of",
                references="problems",
                indexed=True,
            ),
            Field("reports", "int", "上报次数", "reports"),
            Field("reporter", "str", "上报人", "reporter", personal=True),
        ),
        style={
            "color": "#d7301f",
            "radius": 3,
            "fillOpacity": 0.7,
            "categories": choice_categories("status", PROBLEM_STATUSES, PROBLEM_STATUS_COLOURS),
        },
        popup=("code", "catalogue_code", "status", "reported_at", "deadline", "unit_code"),
        group="work",
        access=Access(grid_field="grid_code", unit_field="unit_code"),
        # Problems per cell under the status, overdue and date filters (hot spots, the
        # map's counts) by GROUP BY grid_code over this index alone.
        indexes=(("grid_code", "status", "deadline", "reported_at"),),
    )
)

AUDIT = register(
    Layer(
        "audit",
        "变更记录",
        "Audit log",
        None,
        (
            Field("at", "datetime", "时间", "at", required=True, indexed=True),
            Field("actor", "str", "操作人", "actor", required=True),
            Field("action", "str", "操作", "action", required=True),
            Field("layer", "str", "图层", "layer", required=True, indexed=True),
            Field("feature_code", "str", "要素编码", "feature code", indexed=True),
            Field("before", "str", "变更前", "before", personal=True),
            Field("after", "str", "变更后", "after", personal=True),
            Field("reason", "str", "原因", "reason"),
        ),
        key=None,
        editable=False,
        popup=("at", "actor", "action", "layer", "feature_code"),
        group="work",
    )
)
