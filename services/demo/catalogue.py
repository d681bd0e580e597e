"""The demo evaluation catalogue (测评体系): section > item > content > standard.

A city loads its own catalogue; this one is what the demo ships, the same
at every size and seed. Codes nest: section ``A``, item ``A01``, content
``A0101``, standard ``A010101``. Only standards (the leaves) carry a
deduction weight (points per problem), rectification days, urgent hours
(wall-clock hours for dangerous problems) and the negative-list flag
(负面清单: things that must never be seen); their registration conditions
and time limits are in :mod:`.standards`. Every entry has its section's
two-digit major class code; contents and standards a four-digit minor
class code (major class and the content's number within the section).
"""

from __future__ import annotations

import pandas as pd

# (standard, weight, rectify_days, urgent_hours or None, negative list)
Standard = tuple[str, float, int, int | None, bool]

CATALOGUE: tuple[
    tuple[str, str, tuple[tuple[str, tuple[tuple[str, tuple[Standard, ...]], ...]], ...]], ...
] = (
    (
        "市容环境",
        "event",
        (
            (
                "环境卫生",
                (
                    (
                        "道路保洁",
                        (
                            ("路面有明显垃圾、纸屑、烟头", 0.5, 1, None, False),
                            ("路面有积存垃圾、渣土堆", 1.0, 1, None, True),
                            ("人行道有油污、痰迹、口香糖", 0.5, 2, None, False),
                        ),
                    ),
                    (
                        "垃圾收集",
                        (
                            ("垃圾桶满溢、周边散落垃圾", 1.0, 1, None, False),
                            ("垃圾桶破损、缺盖、脏污", 0.5, 3, None, False),
                            ("垃圾分类投放点混投混放", 0.5, 2, None, False),
                        ),
                    ),
                    (
                        "公共厕所",
                        (
                            ("公厕地面、便池不洁有异味", 1.0, 1, None, False),
                            ("公厕设施损坏、无洗手液", 0.5, 3, None, False),
                            ("公厕未按时开放", 1.0, 1, None, False),
                        ),
                    ),
                ),
            ),
            (
                "市容秩序",
                (
                    (
                        "占道经营",
                        (
                            ("流动摊贩占道经营", 1.0, 1, None, False),
                            ("店外经营、跨门营业", 1.0, 1, None, False),
                            ("夜市摊点收摊后未清理", 0.5, 1, None, False),
                        ),
                    ),
                    (
                        "乱堆乱放",
                        (
                            ("沿街乱堆杂物、建材", 0.5, 2, None, False),
                            ("乱搭乱建、违章搭棚", 2.0, 7, None, True),
                            ("沿街晾晒衣物", 0.2, 1, None, False),
                        ),
                    ),
                ),
            ),
        ),
    ),
    (
        "宣传广告",
        "event",
        (
            (
                "户外广告",
                (
                    (
                        "违规广告",
                        (
                            ("乱贴小广告、乱涂写", 0.5, 1, None, False),
                            ("广告牌破损、褪色、缺字", 0.5, 7, None, False),
                            ("违规设置落地广告、横幅", 1.0, 3, None, False),
                        ),
                    ),
                ),
            ),
            (
                "公益宣传",
                (
                    (
                        "公益广告",
                        (
                            ("主次干道公益广告数量不足", 1.0, 7, None, False),
                            ("公益广告内容过期、破损", 0.5, 7, None, False),
                            ("核心价值观宣传缺失", 1.0, 7, None, False),
                        ),
                    ),
                ),
            ),
        ),
    ),
    (
        "街面秩序",
        "event",
        (
            (
                "交通秩序",
                (
                    (
                        "车辆停放",
                        (
                            ("机动车乱停乱放、占用人行道", 1.0, 1, None, False),
                            ("非机动车、共享单车乱停放", 0.5, 1, None, False),
                            ("占用盲道、消防通道", 2.0, 1, 4, True),
                        ),
                    ),
                    (
                        "交通文明",
                        (
                            ("行人闯红灯、翻越护栏", 0.5, 1, None, False),
                            ("机动车不礼让行人", 0.5, 1, None, False),
                        ),
                    ),
                ),
            ),
            (
                "社会秩序",
                (
                    (
                        "不文明行为",
                        (
                            ("随地吐痰、乱扔垃圾", 0.5, 1, None, False),
                            ("公共场所吸烟", 0.5, 1, None, False),
                            ("出现乞讨、强行揽客", 1.0, 1, None, True),
                        ),
                    ),
                ),
            ),
        ),
    ),
    (
        "公共设施",
        "component",
        (
            (
                "道路设施",
                (
                    (
                        "路面与井盖",
                        (
                            ("井盖缺失", 3.0, 1, 2, True),
                            ("井盖破损、松动、移位", 1.0, 2, None, False),
                            ("路面坑洼、破损", 1.0, 5, None, False),
                        ),
                    ),
                    (
                        "交通设施",
                        (
                            ("交通标志、标线缺损", 0.5, 5, None, False),
                            ("护栏损坏、倾斜", 0.5, 5, None, False),
                            ("路灯不亮、灯杆倾斜", 0.5, 3, 24, False),
                        ),
                    ),
                ),
            ),
            (
                "便民设施",
                (
                    (
                        "公共服务设施",
                        (
                            ("公交站亭破损、脏污", 0.5, 3, None, False),
                            ("座椅、健身器材损坏", 0.5, 5, None, False),
                            ("无障碍设施缺失或被占用", 1.0, 7, None, False),
                        ),
                    ),
                ),
            ),
        ),
    ),
    (
        "园林绿化",
        "component",
        (
            (
                "绿地管护",
                (
                    (
                        "绿化养护",
                        (
                            ("绿地黄土裸露", 1.0, 7, None, False),
                            ("行道树死树、缺株", 0.5, 7, None, False),
                            ("绿地内有垃圾、杂物", 0.5, 2, None, False),
                            ("毁绿种菜、踩踏绿地", 1.0, 5, None, True),
                        ),
                    ),
                ),
            ),
        ),
    ),
    (
        "施工管理",
        "event",
        (
            (
                "工地管理",
                (
                    (
                        "文明施工",
                        (
                            ("工地未设置围挡或围挡破损", 2.0, 3, None, True),
                            ("渣土车辆未密闭、带泥上路", 1.0, 1, None, False),
                            ("施工扬尘未覆盖", 1.0, 1, None, False),
                            ("夜间违规施工扰民", 1.0, 1, 12, False),
                        ),
                    ),
                ),
            ),
        ),
    ),
    (
        "重点场所",
        "event",
        (
            (
                "农贸市场",
                (
                    (
                        "市场管理",
                        (
                            ("市场内外环境脏乱", 1.0, 1, None, False),
                            ("活禽宰杀区未隔离", 2.0, 3, None, True),
                            ("摊位超出经营区域", 0.5, 1, None, False),
                        ),
                    ),
                ),
            ),
            (
                "五小行业",
                (
                    (
                        "门前三包",
                        (
                            ("门前卫生未落实", 0.5, 1, None, False),
                            ("油烟直排、污水横流", 1.0, 3, None, False),
                            ("证照未公示", 0.5, 3, None, False),
                        ),
                    ),
                ),
            ),
            (
                "学校周边",
                (
                    (
                        "校园周边环境",
                        (
                            ("校门口流动摊贩", 1.0, 1, None, False),
                            ("校园周边200米内有网吧、娱乐场所", 2.0, 7, None, True),
                        ),
                    ),
                ),
            ),
            (
                "网吧",
                (
                    (
                        "经营秩序",
                        (
                            ("接纳未成年人", 3.0, 1, 2, True),
                            ("未实名登记上网", 1.0, 1, None, False),
                        ),
                    ),
                ),
            ),
        ),
    ),
)


