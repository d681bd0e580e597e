"""Values as the database takes them: dates as ISO text, rows built once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citygrid.layers.frames import DATETIME_TEXT, ColumnValues, column_lists, column_values
from citygrid.layers.registry import get_layer


def _stamps() -> pd.Series:
    rng = np.random.default_rng(7)
    seconds = pd.to_timedelta(rng.integers(0, 4_000_000_000, 500), unit="s")
    micros = pd.to_timedelta(rng.integers(0, 1_000_000, 500), unit="us")
    stamps = pd.Series(pd.Timestamp("1900-01-01") + seconds + micros)
    stamps[::7] = pd.NaT
    return stamps


@pytest.mark.parametrize(("kind", "form"), [("datetime", DATETIME_TEXT), ("date", "%Y-%m-%d")])
def test_dates_become_the_iso_text_of_strftime_and_missing_ones_none(kind: str, form: str) -> None:
    stamps = _stamps()
    expected = [None if pd.isna(v) else v.strftime(form) for v in stamps]
    assert column_values(stamps, kind) == expected


def test_times_with_a_zone_are_stored_as_their_local_wall_time() -> None:
    local = pd.Series(pd.to_datetime(["2026-11-29 08:30:00.25"]).tz_localize("Asia/Shanghai"))
    assert column_values(local, "datetime") == ["2026-11-29 08:30:00.250000"]


def test_rows_put_the_leading_and_trailing_columns_around_the_fields() -> None:
    frame = pd.DataFrame({"code": ["问题1", "问题2"], "reports": [3, None]})
    values = column_lists(frame, get_layer("problems"), ["code", "reports"])
    assert values.count == 2
    assert values.rows([7, 8], after=[b"a", b"b"]) == [
        (7, "问题1", 3, b"a"),
        (8, "问题2", None, b"b"),
    ]
    assert values.rows() == [("问题1", 3), ("问题2", None)]


def test_rows_of_no_columns_are_empty_tuples_one_per_row() -> None:
    assert ColumnValues([], 3).rows() == [(), (), ()]


def test_rows_refuse_columns_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="zip"):
        ColumnValues([["a", "b"]], 2).rows([1])
