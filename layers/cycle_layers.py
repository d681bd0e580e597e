"""The problem cycle's layers: the registration and closure standards (立结案标准).

Each leaf of the evaluation catalogue (``catalogue``) has one or more
registration conditions (立案条件), each with its time limit and its closure
condition (结案条件): a missing manhole cover is due in 2 urgent hours, a
loose one in 2 working days. A problem's deadline is counted from its
item's condition through the working calendar
(:mod:`citygrid.services.cycle.deadlines`).
"""

from __future__ import annotations

from citygrid.layers.registry import Access, Choice, Field, Layer, register

LIMIT_UNITS = (
    Choice("urgent_hours", "紧急小时", "urgent hours"),
    Choice("working_hours", "工作时", "working hours"),
    Choice("working_days", "工作日", "working days"),
)
"""How a time limit counts: urgent hours on the wall clock (nights and holidays
included), working hours and working days through the working calendar."""

STANDARDS = register(
    Layer(
        "standards",
        "立结案标准",
        "Registration and closure standards",
        None,
        (
            Field("code", "str", "条件编码", "condition code", required=True, indexed=True),
            Field(
                "catalogue_code",
                "str",
                "测评条目",
                "catalogue item",
                required=True,
                references="catalogue",
                indexed=True,
            ),
            Field("condition", "str", "立案条件", "registration condition", required=True),
            Field("limit_value", "float", "处置时限", "time limit", required=True),
            Field(
                "limit_unit",
                "str",
                "时限单位",
                "time limit unit",
                required=True,
                choices=LIMIT_UNITS,
            ),
            Field("closure", "str", "结案条件", "closure condition"),
            Field("deduction", "float", "本条扣分", "deduction"),
        ),
        popup=("code", "catalogue_code", "condition", "limit_value", "limit_unit"),
        access=Access(shared=True),
    )
)
