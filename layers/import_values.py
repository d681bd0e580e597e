"""Values read from a file, as the types of a layer's fields (import).

:func:`typed_column` turns a source column into the field's type (text,
whole numbers, numbers, true/false, dates and times, choices by value or
label); values that do not convert are refused with their row numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from citygrid.errors import BadInput
from citygrid.gis.validate import rows_text
from citygrid.i18n import _
from citygrid.layers.registry import Field

_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "y": True,
    "t": True,
    "是": True,
    "false": False,
    "0": False,
    "no": False,
    "n": False,
    "f": False,
    "否": False,
}
# Formats whose files say nothing about their CRS when they say nothing: refuse;
# GeoJSON and KML are WGS 84 by definition, CSV is read as WGS 84 unless told.


def typed_column(series: pd.Series, f: Field, rows: np.ndarray, path: str) -> pd.Series:
    """A source column as the field's type; values that do not convert are named by row.

    Parameters
    ----------
    series
        The column as read (text, numbers, dates...).
    f
        The field it fills.
    rows
        The file row number (from 1) of each value.
    path
        The file, for messages.

    Raises
    ------
    BadInput
        Values that are not of the field's type, or not among its choices.
    """
    present = series.notna().to_numpy().copy()
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        text = series.astype("string").str.strip()
        present &= (text != "").fillna(False).to_numpy()
        series = text.where(present, None)
    if f.choices:
        return _choice_column(series, f, rows, path, present)
    if f.type == "str":
        return _text_column(series, present)
    converted: pd.Series
    if f.type in ("int", "float"):
        values = pd.to_numeric(series, errors="coerce")
        bad = present & values.isna().to_numpy()
        if f.type == "int":
            bad |= present & ~np.isclose(values.fillna(0) % 1, 0)
            converted = values.round().astype("Int64")
        else:
            converted = values.astype("float64")
    elif f.type == "bool":
        if pd.api.types.is_bool_dtype(series.dtype):
            converted = series.astype("boolean")
        else:
            converted = series.astype("string").str.lower().map(_BOOLEANS).astype("boolean")
        bad = present & converted.isna().to_numpy()
    else:
        converted = _datetimes(series)
        bad = present & converted.isna().to_numpy()
    if bad.any():
        first = np.flatnonzero(bad)[0]
        raise BadInput(
            "{path}: rows {rows} have values that are not {type} in field {field} (e.g. "
            "{value!r}); fix them, or map another column with --map.",
            path=path,
            rows=rows_text(rows[bad]),
            type=_type_words(f.type),
            field=f.name,
            value=str(series.iloc[first]),
        )
    return converted.where(present, None) if f.type in ("datetime", "date") else converted


def _type_words(field_type: str) -> str:
    """How a type is named in messages, in the current language."""
    words = {
        "int": _("whole numbers"),
        "float": _("numbers"),
        "bool": _("true/false"),
        "datetime": _("dates or times"),
        "date": _("dates"),
    }
    return words[field_type]


def _text_column(series: pd.Series, present: np.ndarray) -> pd.Series:
    """Text; whole numbers read as floats (shapefile codes) lose their ``.0``."""
    if pd.api.types.is_float_dtype(series.dtype):
        whole = series.notna() & (series % 1 == 0)
        text = series.astype("string")
        text[whole] = series[whole].astype("int64").astype("string")
        series = text
    elif pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = series.dt.strftime("%Y-%m-%d %H:%M:%S")
    out = series.astype("string").astype(object)
    return out.where(present, None)


def _choice_column(
    series: pd.Series, f: Field, rows: np.ndarray, path: str, present: np.ndarray
) -> pd.Series:
    """Choice values, accepting their zh and en labels too (English in any case)."""
    lookup = {}
    for choice in f.choices or ():
        for key in (choice.value, choice.zh, choice.en):
            lookup[key.lower()] = choice.value
    text = _text_column(series, present)
    # A choice column holds a handful of distinct texts: each is looked up once.
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    known = np.array([lookup.get(str(u).lower()) for u in uniques] + [None], dtype=object)
    values = pd.Series(known[codes], index=text.index, dtype=object)
    bad = present & values.isna().to_numpy()
    if bad.any():
        unknown = sorted(set(text[bad].astype(str)))
        raise BadInput(
            "{path}: rows {rows} have values not allowed in {field}: {values}. Use one of: "
            "{known} (or their labels).",
            path=path,
            rows=rows_text(rows[bad]),
            field=f.name,
            values=", ".join(unknown[:10]),
            known=", ".join(f.choice_values()),
        )
    return values.where(present, None)


def _datetimes(series: pd.Series) -> pd.Series:
    """Dates and times; time-zone-aware ones keep their wall-clock time."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series
    else:
        text = series.astype("string")
        values = pd.to_datetime(text, errors="coerce", format="ISO8601")
        retry = values.isna() & text.notna()
        if retry.any():
            values = values.astype("datetime64[us]") if values.dt.tz is None else values
            values[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values
