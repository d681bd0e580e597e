"""The published monthly rankings (月评排名): one row per ranked feature, level and month.

Internal (:attr:`~citygrid.layers.registry.Layer.internal`): written only by
:func:`citygrid.services.cycle.publishing.publish_ranking`, read back by
:func:`citygrid.services.cycle.ranking.monthly_ranking`, so that a month's
published ranking stays as it was published when later data arrives.
"""

from __future__ import annotations

from citygrid.layers.registry import Choice, Field, Layer, register

RANKING_LEVELS = (
    Choice("point", "点位", "point"),
    Choice("street", "街道", "street"),
    Choice("alley", "背街小巷", "alley"),
    Choice("cell", "网格", "grid cell"),
    Choice("unit", "责任单位", "responsible unit"),
)
"""What a monthly ranking ranks."""

RANKINGS = register(
    Layer(
        "rankings",
        "月评排名",
        "Monthly rankings",
        None,
        (
            Field("month", "str", "月份", "month", required=True, indexed=True),
            Field("level", "str", "排名对象", "level", required=True, choices=RANKING_LEVELS),
            Field("code", "str", "编码", "code", required=True),
            Field("name", "str", "名称", "name"),
            Field("rank", "int", "名次", "rank", required=True),
            Field("score", "float", "得分", "score", required=True),
            Field("problems", "int", "问题数", "problems"),
            Field("deductions", "float", "扣分", "deductions"),
            Field("recurrences", "int", "反弹数", "recurrences"),
            Field("overdue", "int", "超期数", "overdue"),
            Field("rework", "int", "返工数", "rework"),
            Field("previous_rank", "int", "上月名次", "previous rank"),
            Field("rank_change", "int", "名次变化", "rank change"),
            Field("score_change", "float", "得分变化", "score change"),
            Field("failed", "bool", "未达标", "failed the standard"),
            Field("published_at", "datetime", "发布时间", "published at", required=True),
            Field("published_by", "str", "发布人", "published by"),
        ),
        key=None,
        editable=False,
        internal=True,
        indexes=(("month", "level"),),
    )
)
