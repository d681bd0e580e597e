"""The demo's registration and closure standards (立结案标准): one or two per catalogue leaf.

Limits in the manner of digital city-management practice: a danger to
people in urgent (wall-clock) hours, street order in working hours,
cleaning and repairs in working days. A city loads its own
(``citygrid catalogue load``); this is what the demo ships.
"""

from __future__ import annotations

import pandas as pd

URGENT, HOURS, DAYS = "urgent_hours", "working_hours", "working_days"

# leaf name: ((registration condition, limit, unit, closure condition), ...)
CONDITIONS: dict[str, tuple[tuple[str, float, str, str], ...]] = {
    "路面有明显垃圾、纸屑、烟头": (
        ("主次干道暴露垃圾超过1处", 1, DAYS, "路面清扫干净，无暴露垃圾"),
        ("重点区域暴露垃圾", 2, HOURS, "即时清扫干净"),
    ),
    "路面有积存垃圾、渣土堆": (("积存垃圾或渣土堆超过0.5立方米", 1, DAYS, "清运完毕，地面干净"),),
    "人行道有油污、痰迹、口香糖": (("油污、污渍面积超过1平方米", 2, DAYS, "冲洗干净，无明显污迹"),),
    "垃圾桶满溢、周边散落垃圾": (("垃圾桶满溢或周边散落垃圾", 4, HOURS, "垃圾清运，桶体周边干净"),),
    "垃圾桶破损、缺盖、脏污": (
        ("桶体破损或缺盖", 3, DAYS, "更换或修复，桶盖齐全"),
        ("桶体脏污", 1, DAYS, "清洗干净"),
    ),
    "垃圾分类投放点混投混放": (("投放点混投混放", 2, DAYS, "分类规范，标识清楚"),),
    "公厕地面、便池不洁有异味": (("地面便池不洁、有明显异味", 2, HOURS, "保洁到位，无异味"),),
    "公厕设施损坏、无洗手液": (
        ("设施损坏影响使用", 3, DAYS, "设施修复可用"),
        ("缺少洗手液、厕纸", 4, HOURS, "补齐用品"),
    ),
    "公厕未按时开放": (("开放时间内关闭", 2, HOURS, "恢复开放"),),
    "流动摊贩占道经营": (("流动摊贩占用道路经营", 2, HOURS, "摊贩劝离，现场恢复通行"),),
    "店外经营、跨门营业": (
        ("店外经营、跨门营业", 2, HOURS, "物品收回店内"),
        ("屡教不改、多次跨门营业", 1, DAYS, "立案查处，恢复规范经营"),
    ),
    "夜市摊点收摊后未清理": (("收摊后遗留垃圾和设施", 4, HOURS, "清理干净"),),
    "沿街乱堆杂物、建材": (("沿街堆放杂物、建材", 2, DAYS, "清理完毕"),),
    "乱搭乱建、违章搭棚": (
        ("新发现违章搭建", 5, DAYS, "拆除完毕"),
        ("正在施工的违章搭建", 4, URGENT, "责令停工"),
    ),
    "沿街晾晒衣物": (("临街晾晒衣物", 4, HOURS, "收回，不再临街晾晒"),),
    "乱贴小广告、乱涂写": (("小广告、涂写超过3处", 1, DAYS, "清除干净，无残留"),),
    "广告牌破损、褪色、缺字": (
        ("广告牌破损、缺字", 5, DAYS, "修复或拆除"),
        ("广告牌有坠落危险", 2, URGENT, "排除险情"),
    ),
    "违规设置落地广告、横幅": (("未经审批设置落地广告、横幅", 1, DAYS, "拆除完毕"),),
    "主次干道公益广告数量不足": (("公益广告不足规定比例", 7, DAYS, "按比例补足"),),
    "公益广告内容过期、破损": (("内容过期或画面破损", 5, DAYS, "更换画面"),),
    "核心价值观宣传缺失": (("应设未设核心价值观宣传", 7, DAYS, "设置到位"),),
    "机动车乱停乱放、占用人行道": (("机动车占用人行道停放", 2, HOURS, "车辆驶离或拖移"),),
    "非机动车、共享单车乱停放": (("非机动车乱停放影响通行", 2, HOURS, "车辆摆放整齐"),),
    "占用盲道、消防通道": (
        ("占用消防通道", 1, URGENT, "通道畅通"),
        ("占用盲道", 2, HOURS, "盲道畅通"),
    ),
    "行人闯红灯、翻越护栏": (("路口行人闯红灯现象突出", 2, DAYS, "设置劝导员"),),
    "机动车不礼让行人": (("斑马线前不礼让行人", 2, DAYS, "设置提示并加强执法"),),
    "随地吐痰、乱扔垃圾": (("公共场所不文明行为突出", 1, DAYS, "劝导到位，现场干净"),),
    "公共场所吸烟": (("室内公共场所有人吸烟", 1, DAYS, "劝阻并设置禁烟标识"),),
    "出现乞讨、强行揽客": (("乞讨、强行揽客", 2, HOURS, "劝离或救助"),),
    "井盖缺失": (("井盖缺失", 2, URGENT, "补齐井盖，设置警示"),),
    "井盖破损、松动、移位": (
        ("井盖破损、松动", 2, DAYS, "更换或固定"),
        ("井盖移位", 4, URGENT, "复位"),
    ),
    "路面坑洼、破损": (("路面坑洼面积超过0.5平方米", 5, DAYS, "修补平整"),),
    "交通标志、标线缺损": (("标志缺损、标线不清", 5, DAYS, "修复到位"),),
    "护栏损坏、倾斜": (("护栏损坏、倾斜", 3, DAYS, "修复或更换"),),
    "路灯不亮、灯杆倾斜": (
        ("路灯不亮", 3, DAYS, "恢复照明"),
        ("灯杆倾斜有倒伏危险", 24, URGENT, "加固或拆除"),
    ),
    "公交站亭破损、脏污": (("站亭破损或脏污", 3, DAYS, "修复、清洗"),),
    "座椅、健身器材损坏": (("器材损坏", 5, DAYS, "修复或停用警示"),),
    "无障碍设施缺失或被占用": (
        ("无障碍设施缺失", 7, DAYS, "补建"),
        ("无障碍设施被占用", 2, HOURS, "清除占用"),
    ),
    "绿地黄土裸露": (("黄土裸露面积超过1平方米", 7, DAYS, "补植或覆盖"),),
    "行道树死树、缺株": (("死树、缺株", 7, DAYS, "补植到位"),),
    "绿地内有垃圾、杂物": (("绿地内有垃圾、杂物", 1, DAYS, "清理干净"),),
    "毁绿种菜、踩踏绿地": (("毁绿种菜", 5, DAYS, "清除并恢复绿化"),),
    "工地未设置围挡或围挡破损": (
        ("工地未设围挡", 2, DAYS, "设置围挡"),
        ("围挡破损、倾斜", 4, URGENT, "修复加固"),
    ),
    "渣土车辆未密闭、带泥上路": (("渣土车未密闭或带泥上路", 2, HOURS, "查处，冲洗路面"),),
    "施工扬尘未覆盖": (("裸露土方未覆盖", 4, HOURS, "覆盖到位"),),
    "夜间违规施工扰民": (("22时后违规施工", 2, URGENT, "停止施工"),),
    "市场内外环境脏乱": (("市场内外环境脏乱", 1, DAYS, "清扫干净"),),
    "活禽宰杀区未隔离": (("活禽宰杀区未隔离", 3, DAYS, "隔离到位"),),
    "摊位超出经营区域": (("摊位超出经营区域", 2, HOURS, "退回区域内"),),
    "门前卫生未落实": (("门前卫生不洁", 2, HOURS, "清扫干净"),),
    "油烟直排、污水横流": (
        ("油烟直排", 3, DAYS, "安装油烟净化设施"),
        ("污水横流", 4, HOURS, "清理并截流"),
    ),
    "证照未公示": (("证照未公示", 3, DAYS, "亮证经营"),),
    "校门口流动摊贩": (("上下学时段校门口流动摊贩", 1, HOURS, "摊贩劝离"),),
    "校园周边200米内有网吧、娱乐场所": (("校园周边200米内有网吧", 7, DAYS, "依法关停或迁出"),),
    "接纳未成年人": (("网吧内有未成年人", 2, URGENT, "清出并立案查处"),),
    "未实名登记上网": (("未实名登记上网", 1, DAYS, "整改登记制度"),),
}


def standards_frame(catalogue: pd.DataFrame) -> pd.DataFrame:
    """The standards of the demo catalogue's leaves, coded ``<leaf code>-<n>``.

    Raises
    ------
    KeyError
        A leaf has no conditions here (the demo's own data is incomplete).
    """
    leaves = catalogue[catalogue["level"] == "standard"]
    rows = [
        {
            "code": f"{code}-{n}",
            "catalogue_code": code,
            "condition": condition,
            "limit_value": float(value),
            "limit_unit": unit,
            "closure": closure,
            "deduction": None,
        }
        for code, name in zip(leaves["code"], leaves["name"], strict=True)
        for n, (condition, value, unit, closure) in enumerate(CONDITIONS[name], start=1)
    ]
    return pd.DataFrame(rows)
