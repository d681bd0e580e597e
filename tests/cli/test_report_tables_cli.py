"""Tables for people and the ranking map, on both backends: tables fitted to a fixed
width (plain, since tests have no terminal), names beside codes, history as field
changes, ``--out`` to XLSX and CSV, ``rank --map`` as PNG and PDF, and every bad input
refused with exit status 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from PIL import Image
from report_city import MONTH, build_report_city
from report_cli import ok, refused
from rich.cells import cell_len

from citygrid.layers.store import Store


@pytest.fixture
def city_url(database_url: str) -> str:
    store = Store.open(database_url)
    build_report_city(store)
    store.close()
    return database_url


@pytest.mark.parametrize("width", [50, 72, 120])
def test_a_table_never_runs_wider_than_the_width(city_url: str, width: int) -> None:
    out = ok(city_url, "workload", lang="zh_CN", width=width)
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert lines[1].startswith("+-")  # plain ASCII rules: stdout is no terminal
    assert "单位编码" in out or "责任单位" in out
    if width == 50:
        assert "为适应终端宽度未显示" in out


def test_changes_and_names_beside_codes(city_url: str) -> None:
    ok(city_url, "assign", "grids", "G01", "--unit", "U_SW", "--reason", "创卫")
    out = ok(city_url, "history", "grids", "G01", lang="zh_CN")
    assert "责任单位" in out
    assert " → " in out
    assert "{" not in out  # no raw JSON
    assert "U_SW" in out


def test_out_writes_xlsx_formatted_for_printing(city_url: str, tmp_path: Path) -> None:
    path = tmp_path / "考核.xlsx"
    out = ok(
        city_url, "stats", "--since", "2025-09-01", "--until", "2025-09-30", "--out", str(path)
    )
    assert "Wrote" in out
    assert str(path) in out
    sheet = load_workbook(path).active
    assert sheet is not None
    assert sheet["A2"].font.bold
    assert sheet.freeze_panes == "A3"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.column_dimensions["B"].width >= 8


def test_out_writes_csv_with_a_bom_and_quoted_formulas(city_url: str, tmp_path: Path) -> None:
    ok(city_url, "assign", "grids", "G01", "--unit", "U_SW", "--reason", "=1+2")
    path = tmp_path / "history.csv"
    ok(city_url, "history", "grids", "G01", "--out", str(path), lang="zh_CN")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "字段" in text
    assert "'=1+2" in text


def test_bad_out_is_refused_and_nothing_written(city_url: str, tmp_path: Path) -> None:
    assert "XLSX or CSV" in refused(city_url, "workload", "--out", str(tmp_path / "w.txt"))
    assert not (tmp_path / "w.txt").exists()
    kept = tmp_path / "w.csv"
    kept.write_text("keep", encoding="utf-8")
    assert "--overwrite" in refused(city_url, "workload", "--out", str(kept))
    assert kept.read_text(encoding="utf-8") == "keep"
    ok(city_url, "workload", "--out", str(kept), "--overwrite")
    assert kept.read_text(encoding="utf-8-sig") != "keep"


@pytest.mark.parametrize(
    ("name", "paper", "by", "size"),
    [("rank.png", "A4", "cell", (3508, 2480)), ("rank.png", "A3", "subdistrict", (4961, 3508))],
)
def test_rank_map_png(
    city_url: str, tmp_path: Path, name: str, paper: str, by: str, size: tuple[int, int]
) -> None:
    path = tmp_path / name
    ok(city_url, "rank", "--month", MONTH, "--map", str(path), "--paper", paper, "--map-by", by)
    with Image.open(path) as image:
        image.load()
        assert image.size == size


def test_rank_map_pdf_has_the_chinese_title(city_url: str, tmp_path: Path) -> None:
    path = tmp_path / "rank.pdf"
    ok(city_url, "rank", "--month", MONTH, "--map", str(path), lang="zh_CN")
    assert path.read_bytes().startswith(b"%PDF")
    pypdf = pytest.importorskip("pypdf")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    assert "月评得分" in text


def test_rank_map_bad_input(city_url: str, tmp_path: Path) -> None:
    assert "png" in refused(city_url, "rank", "--month", MONTH, "--map", str(tmp_path / "r.gif"))
    refused(city_url, "rank", "--month", MONTH, "--map", str(tmp_path / "r.png"), "--map-by", "x")
    refused(
        city_url, "rank", "--month", MONTH, "--level", "nowhere", "--map", str(tmp_path / "r.png")
    )
    refused(city_url, "rank", "--month", "2030-01", "--map", str(tmp_path / "r.png"))
    refused(city_url, "history", "grids", "G01", "--out", str(tmp_path / "h.gpkg"))
    refused(city_url, "history", "grids", "NOPE", "--out", str(tmp_path / "h.csv"))
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".db"]


def test_values_read_as_people_read_them() -> None:
    from datetime import date, datetime

    from citygrid.services.tables.model import text

    assert text(datetime(2024, 7, 6, 18, 50, 33)) == "2024-07-06 18:50"
    assert text(date(2024, 7, 6)) == "2024-07-06"
    assert text(3.5000001) == "3.5"
    assert text(float("nan")) == ""
    assert text(None) == ""


def test_columns_go_in_the_stated_order_and_the_first_never() -> None:
    import pandas as pd

    from citygrid.cli.tables import fit_table, make_table

    frame = pd.DataFrame(
        {"unit_code": ["U1"], "unit_name": ["城管局"], "open_problems": [3], "points_toilet": [1]}
    )
    table = make_table(frame, "t", drop_first=["points_toilet"])
    fitted, dropped = fit_table(table, 30)
    assert fitted.columns[0].key == "unit_code"
    assert "points_toilet" not in [c.key for c in fitted.columns]
    assert dropped[0] == table.columns[-1].label
    narrowest, _ = fit_table(table, 5)
    assert [c.key for c in narrowest.columns] == ["unit_code"]


def test_a_long_table_prints_its_first_rows_and_the_file_gets_every_row(tmp_path: Path) -> None:
    import click
    import pandas as pd

    from citygrid.cli.tables import print_table, table_output

    frame = pd.DataFrame({"code": [f"P{i:04d}" for i in range(250)], "name": ["井盖缺失"] * 250})

    @click.command()
    @table_output
    def listing() -> None:
        print_table(frame, "问题", limit=200)

    printed = CliRunner(env={"COLUMNS": "80"}).invoke(listing, [])
    assert printed.exit_code == 0, printed.output
    assert "P0199" in printed.output
    assert "P0200" not in printed.output
    assert "50 more rows; --out" in printed.output
    path = tmp_path / "问题.csv"
    written = CliRunner().invoke(listing, ["--out", str(path)])
    assert written.exit_code == 0, written.output
    text = path.read_text(encoding="utf-8-sig")
    assert "P0249" in text
    assert text.count("井盖缺失") == 250
