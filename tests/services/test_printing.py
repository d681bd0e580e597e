"""Printed maps: page size, formats, fonts, context layers, the subtitle, safe writing."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import hotspot_city
import numpy as np
import pytest
import shapely
from matplotlib import font_manager
from PIL import Image

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict
from citygrid.i18n import language
from citygrid.layers.hotspot_layers import GI_BIN_COLOURS
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.hotspots.hot_spots import run_hot_spots
from citygrid.services.hotspots.params import HotSpotParams
from citygrid.services.printing import fonts
from citygrid.services.printing.analysis_maps import describe, print_analysis
from citygrid.services.printing.context import map_context
from citygrid.services.printing.paper import Page, parse_page
from citygrid.services.printing.sheet import MapSheet, print_map

MAIN_ROAD = "天河路"


@pytest.fixture
def city(store: Store) -> CityContext:
    """The hot-spot city with two segments of one main road and a branch road."""
    hotspot_city.build_city(store)
    x0, y0 = hotspot_city.ORIGIN
    mid = y0 + hotspot_city.SIDE * hotspot_city.CELL_M / 2
    lines = [
        shapely.LineString([(x0 + 10, mid), (x0 + 1500, mid)]),
        shapely.LineString([(x0 + 1500, mid), (x0 + 3000, mid)]),
        shapely.LineString([(x0 + 500, y0 + 10), (x0 + 500, y0 + 3000)]),
    ]
    streets = gpd.GeoDataFrame(
        {
            "code": ["J1", "J2", "J3"],
            "name": [MAIN_ROAD, MAIN_ROAD, "小支路"],
            "road_class": ["main", "main", "branch"],
        },
        geometry=lines,
        crs=hotspot_city.METRIC,
    ).to_crs(4326)
    store.write("streets", streets, actor="test")
    return CityContext(store, Config(database_url=store.url))


@pytest.fixture(scope="module")
def hot_result(tmp_path_factory: pytest.TempPathFactory) -> tuple[CityContext, object]:
    """Hot spots on the city's grid cells, computed once (SQLite)."""
    folder = tmp_path_factory.mktemp("printing")
    store = Store.open(f"sqlite:///{folder / 'city.db'}", check_schema=False)
    store.init()
    hotspot_city.build_city(store)
    ctx = CityContext(store, Config(database_url=store.url))
    params = HotSpotParams(cells="grids", weights="queen", permutations=99, seed=1, statuses="open")
    return ctx, run_hot_spots(ctx, params)


def test_a4_landscape_png_at_300_dpi_in_the_layer_colours(hot_result, tmp_path: Path) -> None:
    ctx, result = hot_result
    with language("zh_CN"):
        image = print_analysis(ctx, result, tmp_path / "热点图.png")
    assert image.note is None, "CI installs fonts-noto-cjk"
    assert image.font == fonts.cjk_font()
    with Image.open(image.path) as png:
        assert png.size == (3508, 2480)  # 297 x 210 mm at 300 dpi
        pixels = np.asarray(png.convert("RGB")).reshape(-1, 3)
    hottest = result.frame["gi_bin"].max()
    colour = GI_BIN_COLOURS[str(hottest)].lstrip("#")
    rgb = np.array([int(colour[i : i + 2], 16) for i in (0, 2, 4)])
    assert (np.abs(pixels - rgb).sum(axis=1) == 0).sum() > 1000


def test_a3_portrait_pdf(hot_result, tmp_path: Path) -> None:
    ctx, result = hot_result
    image = print_analysis(ctx, result, tmp_path / "map.pdf", page=parse_page("a3", "Portrait"))
    data = image.path.read_bytes()
    assert data[:5] == b"%PDF-"
    box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", data)
    assert box is not None
    width, height = (float(v) for v in box.groups())
    assert width == pytest.approx(841.89, abs=0.5)  # 297 mm in points
    assert height == pytest.approx(1190.55, abs=0.5)  # 420 mm


def test_the_subtitle_says_only_open_problems_were_counted(hot_result) -> None:
    _ctx, result = hot_result
    with language("zh_CN"):
        text = describe(result)
    assert "仅计" in text
    assert "待处置" in text
    assert "2024-01" in text
    with language("en"):
        assert "only problems that are" in describe(result)


def test_context_has_subdistricts_and_main_roads_merged_by_name(city: CityContext) -> None:
    context = map_context(city, shapely.box(-180, -90, 180, 90))
    assert list(context.subdistricts["name"]) == ["天河示范街道"]
    assert list(context.roads["name"]) == [MAIN_ROAD]  # two segments, one road; branch left out
    assert context.roads.geometry.iloc[0].length > 0


def test_unknown_paper_orientation_dpi_and_suffix_are_refused(hot_result, tmp_path: Path) -> None:
    ctx, result = hot_result
    with pytest.raises(BadInput, match="A4, A3"):
        parse_page("B5", "landscape")
    with pytest.raises(BadInput, match="landscape or portrait"):
        parse_page("A4", "sideways")
    with pytest.raises(BadInput, match="dpi"):
        Page(dpi=5000)
    with pytest.raises(BadInput, match=r"\.png or \.pdf"):
        print_analysis(ctx, result, tmp_path / "map.jpg")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_map_is_kept_unless_overwrite(hot_result, tmp_path: Path) -> None:
    ctx, result = hot_result
    target = tmp_path / "map.png"
    target.write_bytes(b"keep me")
    with pytest.raises(Conflict, match="--overwrite"):
        print_analysis(ctx, result, target)
    assert target.read_bytes() == b"keep me"
    print_analysis(ctx, result, target, overwrite=True)
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_into_a_missing_folder(hot_result, tmp_path: Path) -> None:
    ctx, result = hot_result
    with pytest.raises(BadInput, match="does not exist"):
        print_analysis(ctx, result, tmp_path / "no" / "map.png")


def test_without_a_chinese_font_labels_fall_back_to_english(
    hot_result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, result = hot_result
    monkeypatch.setattr("citygrid.services.printing.sheet.cjk_font", lambda: None)
    with language("zh_CN"):
        image = print_analysis(ctx, result, tmp_path / "map.png")
    assert image.note is not None
    assert "fonts-noto-cjk" in image.note
    assert image.font == "DejaVu Sans"


def test_a_font_matplotlib_has_not_cached_is_found_through_fontconfig(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager = font_manager.fontManager
    without_cjk = [f for f in manager.ttflist if f.name not in fonts.CJK_FONTS]
    monkeypatch.setattr(manager, "ttflist", without_cjk)
    fonts.cjk_font.cache_clear()
    try:
        found = fonts.cjk_font()
    finally:
        fonts.cjk_font.cache_clear()
    assert found in fonts.CJK_FONTS
    assert any(f.name == found for f in manager.ttflist)


def test_print_map_of_an_empty_layer_still_draws_a_page(tmp_path: Path) -> None:
    empty = gpd.GeoDataFrame({"gi_bin": []}, geometry=[], crs=4326)
    sheet = MapSheet(title="空", subtitle="-", source="test", page=Page(dpi=72))
    image = print_map(
        {"hotspots": empty}, tmp_path / "empty.png", sheet=sheet, crs=hotspot_city.METRIC
    )
    with Image.open(image.path) as png:
        assert png.size == (842, 595)  # 297 x 210 mm at 72 dpi
