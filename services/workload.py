"""Each unit's and each head's load: cells, street and alley kilometres, points, problems.

A cell counts for the unit and grid manager it names, a street, alley or
point for its unit and head. Problems count for the unit and head they are
routed to: open means any status but ``closed``, overdue means open with a
deadline before ``now``. Lengths are measured in the city's metric CRS.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.layers.io import write_layer_file
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.reroute import OPEN_STATUSES
from citygrid.services.responsibility import HEAD_FIELDS
from citygrid.services.routing import city_metric_crs

By = Literal["unit", "head"]
#: The count columns of a workload table, before the ``points_<type>`` ones.
COUNT_COLUMNS = ["cells", "streets_km", "alleys_km", "points", "open_problems", "overdue_problems"]


def workload(
    store: Store, config: Config, *, by: By = "unit", now: datetime | None = None
) -> pd.DataFrame:
    """The load of every unit (``by="unit"``) or every head (``by="head"``).

    Parameters
    ----------
    config
        Its ``metric_crs`` chooses the CRS lengths are measured in.
    by
        ``unit``: one row per unit; ``head``: one row per person who heads a
        cell, street, alley or point or has problems routed to them.
    now
        The time deadlines are compared with (default: the current time).

    Returns
    -------
    pandas.DataFrame
        ``unit_code``, ``unit_name`` (and ``head_code``, ``head_name`` by
        head), ``cells``, ``streets_km``, ``alleys_km`` (kilometres),
        ``points`` and ``points_<type>`` for every point type of the
        registry (in its order, so monthly exports line up), ``open_problems``
        and ``overdue_problems``; sorted by code, zeros where nothing is held.
    """
    if by not in ("unit", "head"):
        raise BadInput("Workload is counted by unit or by head, not {by!r}.", by=by)
    key = "unit_code" if by == "unit" else "head_code"
    parts = [
        _counts(store, "grids", "cells", key),
        _lengths(store, config, "streets", key),
        _lengths(store, config, "alleys", key),
        _points(store, key),
        _problems(store, key, now or datetime.now()),
    ]
    table = pd.concat(parts, axis=1).fillna(0)
    table.index.name = key
    owners = _owners(store, by)
    table = owners.join(table, how="outer") if by == "head" else owners.join(table, how="left")
    for column in table.columns:
        if column in COUNT_COLUMNS or column.startswith("points_"):
            table[column] = table[column].fillna(0)
    for column in ("cells", "points", "open_problems", "overdue_problems"):
        table[column] = table[column].astype("int64")
    for column in ("streets_km", "alleys_km"):
        table[column] = table[column].astype(float).round(3)
    point_types = [c for c in table.columns if c.startswith("points_")]
    table[point_types] = table[point_types].astype("int64")
    ordered = [*[c for c in table.columns if c not in COUNT_COLUMNS + point_types]]
    ordered += [*COUNT_COLUMNS[:4], *point_types, *COUNT_COLUMNS[4:]]
    return table[ordered].sort_index().reset_index()


def _field(layer: str, key: str) -> str:
    return HEAD_FIELDS[layer] if key == "head_code" else key


def _counts(store: Store, layer: str, name: str, key: str) -> pd.Series:
    field = _field(layer, key)
    frame = store.read(layer, columns=[field], where=None)
    return frame.groupby(field).size().rename(name)


def _lengths(store: Store, config: Config, layer: str, key: str) -> pd.Series:
    field = _field(layer, key)
    frame = store.read(layer, columns=[field])
    name = f"{layer}_km"
    if frame.empty:
        return pd.Series(dtype=float, name=name)
    km = frame.to_crs(city_metric_crs(store, config)).length.to_numpy() / 1000.0
    return pd.Series(km).groupby(frame[field].to_numpy()).sum().rename(name)


def _points(store: Store, key: str) -> pd.DataFrame:
    field = _field("points", key)
    points = store.read("points", columns=[field, "point_type"])
    types = get_layer("points").field("point_type").choice_values()
    by_type = pd.crosstab(points[field], points["point_type"])
    by_type = by_type.reindex(columns=types, fill_value=0).add_prefix("points_")
    by_type.insert(0, "points", by_type.sum(axis=1))
    return by_type


def _problems(store: Store, key: str, now: datetime) -> pd.DataFrame:
    problems = store.read(
        "problems", columns=[key, "deadline"], where={"status": list(OPEN_STATUSES)}
    )
    overdue = (problems["deadline"] < pd.Timestamp(now)).to_numpy()
    grouped = pd.DataFrame(
        {key: problems[key], "open_problems": 1, "overdue_problems": overdue.astype(np.int64)}
    )
    return grouped.groupby(key).sum()


def _owners(store: Store, by: By) -> pd.DataFrame:
    units = store.read("units", columns=["code", "name"])
    units = units.rename(columns={"code": "unit_code", "name": "unit_name"})
    if by == "unit":
        return units.set_index("unit_code")[["unit_name"]]
    people = store.read("people", columns=["code", "name", "unit_code"])
    people = people.rename(columns={"code": "head_code", "name": "head_name"})
    people = people.merge(units[["unit_code", "unit_name"]], on="unit_code", how="left")
    return people.set_index("head_code")[["head_name", "unit_code", "unit_name"]]


def export_workload(
    table: pd.DataFrame, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write a workload table to CSV (or GeoPackage by the file's extension).

    An existing file is refused unless ``overwrite`` (see
    :func:`citygrid.layers.exporting.write_layer_file`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return write_layer_file(table, path, overwrite=overwrite)
