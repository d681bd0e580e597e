"""Catalogues with registration and closure standards: loaded from CSV, XLSX and JSON,
refused whole on bad input, and turned into deadlines one by one and by the column."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.cycle.catalogue import catalogue_entries, catalogue_entry, load_catalogue
from citygrid.services.cycle.deadlines import deadline_for, deadlines, overdue_working_days

HEADER = "code,name,level,parent_code,kind,major_class,minor_class,weight,negative_list,"
HEADER += "condition,limit_value,limit_unit,closure"
ROWS = [
    "A,市容环境,section,,event,01,,,,,,,",
    "A01,环境卫生,item,A,event,01,,,,,,,",
    "A0101,暴露垃圾,content,A01,event,01,0101,1.0,false,主次干道暴露垃圾,1,working_days,清扫干净",
    "A0101,,,,,,,,,重点区域暴露垃圾,2,工作时,即时清扫",
    "B,公用设施,section,,component,02,,,,,,,",
    "B01,井盖缺失,item,B,component,02,0201,3,是,井盖缺失,2,urgent_hours,补齐井盖",
]
CSV = "\n".join([HEADER, *ROWS]) + "\n"


def ctx_of(store: Store) -> CityContext:
    return CityContext(store, Config(database_url=store.url, actor="测试员"))


def write(tmp_path: Path, text: str, name: str = "catalogue.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _check_loaded(store: Store) -> None:
    entries = store.read("catalogue").set_index("code")
    assert list(entries.index) == ["A", "A01", "A0101", "B", "B01"]
    assert entries.loc["A0101", "level"] == "content"
    assert entries.loc["B01", "negative_list"]
    assert entries.loc["B01", "minor_class"] == "0201"
    standards = store.read("standards").set_index("code")
    assert list(standards.index) == ["A0101-1", "A0101-2", "B01-1"]
    assert standards["limit_unit"].tolist() == ["working_days", "working_hours", "urgent_hours"]
    assert standards.loc["A0101-2", "catalogue_code"] == "A0101"
    assert standards.loc["B01-1", "closure"] == "补齐井盖"


def test_csv_loads_the_catalogue_and_its_standards(store: Store, tmp_path: Path) -> None:
    counts = load_catalogue(ctx_of(store), write(tmp_path, CSV))
    assert counts == {"catalogue": 5, "standards": 3}
    _check_loaded(store)
    audit = store.read("audit")
    assert set(audit["layer"]) == {"catalogue", "standards"}
    assert set(audit["actor"]) == {"测试员"}


def test_gbk_csv_with_chinese_headers_and_levels_from_depth(store: Store, tmp_path: Path) -> None:
    text = "条目编码,条目名称,上级条目,立案条件,处置时限,时限单位\n"
    text += "A,市容环境,,,,\nA01,环境卫生,A,,,\nA0101,暴露垃圾,A01,暴露垃圾,1,工作日\n"
    load_catalogue(ctx_of(store), write(tmp_path, text, encoding="gbk"))
    levels = store.read("catalogue").set_index("code")["level"].to_dict()
    assert levels == {"A": "section", "A01": "item", "A0101": "content"}
    assert store.read("standards")["condition"].tolist() == ["暴露垃圾"]


def test_xlsx_with_merged_cells_loads_like_the_csv(store: Store, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in [HEADER, *ROWS]:
        sheet.append([_cell(v) for v in line.split(",")])
    # the two conditions of A0101 share its merged code and name cells, as in a real table
    sheet["A5"] = None
    sheet.merge_cells("A4:A5")
    sheet.merge_cells("B4:B5")
    path = tmp_path / "catalogue.xlsx"
    workbook.save(path)
    load_catalogue(ctx_of(store), path)
    _check_loaded(store)


def _cell(text: str) -> object:
    """Numbers as numeric cells (codes with a leading zero stay text), empty as no value."""
    numeric = text.replace(".", "", 1).isdigit() and not text.startswith("0")
    return float(text) if numeric else (text or None)


def _nested() -> list[dict[str, object]]:
    return [
        {
            "code": "A",
            "name": "市容环境",
            "kind": "event",
            "children": [
                {
                    "code": "A01",
                    "name": "环境卫生",
                    "children": [
                        {
                            "code": "A0101",
                            "name": "暴露垃圾",
                            "weight": 1.0,
                            "standards": [
                                {
                                    "code": "S1",
                                    "condition": "主次干道暴露垃圾",
                                    "limit_value": 1,
                                    "limit_unit": "working_days",
                                    "closure": "清扫干净",
                                },
                                {
                                    "code": "S2",
                                    "condition": "重点区域暴露垃圾",
                                    "limit_value": 2,
                                    "limit_unit": "工作时",
                                    "deduction": 2.0,
                                },
                            ],
                        }
                    ],
                }
            ],
        }
    ]


def test_nested_json_loads_with_levels_and_parents_from_the_nesting(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, json.dumps({"catalogue": _nested()}, ensure_ascii=False), "c.json")
    assert load_catalogue(ctx_of(store), path) == {"catalogue": 3, "standards": 2}
    entries = store.read("catalogue").set_index("code")
    assert entries["level"].tolist() == ["section", "item", "content"]
    assert entries.loc["A0101", "parent_code"] == "A01"
    standards = store.read("standards").set_index("code")
    assert standards.loc["S2", "deduction"] == 2.0
    assert standards.loc["S2", "limit_unit"] == "working_hours"


def test_deadlines_from_the_items_conditions(store: Store, tmp_path: Path) -> None:
    ctx = ctx_of(store)
    load_catalogue(ctx, write(tmp_path, CSV))
    reported = at("2025-01-27T10:00")  # Monday before the 2025 Spring Festival
    assert deadline_for(ctx, "A0101", reported) == at("2025-02-05T10:00")
    assert deadline_for(ctx, "A0101", reported, "A0101-2") == at("2025-01-27T12:00")
    assert deadline_for(ctx, "A0101", reported, "重点区域暴露垃圾") == at("2025-01-27T12:00")
    assert deadline_for(ctx, "B01", at("2025-01-28T23:00")) == at("2025-01-29T01:00")
    frame = pd.DataFrame(
        {
            "catalogue_code": ["A0101", "A0101", "B01", "A0101"],
            "reported_at": pd.to_datetime(
                ["2025-01-27 10:00", "2025-01-27 10:00", "2025-01-28 23:00", None]
            ),
            "condition": [None, "A0101-2", "", None],
        },
        index=[10, 11, 12, 13],
    )
    got = deadlines(ctx, frame)
    assert got.index.tolist() == [10, 11, 12, 13]
    assert got.iloc[:3].tolist() == [
        pd.Timestamp("2025-02-05 10:00"),
        pd.Timestamp("2025-01-27 12:00"),
        pd.Timestamp("2025-01-29 01:00"),
    ]
    assert pd.isna(got.iloc[3])


def test_overdue_counts_working_days_past_the_deadline(store: Store) -> None:
    ctx = ctx_of(store)
    deadline = at("2025-01-27T17:00")
    # 0.5 h on Monday, 3.5 h on Wed 5 Feb: 4 of 7 working hours
    assert overdue_working_days(ctx, deadline, at("2025-02-05T12:00")) == pytest.approx(4 / 7)
    assert overdue_working_days(ctx, deadline, at("2025-01-27T16:00")) == 0
    late = CityContext(store, Config(), now=at("2025-02-10T17:30"))
    # Wed 5 to Mon 10 Feb (Sat 8 worked): 0.5 h + 5 full days
    assert overdue_working_days(late, deadline) == pytest.approx(5 + 0.5 / 7)


def test_unknown_items_and_conditions_name_what_exists(store: Store, tmp_path: Path) -> None:
    ctx = ctx_of(store)
    load_catalogue(ctx, write(tmp_path, CSV))
    reported = at("2025-03-03T10:00")
    with pytest.raises(BadInput, match=r"Unknown catalogue items: Q1\. .*include: A0101, B01"):
        deadline_for(ctx, "Q1", reported)
    with pytest.raises(BadInput, match=r"A have no registration condition"):
        deadline_for(ctx, "A", reported)
    with pytest.raises(
        BadInput, match=r"no condition 'x'; .*A0101-1 \(主次干道暴露垃圾\); A0101-2 \(重点区域"
    ):
        deadline_for(ctx, "A0101", reported, "x")
    frame = pd.DataFrame({"catalogue_code": ["A0101", "Q1"], "reported_at": [reported] * 2})
    with pytest.raises(BadInput, match="Unknown catalogue items: Q1"):
        deadlines(ctx, frame)
    with pytest.raises(BadInput, match="no condition 'B01-1'"):  # another item's condition
        deadlines(ctx, frame.iloc[:1].assign(condition="B01-1"))


def test_show_reads_back_entries_with_their_path_and_standards(
    store: Store, tmp_path: Path
) -> None:
    ctx = ctx_of(store)
    load_catalogue(ctx, write(tmp_path, CSV))
    entries = catalogue_entries(ctx).set_index("code")
    assert entries["conditions"].to_dict() == {"A": 0, "A01": 0, "A0101": 2, "B": 0, "B01": 1}
    found = catalogue_entry(ctx, "A0101")
    assert found.ancestors["code"].tolist() == ["A", "A01"]
    assert found.standards["code"].tolist() == ["A0101-1", "A0101-2"]
    assert catalogue_entry(ctx, "A").children["code"].tolist() == ["A01"]
    with pytest.raises(NotFound, match="no entry Z"):
        catalogue_entry(ctx, "Z")


def _replaced(rows: dict[int, str]) -> str:
    lines = [HEADER, *ROWS]
    for k, line in rows.items():
        if k < len(lines):
            lines[k] = line
        else:
            lines.append(line)
    return "\n".join(line for line in lines if line) + "\n"


BAD_CSV = {
    "cycle": (
        _replaced({7: "X,甲,item,Y,,,,,,c,1,working_days,", 8: "Y,乙,item,X,,,,,,,,,"}),
        r"go round in a circle: X -> Y -> X",
    ),
    "duplicate code": (_replaced({7: "B,公用设施二,section,,,,,,,,,,"}), r"code B is used twice"),
    "duplicate condition code": (
        "code,name,condition_code,condition,limit_value,limit_unit\n"
        "A,甲,S1,c1,1,working_days\nB,乙,S1,c2,1,working_days\n",
        r"condition code S1 is used twice",
    ),
    "limit without unit": (
        _replaced({6: "B01,井盖缺失,item,B,,,,,,井盖缺失,2,,"}),
        r"time limit 2 of B01 has no unit",
    ),
    "unit without limit": (
        _replaced({6: "B01,井盖缺失,item,B,,,,,,井盖缺失,,urgent_hours,"}),
        r"condition of B01 has no time limit",
    ),
    "unknown unit": (
        _replaced({6: "B01,井盖缺失,item,B,,,,,,井盖缺失,2,weeks,"}),
        r"row 7: 'weeks' is not a value of limit_unit",
    ),
    "zero limit": (
        _replaced({6: "B01,井盖缺失,item,B,,,,,,井盖缺失,0,working_days,"}),
        r"must be above 0",
    ),
    "condition without text": (
        _replaced({6: "B01,井盖缺失,item,B,,,,,,,2,working_days,"}),
        r"needs its text",
    ),
    "standard of a missing item": (
        _replaced({7: "Z99,,,,,,,,,走失,1,working_days,"}),
        r"a condition for Z99, but the catalogue has no entry Z99",
    ),
    "leaf without condition": (
        _replaced({7: "B02,路灯,item,B,,,,,,,,,"}),
        r"1 leaves of the catalogue have no registration condition: B02",
    ),
    "condition on a non-leaf": (
        _replaced({1: "A,市容环境,section,,,,,,,c,1,working_days,"}),
        r"A has entries below it",
    ),
    "missing parent": (
        _replaced({7: "C01,甲,item,C,,,,,,c,1,working_days,"}),
        r"parent C of C01 is not",
    ),
    "bad level": (
        _replaced({1: "A,市容环境,chapter,,,,,,,,,,"}),
        r"'chapter' is not a value of level",
    ),
    "row without code": (_replaced({7: ",甲,item,B,,,,,,c,1,working_days,"}), r"row 8 has no code"),
    "wrong columns": (
        "编号,名字\nA,甲\n",
        r"columns citygrid does not know: 编号, 名字.*条目编码, item code",
    ),
    "empty": ("\n\n", r"is empty"),
}


@pytest.mark.parametrize("case", list(BAD_CSV))
def test_bad_catalogues_are_refused_whole(store: Store, tmp_path: Path, case: str) -> None:
    text, message = BAD_CSV[case]
    version = store.data_version()
    with pytest.raises(BadInput, match=message):
        load_catalogue(ctx_of(store), write(tmp_path, text))
    assert store.count("catalogue") == store.count("standards") == 0
    assert store.data_version() == version


def test_bad_files_are_refused(store: Store, tmp_path: Path) -> None:
    ctx = ctx_of(store)
    cases = {
        write(tmp_path, "not a zip", "c.xlsx"): r"cannot be read as XLSX",
        write(tmp_path, "{oops", "c.json"): r"cannot be read as JSON",
        write(tmp_path, "a\x00b", "c.csv"): r"cannot be read as CSV",
        write(tmp_path, "x", "c.doc"): r"give a \.csv, \.xlsx or \.json file",
        tmp_path / "missing.csv": r"does not exist",
        write(tmp_path, json.dumps({"a": 1}), "d.json"): r"expected a list of entries",
        write(tmp_path, json.dumps([{"code": "A", "名字": "x"}]), "e.json"): r"does not know: 名字",
    }
    deep = _nested()
    node = deep[0]["children"][0]["children"][0]  # type: ignore[index]
    node["standards"] = []
    node["children"] = [{"code": "D", "name": "丁", "children": [{"code": "E", "name": "戊"}]}]
    cases[write(tmp_path, json.dumps(deep), "deep.json")] = r"E lies 5 levels deep"
    misplaced = _nested()
    misplaced[0]["children"][0]["children"][0]["standards"][0]["name"] = "x"  # type: ignore[index]
    cases[write(tmp_path, json.dumps(misplaced), "m.json")] = r"name describe a catalogue entry"
    for path, message in cases.items():
        with pytest.raises(BadInput, match=message):
            load_catalogue(ctx, path)
    assert store.count("catalogue") == 0


def test_a_held_catalogue_is_replaced_only_when_asked_and_kept_for_its_problems(
    store: Store, tmp_path: Path
) -> None:
    ctx = ctx_of(store)
    load_catalogue(ctx, write(tmp_path, CSV))
    smaller = write(tmp_path, _replaced({5: "", 6: ""}), "smaller.csv")
    with pytest.raises(Conflict, match=r"already holds a catalogue \(5 entries\).*--replace"):
        load_catalogue(ctx, smaller)
    problem = gpd.GeoDataFrame(
        {
            "code": ["P1"],
            "catalogue_code": ["B01"],
            "status": ["open"],
            "reported_at": [at("2025-03-03T10:00")],
        },
        geometry=[shapely.Point(112.98, 28.2)],
        crs="EPSG:4326",
    )
    store.write("problems", problem)
    with pytest.raises(Conflict, match=r"Problems refer to 1 catalogue items .*: B01"):
        load_catalogue(ctx, smaller, replace=True)
    assert store.count("catalogue") == 5
    store.delete("problems", ["P1"], actor="测试员")
    assert load_catalogue(ctx, smaller, replace=True) == {"catalogue": 3, "standards": 2}
    assert store.read("standards")["code"].tolist() == ["A0101-1", "A0101-2"]


def test_the_demo_gives_every_leaf_standards_and_its_problems_deadlines(
    demo_store: Store,
) -> None:
    ctx = ctx_of(demo_store)
    entries = catalogue_entries(ctx)
    leaves = entries[entries["level"] == "standard"]
    assert leaves["conditions"].between(1, 2).all()
    assert entries.loc[entries["level"] != "standard", "conditions"].eq(0).all()
    standards = demo_store.read("standards")
    assert set(standards["limit_unit"]) == {"urgent_hours", "working_hours", "working_days"}
    manhole = leaves.loc[leaves["name"] == "井盖缺失", "code"].item()
    assert deadline_for(ctx, manhole, at("2025-10-01T22:00")) == at("2025-10-02T00:00")
    problems = demo_store.read("problems", columns=["catalogue_code", "reported_at"], limit=3000)
    got = deadlines(ctx, problems)
    rng = np.random.default_rng(0)
    for k in rng.choice(len(problems), 100, replace=False):
        row = problems.iloc[k]
        expected = deadline_for(ctx, row["catalogue_code"], row["reported_at"].to_pydatetime())
        assert got.iloc[k] == pd.Timestamp(expected)
