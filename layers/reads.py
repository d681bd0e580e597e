"""Reading stored layers as frames: filters by bbox, geometry and field values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from citygrid.errors import BadInput, NotFound
from citygrid.layers.adbc_reads import RangeTypeMismatch, fetch_arrow
from citygrid.layers.columnar import arrow_columns, fetch_columns
from citygrid.layers.connections import StoreConnections
from citygrid.layers.frames import STORAGE_CRS, Bbox, raw, region
from citygrid.layers.registry import Layer, get_layer
from citygrid.layers.sql import one_of

_DTYPES = {"str": object}  # texts stay objects with None for missing (no inferred string dtype)
_ALWAYS_SET = ("fid", "version")  # NOT NULL: plain int64 rather than Int64


def _frame(
    columns: dict[str, Any], kinds: Mapping[str, str], geometries: Any = None
) -> pd.DataFrame:
    """A frame of fetched columns (each already of its field's type), texts as objects, plus
    a geometry column in EPSG:4326 if ``geometries`` are given.

    Built from one Series per column, none copied (the arrays are the read's own): a frame
    made first and typed after would copy every column several times over, and a frame
    made of them with copying would gather the columns of each type into one block
    (a second for a million rows).
    """
    series = {n: pd.Series(v, dtype=_DTYPES.get(kinds[n]), copy=False) for n, v in columns.items()}
    for name in _ALWAYS_SET:
        if name in series:
            series[name] = series[name].astype("int64")
    if geometries is None:
        return pd.DataFrame(series, copy=False)
    series["geometry"] = gpd.GeoSeries(geometries, crs=STORAGE_CRS)
    return gpd.GeoDataFrame(series, geometry="geometry", crs=STORAGE_CRS, copy=False)


class FrameReads(StoreConnections):
    """Reads of the store (part of :class:`~citygrid.layers.store.Store`)."""

    def count(
        self,
        layer_name: str,
        conn: sa.Connection | None = None,
        *,
        filters: Sequence[sa.ColumnElement[bool]] = (),
    ) -> int:
        """Number of features in a stored layer (those passing ``filters``, conditions
        on :meth:`table` columns)."""
        table = self.table(layer_name)
        stmt = sa.select(sa.func.count()).select_from(table).where(*filters)
        with self._conn(conn, write=False) as c:
            return int(c.execute(stmt).scalar_one())

    def count_by(
        self,
        layer_name: str,
        fields: Sequence[str],
        *,
        filters: Sequence[sa.ColumnElement[bool]] = (),
        month_of: str | None = None,
        conn: sa.Connection | None = None,
    ) -> pd.DataFrame:
        """Count features per distinct value of ``fields`` with one GROUP BY in the database.

        Parameters
        ----------
        layer_name
            A stored layer.
        fields
            Fields to group by (none: one row counting every feature).
        filters
            Conditions on :meth:`table` columns, as :meth:`read` takes them.
        month_of
            A date or datetime field: also group by its month, given in a
            ``month`` column as the first instant of the month.

        Returns
        -------
        pandas.DataFrame
            One row per group (missing values form their own group, as
            ``None``): the ``fields``, ``month`` and ``count``, in no
            particular order. With no ``fields`` and no
            ``month_of`` there is exactly one row.
        """
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        keys: list[sa.ColumnElement[Any]] = [table.c[layer.field(n).name] for n in fields]
        if month_of is not None:
            keys.append(
                self.backend.month_start(table.c[layer.field(month_of).name]).label("month")
            )
        stmt = sa.select(*keys, sa.func.count().label("count")).select_from(table).where(*filters)
        if keys:
            stmt = stmt.group_by(*keys)
        kinds = {n: layer.field(n).type for n in fields}
        if month_of is not None:
            kinds["month"] = "datetime"
        kinds["count"] = "int"
        with self._conn(conn, write=False) as c:
            columns = fetch_columns(c, stmt, kinds)
        columns["count"] = columns["count"].astype("int64")
        return _frame(columns, kinds)

    def value_range(
        self,
        layer_name: str,
        field: str,
        *,
        filters: Sequence[sa.ColumnElement[bool]] = (),
        conn: sa.Connection | None = None,
    ) -> tuple[Any, Any]:
        """The smallest and largest value of ``field`` among the features passing ``filters``:
        dates as ``numpy.datetime64``, numbers and texts as they are; both missing (``NaT``,
        ``<NA>``, ``None``, as :meth:`read` gives them) when no feature has a value.

        Each bound is its own aggregate, so that an index on the field answers it at once
        where one query taking both would scan the layer.
        """
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        kind = layer.field(field).type
        column = raw(table.c[layer.field(field).name], kind)

        def bound(aggregate: Any) -> sa.ScalarSelect[Any]:
            return sa.select(aggregate(column)).where(*filters).scalar_subquery()

        stmt = sa.select(bound(sa.func.min).label("low"), bound(sa.func.max).label("high"))
        with self._conn(conn, write=False) as c:
            found = fetch_columns(c, stmt, {"low": kind, "high": kind})
        return found["low"][0], found["high"][0]

    def read(
        self,
        layer_name: str,
        *,
        bbox: Bbox | None = None,
        intersects: shapely.Geometry | None = None,
        where: Mapping[str, Any] | None = None,
        filters: Sequence[sa.ColumnElement[bool]] = (),
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        order_by: str | None = "fid",
        sort: Sequence[tuple[str, bool]] = (),
        offset: int = 0,
        conn: sa.Connection | None = None,
    ) -> pd.DataFrame:
        """Read features of a layer as a (Geo)DataFrame.

        Parameters
        ----------
        layer_name
            A stored layer.
        bbox
            ``(minx, miny, maxx, maxy)`` in EPSG:4326: keep features whose
            geometry intersects this rectangle.
        intersects
            Keep features whose geometry intersects this EPSG:4326 geometry.
        where
            Equality filters ``{field: value}``; a list or tuple value means
            "any of", ``None`` means "is null".
        filters
            Further SQLAlchemy conditions on :meth:`table` columns.
        columns
            Fields to read (``fid``, ``version`` and the geometry always are).
        limit
            At most this many features.
        order_by
            Column to sort by (default ``fid``); ``None`` for any order.
        sort
            Fields to sort by first, each with whether it sorts descending
            (missing values last); ``order_by`` then breaks ties, in the
            direction of the last of them.
        offset
            Skip this many features (of the order) before the first returned.

        Returns
        -------
        geopandas.GeoDataFrame or pandas.DataFrame
            A GeoDataFrame in EPSG:4326 with a ``geometry`` column for
            spatial layers, else a DataFrame.
        """
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        wanted = list(layer.field_names if columns is None else columns)
        for name in wanted:
            if name not in table.c:
                layer.field(name)  # raises NotFound naming the known fields
        selected: list[Any] = [table.c.fid, table.c.version] + [
            raw(table.c[n], layer.field(n).type) for n in wanted
        ]
        if layer.has_geometry:
            selected.append(self.backend.geometry_select(table))
        stmt = sa.select(*selected).where(*self._conditions(table, layer, where, filters))
        area = region(bbox, intersects)
        if area is not None:
            if not layer.has_geometry:
                raise BadInput("Layer {name} has no geometry to filter by.", name=layer.name)
            stmt = stmt.where(self.backend.bbox_filter(table, area.bounds))
            if self.backend.exact_filter_in_sql():
                stmt = stmt.where(self.backend.intersects_filter(table, shapely.to_wkb(area)))
        for name, descending in sort:
            field = layer.field(name)
            column = table.c[field.name]
            if not field.required:  # missing values last (a required field's index stays usable)
                stmt = stmt.order_by(column.is_(None))
            stmt = stmt.order_by(column.desc() if descending else column)
        if order_by:
            # Ties run the way the last sort key does, so an index on it serves the order.
            last_descending = bool(sort) and sort[-1][1]
            tie = table.c[order_by]
            stmt = stmt.order_by(tie.desc() if last_descending else tie)
        exact_in_python = area is not None and not self.backend.exact_filter_in_sql()
        if limit is not None and not exact_in_python:
            stmt = stmt.limit(limit)
        if offset and not exact_in_python:
            stmt = stmt.offset(offset)
        kinds = {"fid": "int", "version": "int"}
        kinds.update({n: layer.field(n).type for n in wanted})
        if layer.has_geometry:
            kinds["geom"] = "geometry"
        # A read of the store's own in fid order, unpaged, may go through ADBC in ranges of fid.
        ranged = conn is None and not sort and order_by in ("fid", None)
        ranged = ranged and limit is None and not offset
        with self._conn(conn, write=False) as c:
            columns_read = self._fetch(c, stmt, table.c.fid, kinds, ranged=ranged)
        geoms = columns_read.pop("geom", None)
        if geoms is None:
            return _frame(columns_read, kinds)
        gdf = _frame(columns_read, kinds, geoms)
        if exact_in_python:
            gdf = gdf[gdf.intersects(area)].iloc[offset:]
            if limit is not None:
                gdf = gdf.iloc[:limit]
            gdf = gdf.reset_index(drop=True)
        return gdf

    def _fetch(
        self,
        conn: sa.Connection,
        stmt: sa.Select[Any],
        fid: sa.Column[Any],
        kinds: Mapping[str, str],
        *,
        ranged: bool,
    ) -> dict[str, Any]:
        """The columns of ``stmt``: through ADBC in ranges of fid when ``ranged`` and the
        read is one for it (:mod:`~citygrid.layers.adbc_reads`), else from the driver."""
        ranges = fetch_arrow(conn, stmt, fid, kinds) if ranged else None
        if ranges is not None:
            try:
                return arrow_columns(ranges, kinds)
            except RangeTypeMismatch:  # a value stored as another type than its field's
                pass
        return fetch_columns(conn, stmt, kinds)

    def _conditions(
        self,
        table: sa.Table,
        layer: Layer,
        where: Mapping[str, Any] | None,
        filters: Sequence[sa.ColumnElement[bool]],
    ) -> list[sa.ColumnElement[bool]]:
        conditions = list(filters)
        for name, value in (where or {}).items():
            if name not in table.c:
                layer.field(name)
            column = table.c[name]
            if value is None:
                conditions.append(column.is_(None))
            elif isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
                conditions.append(one_of(column, value))
            else:
                conditions.append(column == value)
        return conditions

    def row(
        self, layer_name: str, where: Mapping[str, Any], conn: sa.Connection | None = None
    ) -> dict[str, Any] | None:
        """The first feature (in fid order) passing ``where`` (as :meth:`read` takes it), as
        one plain row: ``fid``, ``version`` and every field, as the driver gives them (texts,
        ints, bools, :class:`~datetime.datetime`, ``None`` for missing), no geometry;
        ``None`` when no feature passes.

        A lookup made on every request (the signed-in user, an API token) costs a
        millisecond this way, where a one-row frame costs tens.
        """
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        selected = [table.c.fid, table.c.version, *(table.c[n] for n in layer.field_names)]
        stmt = (
            sa.select(*selected)
            .where(*self._conditions(table, layer, where, ()))
            .order_by(table.c.fid)
            .limit(1)
        )
        with self._conn(conn, write=False) as c:
            found = c.execute(stmt).first()
        return None if found is None else dict(found._mapping)

    def get(self, layer_name: str, code: str, conn: sa.Connection | None = None) -> pd.Series:
        """Return one feature by its code, or raise :class:`NotFound`."""
        layer = get_layer(layer_name)
        frame = self.read(layer_name, where={layer.key or "fid": code}, conn=conn)
        if frame.empty:
            raise NotFound(
                "No feature with code {code!r} in layer {layer}.", code=code, layer=layer_name
            )
        return frame.iloc[0]

    # -- writing --------------------------------------------------------------

    def history(
        self, layer_name: str, code: str, conn: sa.Connection | None = None
    ) -> pd.DataFrame:
        """The audit entries of one feature, oldest first."""
        return self.read("audit", where={"layer": layer_name, "feature_code": code}, conn=conn)