def catalogue_frame() -> pd.DataFrame:
    """The catalogue as rows of the ``catalogue`` layer, parents before children."""
    rows: list[dict[str, object]] = []
    for s, (section, kind, items) in enumerate(CATALOGUE):
        s_code = chr(ord("A") + s)
        major = f"{s + 1:02d}"
        rows.append(_row(s_code, section, "section", None, kind, major))
        minor = 0
        for i, (item, contents) in enumerate(items, start=1):
            i_code = f"{s_code}{i:02d}"
            rows.append(_row(i_code, item, "item", s_code, kind, major))
            for c, (content, standards) in enumerate(contents, start=1):
                c_code = f"{i_code}{c:02d}"
                minor += 1
                classes = (major, f"{major}{minor:02d}")
                rows.append(_row(c_code, content, "content", i_code, kind, *classes))
                for k, (name, weight, days, urgent, negative) in enumerate(standards, start=1):
                    rows.append(
                        _row(
                            f"{c_code}{k:02d}",
                            name,
                            "standard",
                            c_code,
                            kind,
                            *classes,
                            weight=weight,
                            rectify_days=days,
                            urgent_hours=urgent,
                            negative_list=negative,
                        )
                    )
    frame = pd.DataFrame(rows)
    frame["rectify_days"] = frame["rectify_days"].astype("Int64")
    frame["urgent_hours"] = frame["urgent_hours"].astype("Int64")
    frame["negative_list"] = frame["negative_list"].astype("boolean")
    return frame


def _row(
    code: str,
    name: str,
    level: str,
    parent: str | None,
    kind: str,
    major_class: str,
    minor_class: str | None = None,
    *,
    weight: float | None = None,
    rectify_days: int | None = None,
    urgent_hours: int | None = None,
    negative_list: bool | None = None,
) -> dict[str, object]:
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "kind": kind,
        "major_class": major_class,
        "minor_class": minor_class,
        "weight": weight,
        "rectify_days": rectify_days,
        "urgent_hours": urgent_hours,
        "negative_list": negative_list,
    }
