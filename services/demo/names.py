"""Chinese names for the demo city, drawn from parts with a seeded generator.

Every function takes a :class:`numpy.random.Generator` and returns a numpy
array of ``str`` objects, vectorised over the number of names asked for.
The parts are common Changsha place words (长沙地名用字), so names such as
五一大道, 解放西路, 太平街 or 西文庙坪巷 come out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PLACE_WORDS = _words(
    "五一 解放 芙蓉 湘江 岳麓 橘洲 天心 坡子 太平 化龙 白沙 东塘 侯家 识字 浏城 荷花 马王 "
    "月湖 洪山 梅溪 湘春 清水 四方 德政 望麓 营盘 藩城 学宫 文庙 贡院 高升 小吴 司门 都正 "
    "樊西 织机 吉祥 三兴 三王 登仁 福庆 连升 寿星 丰泰 潮宗 通泰 福胜 蔡锷 黄兴 韶山 劳动 "
    "人民 八一 建湘 长岛 书院 桂花 金盆 赤岭 新开 南湖 砂子 雨花 圭塘 井湾 洞井 高桥 左家 "
    "东屯 马坡 火星 朝阳 韭菜 定王 湘湖 文艺 晚报 燕山 南门 北正 西园 东茅 红墙 青石 碧湘 "
    "枫林 麓山 银盆 咸嘉 观沙 白果 苏家 吉庆 青山 古稻 仓后 孚嘉 紫荆 玉泉 西长 东长"
)
"""Two-character place words; every generated name starts with one."""

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕辉鹏建国文斌宇浩凯婷雪琳"
    "俊峰晨阳旭东海波亮志红梅湘岳丹颖慧佳欣怡子轩梓涵"
)

STREET_SUFFIXES = {
    "main": ("大道", "路"),
    "secondary": ("路", "东路", "西路", "南路", "北路", "中路"),
    "branch": ("街", "正街", "横街", "路"),
}
ALLEY_PREFIXES = ("", "", "东", "西", "南", "北", "上", "下")
ALLEY_MIDDLES = ("", "坪", "园", "井", "湾", "坡", "塘", "庙坪")
ALLEY_SUFFIXES = ("巷", "巷", "里", "巷", "弄")
ESTATE_SUFFIXES = ("花园", "小区", "家园", "苑", "华庭", "新村", "公寓", "佳园", "山庄", "雅苑")
SHOP_BRANDS = (
    "步步高超市",
    "家润多超市",
    "友阿百货",
    "华润万家",
    "平和堂",
    "王府井百货",
    "新一佳超市",
)
SCHOOL_KINDS = ("小学", "中学", "实验小学", "幼儿园", "第一中学")
BUSINESS_KINDS = ("米粉店", "小吃店", "理发店", "宾馆", "足浴", "便利店", "餐馆", "发艺", "浴室")
PARK_KINDS = ("公园", "广场", "游园")
PLACE_ENDINGS = ("桥", "园", "坪", "湖", "井", "门", "塘", "坡", "里", "湾")


def pick(rng: np.random.Generator, parts: tuple[str, ...], n: int) -> np.ndarray:
    """``n`` parts drawn with replacement."""
    return np.asarray(parts, dtype=object)[rng.integers(0, len(parts), n)]


def concat(*columns: np.ndarray | str) -> np.ndarray:
    """Join equal-length arrays of strings (and constant strings) element-wise."""
    length = max(len(c) for c in columns if not isinstance(c, str))
    series = [pd.Series([c] * length if isinstance(c, str) else c, dtype=object) for c in columns]
    joined = series[0].str.cat(series[1:]) if len(series) > 1 else series[0]
    return joined.to_numpy(dtype=object)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Whole numbers as zero-padded strings of at least ``width`` digits."""
    return pd.Series(values).astype(str).str.zfill(width).to_numpy(dtype=object)


def distinct(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """``n`` different entries of ``pool`` (repeating the pool only if it is too small)."""
    order = rng.permutation(len(pool))
    reps = -(-n // len(pool))
    return np.asarray(pool, dtype=object)[np.tile(order, reps)[:n]]


def combinations(first: tuple[str, ...], second: tuple[str, ...]) -> np.ndarray:
    """Every ``first + second`` pair, in a fixed order."""
    return np.array([a + b for a in first for b in second], dtype=object)


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chinese personal names: a surname and one or two given characters."""
    two = rng.random(n) < 0.7
    second = np.where(two, pick(rng, GIVEN_CHARS, n), "")
    return concat(pick(rng, SURNAMES, n), pick(rng, GIVEN_CHARS, n), second)


def mobile_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Eleven-digit mobile numbers (13x-19x)."""
    prefix = pick(rng, ("13", "15", "17", "18", "19"), n)
    rest = pd.Series(rng.integers(0, 10**9, n)).astype(str).str.zfill(9).to_numpy(dtype=object)
    return concat(prefix, rest)


def office_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Changsha landlines, ``0731-8xxxxxxx``."""
    rest = pd.Series(rng.integers(0, 10**7, n)).astype(str).str.zfill(7).to_numpy(dtype=object)
    return concat("0731-8", rest)


def street_names(rng: np.random.Generator, road_class: np.ndarray) -> np.ndarray:
    """One name per road line; lines of the same class never share a name."""
    names = np.empty(len(road_class), dtype=object)
    for cls, suffixes in STREET_SUFFIXES.items():
        mask = road_class == cls
        names[mask] = distinct(rng, combinations(PLACE_WORDS, suffixes), int(mask.sum()))
    return names


def alley_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Back-alley names such as 西文庙坪巷, 白果园巷 or 三兴里."""
    return concat(
        pick(rng, ALLEY_PREFIXES, n),
        pick(rng, PLACE_WORDS, n),
        pick(rng, ALLEY_MIDDLES, n),
        pick(rng, ALLEY_SUFFIXES, n),
    )


def place_names(rng: np.random.Generator, n: int, suffix: str) -> np.ndarray:
    """``n`` different names ``<word><suffix>`` (``<word><ending><suffix>`` once words run out)."""
    plain = np.asarray(PLACE_WORDS, dtype=object)[rng.permutation(len(PLACE_WORDS))]
    more = distinct(rng, combinations(PLACE_WORDS, PLACE_ENDINGS), max(0, n - len(plain)))
    return concat(np.concatenate([plain, more])[:n], suffix)
