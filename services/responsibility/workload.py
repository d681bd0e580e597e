"""Each unit's and each head's load: what they hold of each responsible layer, and problems.

A feature of a responsible layer counts for the unit and head it names
(its :class:`~citygrid.layers.registry.Responsibility` says which fields),
by the layer's measure: features counted, km of lines or km² of areas.
Problems count for the unit and head they are routed to: open means a
status of :data:`~citygrid.layers.base_layers.OPEN_STATUSES`, overdue
means open with a deadline before ``now``. Lengths and areas are measured
in the city's metric CRS.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from citygrid.errors import BadInput
from citygrid.layers.base_layers import OPEN_STATUSES
from citygrid.layers.io import write_layer_file
from citygrid.layers.registry import Layer, responsible_layers
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.responsibility.layers import duty

By = Literal["unit", "head"]
_SUFFIX = {"count": "", "length": "_km", "area": "_km2"}
_PER_KM = {"count": 1.0, "length": 1e-3, "area": 1e-6}


def held_columns() -> list[str]:
    """The columns of what is held, one per responsible layer by its measure, in chain order.

    ``<layer>`` counts features, ``<layer>_km`` sums lengths in km and
    ``<layer>_km2`` areas in km² (``points``, ``streets_km``, ``alleys_km``,
    ``grids_km2`` for the built-in layers).
    """
    return [layer.name + _SUFFIX[duty(layer).measure] for layer in responsible_layers()]


def count_columns() -> list[str]:
    """The count columns of a workload table, before the breakdown ones."""
    return [*held_columns(), "open_problems", "overdue_problems"]


def workload(ctx: CityContext, *, by: By = "unit") -> pd.DataFrame:
    """The load of every unit (``by="unit"``) or every head (``by="head"``).

    Parameters
    ----------
    ctx
        The city: lengths and areas are measured in ``ctx.metric_crs``;
        deadlines are compared with ``ctx.now``.
    by
        ``unit``: one row per unit; ``head``: one row per person who heads a
        responsible feature or has problems routed to them.

    Returns
    -------
    pandas.DataFrame
        ``unit_code``, ``unit_name`` (and ``head_code``, ``head_name`` by
        head), :func:`held_columns` (``grids_km2``, ``streets_km``,
        ``alleys_km``, ``points``), and for a layer with a breakdown field
        (points) ``<layer>_<value>`` for every value of that field in the
        registry's order (so monthly exports line up), ``open_problems``
        and ``overdue_problems``; sorted by code, zeros where nothing is
        held.
    """
    if by not in ("unit", "head"):
        raise BadInput("Workload is counted by unit or by head, not {by!r}.", by=by)
    key = "unit_code" if by == "unit" else "head_code"
    store = ctx.store
    parts = [_held(ctx, layer, key) for layer in responsible_layers()]
    parts.append(_problems(store, key, ctx.now))
    table = pd.concat(parts, axis=1)
    table.index.name = key
    owners = _owners(store, by)
    table = owners.join(table, how="outer") if by == "head" else owners.join(table, how="left")
    counts = [c for c in table.columns if c not in owners.columns]
    table[counts] = table[counts].fillna(0)
    for layer, column in zip(responsible_layers(), held_columns(), strict=True):
        if duty(layer).measure == "count":
            table[column] = table[column].astype("int64")
        else:
            table[column] = table[column].astype(float).round(3)
    breakdown = [c for c in counts if c not in count_columns()]
    table[breakdown] = table[breakdown].astype("int64")
    for column in ("open_problems", "overdue_problems"):
        table[column] = table[column].astype("int64")
    ordered = [*owners.columns, *held_columns(), *breakdown, "open_problems", "overdue_problems"]
    return table[ordered].sort_index().reset_index()


def _held(ctx: CityContext, layer: Layer, key: str) -> pd.DataFrame:
    """What each unit (or head) holds of one layer: its measure, and its breakdown."""
    rules = duty(layer)
    field = rules.unit_field if key == "unit_code" else rules.head_field
    column = layer.name + _SUFFIX[rules.measure]
    if field is None:
        return pd.DataFrame(columns=[column], dtype=float)
    extra = [rules.breakdown] if rules.breakdown else []
    frame = ctx.store.read(layer.name, columns=[field, *extra])
    if rules.measure == "count":
        amount = np.ones(len(frame))
    else:
        metric = frame.geometry.to_crs(ctx.metric_crs)
        size = metric.length if rules.measure == "length" else metric.area
        amount = size.to_numpy(dtype=float) * _PER_KM[rules.measure]
    owner = frame[field].to_numpy(dtype=object)
    out = pd.Series(amount).groupby(owner).sum().rename(column).to_frame()
    if rules.breakdown:
        values = layer.field(rules.breakdown).choice_values()
        by_value = pd.crosstab(frame[field], frame[rules.breakdown])
        by_value = by_value.reindex(columns=values, fill_value=0).add_prefix(f"{layer.name}_")
        out = out.join(by_value, how="outer")
    return out


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
