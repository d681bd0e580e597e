"""Geometry checks: each problem refused with its rows, invalid shapes repaired and counted."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from citygrid.errors import BadInput
from citygrid.gis.validate import rows_text, validate_geometries

BOWTIE = shapely.Polygon([(116.0, 39.0), (116.1, 39.1), (116.1, 39.0), (116.0, 39.1)])
SQUARE = shapely.box(116.2, 39.0, 116.3, 39.1)


def check(geoms, geometry_type="MultiPolygon", geographic=True, strict=False, first_row=1):
    array = np.empty(len(geoms), dtype=object)
    array[:] = geoms
    rows = np.arange(first_row, first_row + len(geoms))
    return validate_geometries(
        array,
        rows,
        geometry_type=geometry_type,
        geographic=geographic,
        path="网格.shp",
        strict=strict,
    )


def test_valid_geometries_pass_unchanged() -> None:
    result = check([SQUARE, shapely.MultiPolygon([SQUARE])])
    assert len(result.repaired_rows) == 0
    assert shapely.equals(result.geometries[0], SQUARE)


def test_invalid_polygon_is_repaired_and_counted() -> None:
    result = check([SQUARE, BOWTIE, SQUARE], first_row=10)
    assert result.repaired_rows.tolist() == [11]
    assert shapely.is_valid(result.geometries).all()
    assert result.geometries[1].geom_type in ("Polygon", "MultiPolygon")
    # make_valid keeps both triangles of the bow tie (buffer(0) would drop one).
    assert result.geometries[1].area == pytest.approx(0.005, rel=1e-6)


def test_strict_refuses_invalid_geometry_naming_the_row() -> None:
    with pytest.raises(BadInput, match=r"网格\.shp: invalid geometries in rows 2 .*--strict"):
        check([SQUARE, BOWTIE], strict=True)


def test_null_and_empty_geometries_are_named() -> None:
    with pytest.raises(BadInput, match=r"rows 2, 3 have no geometry"):
        check([SQUARE, None, shapely.Polygon()])


def test_wrong_geometry_type() -> None:
    with pytest.raises(BadInput, match=r"holds Polygon geometries but this layer takes Point"):
        check([SQUARE, SQUARE], geometry_type="Point")


def test_mixed_geometry_types_name_the_odd_rows() -> None:
    line = shapely.LineString([(116.0, 39.0), (116.1, 39.1)])
    with pytest.raises(BadInput, match=r"mixes geometry types .* rows 2 have another type"):
        check([SQUARE, line, SQUARE])


def test_point_layer_takes_single_part_multipoints() -> None:
    result = check([shapely.MultiPoint([(116.4, 39.9)])], geometry_type="Point")
    assert result.geometries[0].geom_type == "Point"
    with pytest.raises(BadInput, match=r"rows 1 have several points"):
        check([shapely.MultiPoint([(116.4, 39.9), (116.5, 39.9)])], geometry_type="Point")


def test_geometry_layer_takes_any_simple_type() -> None:
    mixed = [shapely.Point(116.4, 39.9), SQUARE, shapely.LineString([(116, 39), (116.1, 39)])]
    result = check(mixed, geometry_type="Geometry")
    assert len(result.geometries) == 3


def test_z_and_m_values_are_dropped_and_plain_geometries_kept() -> None:
    plain = shapely.Point(116.3, 39.9)
    result = check(
        [
            shapely.Point(116.4, 39.9, 45.0),
            plain,
            shapely.from_wkt("POINT M (116.5 39.9 7)"),
            shapely.from_wkt("POINT ZM (116.6 39.9 45 7)"),
        ],
        geometry_type="Point",
    )
    assert shapely.to_wkt(result.geometries).tolist() == [
        "POINT (116.4 39.9)",
        "POINT (116.3 39.9)",
        "POINT (116.5 39.9)",
        "POINT (116.6 39.9)",
    ]
    assert not shapely.has_z(result.geometries).any()
    assert not shapely.has_m(result.geometries).any()
    assert result.geometries[1] is plain


def test_swapped_lat_lon_is_spotted() -> None:
    points = [shapely.Point(39.9, 116.4), shapely.Point(31.2, 121.5)]
    with pytest.raises(BadInput, match=r"rows 1, 2 have latitude where longitude should be"):
        check(points, geometry_type="Point")


def test_metres_in_a_degrees_file_are_spotted() -> None:
    with pytest.raises(BadInput, match=r"look like metres .* row 1.*--crs"):
        check([shapely.Point(39_500_000.0, 4_420_000.0)], geometry_type="Point")


def test_out_of_range_coordinates() -> None:
    with pytest.raises(BadInput, match=r"rows 2 have coordinates outside longitude"):
        check([shapely.Point(116.4, 39.9), shapely.Point(116.4, -95.0)], geometry_type="Point")


def test_projected_coordinates_are_not_range_checked() -> None:
    result = check([shapely.Point(500_000.0, 4_420_000.0)], geometry_type="Point", geographic=False)
    assert result.geometries[0].x == 500_000.0


def test_non_finite_coordinates() -> None:
    with pytest.raises(BadInput, match=r"rows 1 have coordinates that are not numbers"):
        check([shapely.Point(np.nan, 39.9)], geometry_type="Point", geographic=False)


def test_rows_text_shortens_long_lists() -> None:
    assert rows_text([1, 2, 3]) == "1, 2, 3"
    assert rows_text(range(1, 26)).endswith("10 (+15)")
