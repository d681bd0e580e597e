"""Storage backends behind one interface, found by the URL's dialect name.

A backend knows how its database stores geometries: the SQL type of the
``geom`` column, how to select it as WKB, how to filter by a bbox with the
spatial index, and how to load many rows fast. The :class:`~citygrid.layers.store.Store`
does everything else the same way on every backend.

- ``sqlite``: WKB in a BLOB column and an R*Tree virtual table
  ``rtree_<layer>`` kept in step by the store. Needs nothing but Python.
- ``postgresql``: PostGIS ``geometry(<type>, 4326)`` columns with GiST
  indexes, bulk loads with ``COPY``.

A third backend registers itself with :func:`register_backend`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, ClassVar

import numpy as np
import shapely
import sqlalchemy as sa

from citygrid.gis.hilbert import hilbert_order
from citygrid.layers.columnar import point_coordinates
from citygrid.layers.frames import ColumnValues
from citygrid.layers.packed_rtree import write_packed
from citygrid.layers.registry import Layer

_DEFERRED_RTREES = "citygrid_deferred_rtrees"  # conn.info: layers whose R*Tree waits for the end
_BOUNDS_BATCH = 100_000  # geometries read at a time to build an R*Tree

_BACKENDS: dict[str, type[Backend]] = {}


def register_backend(dialect: str, backend: type[Backend]) -> None:
    """Make ``backend`` serve URLs whose dialect name is ``dialect``."""
    _BACKENDS[dialect] = backend


def backend_for(dialect: str) -> type[Backend] | None:
    """Return the backend class for a dialect name, or ``None``."""
    return _BACKENDS.get(dialect)


def supported_dialects() -> list[str]:
    """Dialect names that have a backend."""
    return sorted(_BACKENDS)


class Backend:
    """How one kind of database stores and indexes geometries."""

    name: ClassVar[str] = ""

    def geometry_column(self, layer: Layer) -> sa.Column:
        """Return the ``geom`` column of a spatial layer."""
        raise NotImplementedError

    def geometry_select(self, table: sa.Table) -> sa.ColumnElement[Any]:
        """Return an expression selecting ``geom`` as WKB bytes, labelled ``geom``."""
        raise NotImplementedError

    def bbox_filter(
        self, table: sa.Table, bbox: tuple[float, float, float, float]
    ) -> sa.ColumnElement[bool]:
        """Return a filter keeping rows whose bounding box overlaps ``bbox`` (index-backed)."""
        raise NotImplementedError

    def extent_select(self, table: sa.Table) -> sa.Select[Any]:
        """A query returning one row ``(minx, miny, maxx, maxy)`` of the layer."""
        raise NotImplementedError

    def month_start(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """An expression giving the first instant of the month of a date or datetime column."""
        raise NotImplementedError

    def exact_filter_in_sql(self) -> bool:
        """Whether :meth:`intersects_filter` runs exact predicates in SQL."""
        return False

    def intersects_filter(self, table: sa.Table, wkb: bytes) -> sa.ColumnElement[bool]:
        """Return an exact ST_Intersects filter (only where :meth:`exact_filter_in_sql`)."""
        raise NotImplementedError

    def create_extras(self, conn: sa.Connection, layers: Sequence[Layer]) -> None:
        """Create what the backend needs beyond the tables (indexes, extensions)."""

    def drop_extras(self, conn: sa.Connection, layers: Sequence[Layer]) -> None:
        """Drop what :meth:`create_extras` made."""

    def insert_rows(
        self,
        conn: sa.Connection,
        table: sa.Table,
        columns: list[str],
        values: ColumnValues,
        wkb: np.ndarray | None,
    ) -> np.ndarray:
        """Insert the rows of ``values`` (and their WKB geometries) and return the new fids."""
        raise NotImplementedError

    def update_geometries(
        self, conn: sa.Connection, table: sa.Table, fids: np.ndarray, wkb: np.ndarray
    ) -> None:
        """Replace the geometries of the features ``fids``."""
        raise NotImplementedError

    def delete_index_rows(self, conn: sa.Connection, table: sa.Table, fids: np.ndarray) -> None:
        """Remove deleted features from backend-kept indexes."""

    def clear_index(self, conn: sa.Connection, layer: Layer) -> None:
        """Empty the backend-kept index of a layer whose features were all deleted."""

    @contextmanager
    def deferred_index(self, conn: sa.Connection, table: sa.Table) -> Iterator[None]:
        """Build the backend-kept spatial index of ``table`` once, when the block ends well.

        For a bulk load (:meth:`~citygrid.layers.writes.FeatureWrites.bulk_load`);
        nothing by default.
        """
        yield

    def after_bulk_load(self, conn: sa.Connection, table: sa.Table) -> None:
        """Bring the planner's statistics up to date after a large load (nothing by default)."""


def _bounds_rows(fids: np.ndarray, wkb: np.ndarray) -> list[tuple[int, float, float, float, float]]:
    """Return ``(fid, minx, maxx, miny, maxy)`` for the non-empty geometries.

    Rows come in the Hilbert order of their boxes, so that neighbours are
    inserted together.
    """
    fids, bounds = _bounds(fids, wkb)
    order = hilbert_order(bounds)
    fids, b = fids[order], bounds[order]
    return list(
        zip(
            fids.tolist(),
            b[:, 0].tolist(),
            b[:, 2].tolist(),
            b[:, 1].tolist(),
            b[:, 3].tolist(),
            strict=True,
        )
    )


def _bounds(fids: np.ndarray, wkb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fids of the non-empty geometries and their ``(minx, miny, maxx, maxy)``."""
    xy = point_coordinates(wkb)
    if xy is not None:  # a million plain points: numpy reads them, GEOS need not
        return np.asarray(fids, dtype=np.int64), np.column_stack([*xy, *xy])
    bounds = shapely.bounds(shapely.from_wkb(wkb))
    keep = ~np.isnan(bounds[:, 0])
    return np.asarray(fids, dtype=np.int64)[keep], bounds[keep]


class SQLiteBackend(Backend):
    """WKB geometries plus an R*Tree per spatial layer; exact predicates in shapely."""

    name = "sqlite"

    def geometry_column(self, layer: Layer) -> sa.Column:
        """WKB bytes in a BLOB column."""
        return sa.Column("geom", sa.LargeBinary, nullable=True)

    def geometry_select(self, table: sa.Table) -> sa.ColumnElement[Any]:
        """The stored WKB as is."""
        return table.c.geom.label("geom")

    def bbox_filter(
        self, table: sa.Table, bbox: tuple[float, float, float, float]
    ) -> sa.ColumnElement[bool]:
        """``fid IN (SELECT id FROM rtree_<layer> WHERE ...)``."""
        minx, miny, maxx, maxy = bbox
        rtree = sa.table(
            f"rtree_{table.name}",
            sa.column("id"),
            sa.column("minx"),
            sa.column("maxx"),
            sa.column("miny"),
            sa.column("maxy"),
        )
        inner = sa.select(rtree.c.id).where(
            rtree.c.minx <= maxx, rtree.c.maxx >= minx, rtree.c.miny <= maxy, rtree.c.maxy >= miny
        )
        return table.c.fid.in_(inner)

    def extent_select(self, table: sa.Table) -> sa.Select[Any]:
        """Min and max over the R*Tree."""
        rtree = sa.table(
            f"rtree_{table.name}",
            sa.column("minx"),
            sa.column("maxx"),
            sa.column("miny"),
            sa.column("maxy"),
        )
        return sa.select(
            sa.func.min(rtree.c.minx),
            sa.func.min(rtree.c.miny),
            sa.func.max(rtree.c.maxx),
            sa.func.max(rtree.c.maxy),
        )

    def month_start(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """``YYYY-MM-01`` from the stored ISO text."""
        return sa.func.substr(sa.type_coerce(column, sa.String), 1, 7).concat("-01")

    def create_extras(self, conn: sa.Connection, layers: Sequence[Layer]) -> None:
        """One R*Tree virtual table per spatial layer."""
        for layer in layers:
            if layer.has_geometry:
                conn.exec_driver_sql(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS rtree_{layer.name} "
                    "USING rtree(id, minx, maxx, miny, maxy)"
                )

    def drop_extras(self, conn: sa.Connection, layers: Sequence[Layer]) -> None:
        """Drop the R*Tree tables."""
        for layer in layers:
            if layer.has_geometry:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS rtree_{layer.name}")

    def insert_rows(
        self,
        conn: sa.Connection,
        table: sa.Table,
        columns: list[str],
        values: ColumnValues,
        wkb: np.ndarray | None,
    ) -> np.ndarray:
        """Insert with explicit fids after the current maximum, then fill the R*Tree."""
        start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.fid), 0))).scalar_one()
        fids = np.arange(start + 1, start + 1 + values.count, dtype=np.int64)
        names = ["fid", *columns] + (["geom"] if wkb is not None else [])
        placeholders = ", ".join("?" for _ in names)
        sql = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({placeholders})'
        payload = values.rows(fids.tolist(), after=wkb)
        if payload:
            conn.exec_driver_sql(sql, payload)
        if wkb is not None and len(fids):
            self._index(conn, table, fids, wkb)
        return fids

    def _index(
        self, conn: sa.Connection, table: sa.Table, fids: np.ndarray, wkb: np.ndarray
    ) -> None:
        if _deferred(conn, table):
            return
        rows = _bounds_rows(fids, wkb)
        if rows:
            conn.exec_driver_sql(
                f"INSERT OR REPLACE INTO rtree_{table.name} (id, minx, maxx, miny, maxy) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def update_geometries(
        self, conn: sa.Connection, table: sa.Table, fids: np.ndarray, wkb: np.ndarray
    ) -> None:
        """Write the new WKB and refresh the R*Tree entries."""
        conn.exec_driver_sql(
            f'UPDATE "{table.name}" SET geom = ? WHERE fid = ?',
            [(g, int(f)) for f, g in zip(fids, wkb, strict=True)],
        )
        self.delete_index_rows(conn, table, fids)
        self._index(conn, table, fids, wkb)

    def clear_index(self, conn: sa.Connection, layer: Layer) -> None:
        """Make the layer's R*Tree again: much faster than deleting its entries one by one."""
        self.drop_extras(conn, [layer])
        self.create_extras(conn, [layer])

    def delete_index_rows(self, conn: sa.Connection, table: sa.Table, fids: np.ndarray) -> None:
        """Remove the R*Tree entries of ``fids``."""
        if len(fids) and not _deferred(conn, table):
            conn.exec_driver_sql(
                f"DELETE FROM rtree_{table.name} WHERE id = ?", [(int(f),) for f in fids]
            )

    @contextmanager
    def deferred_index(self, conn: sa.Connection, table: sa.Table) -> Iterator[None]:
        """Leave the layer's R*Tree alone inside the block, then build it whole, packed.

        When the block ends well, the tree is made from every geometry of the
        table (:func:`~citygrid.layers.packed_rtree.write_packed`), several
        times faster than inserting the entries one by one; bbox reads of the
        layer inside the block do not see what the block wrote.
        """
        deferred = conn.info.setdefault(_DEFERRED_RTREES, set())
        deferred.add(table.name)
        try:
            yield
        finally:
            deferred.discard(table.name)
        write_packed(conn, f"rtree_{table.name}", *_stored_bounds(conn, table))


def _stored_bounds(conn: sa.Connection, table: sa.Table) -> tuple[np.ndarray, np.ndarray]:
    """The fids and boxes of every non-empty geometry of ``table``, read in slices."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.execute(f'SELECT fid, geom FROM "{table.name}" WHERE geom IS NOT NULL')
    parts = [(np.empty(0, np.int64), np.empty((0, 4)))]
    while rows := cursor.fetchmany(_BOUNDS_BATCH):
        fids = np.fromiter(map(itemgetter(0), rows), dtype=np.int64, count=len(rows))
        wkb = np.fromiter(map(itemgetter(1), rows), dtype=object, count=len(rows))
        parts.append(_bounds(fids, wkb))
    cursor.close()
    return np.concatenate([f for f, _ in parts]), np.concatenate([b for _, b in parts])


def _deferred(conn: sa.Connection, table: sa.Table) -> bool:
    """Whether the R*Tree of ``table`` is built at the end of a bulk load on ``conn``."""
    return table.name in conn.info.get(_DEFERRED_RTREES, ())


class PostGISBackend(Backend):
    """PostGIS geometry columns (SRID 4326) with GiST indexes; predicates in SQL."""

    name = "postgresql"

    def geometry_column(self, layer: Layer) -> sa.Column:
        """``geometry(<type>, 4326)`` with a GiST index."""
        from geoalchemy2 import Geometry

        gtype = (layer.geometry_type or "GEOMETRY").upper()
        return sa.Column("geom", Geometry(gtype, srid=4326, spatial_index=True), nullable=True)

    def geometry_select(self, table: sa.Table) -> sa.ColumnElement[Any]:
        """``ST_AsBinary(geom)``."""
        return sa.func.ST_AsBinary(sa.literal_column(f'"{table.name}".geom')).label("geom")

    def bbox_filter(
        self, table: sa.Table, bbox: tuple[float, float, float, float]
    ) -> sa.ColumnElement[bool]:
        """``geom && ST_MakeEnvelope(...)`` (GiST)."""
        envelope = sa.func.ST_MakeEnvelope(*bbox, 4326)
        return sa.literal_column(f'"{table.name}".geom').op("&&")(envelope)

    def extent_select(self, table: sa.Table) -> sa.Select[Any]:
        """``ST_Extent`` of the layer."""
        ext = sa.func.ST_Extent(sa.literal_column(f'"{table.name}".geom'))
        inner = sa.select(ext.label("e")).select_from(table).subquery()
        return sa.select(
            sa.func.ST_XMin(inner.c.e),
            sa.func.ST_YMin(inner.c.e),
            sa.func.ST_XMax(inner.c.e),
            sa.func.ST_YMax(inner.c.e),
        )

    def month_start(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """``date_trunc('month', ...)``."""
        return sa.func.date_trunc("month", column)

    def exact_filter_in_sql(self) -> bool:
        """PostGIS runs ST_Intersects itself."""
        return True

    def intersects_filter(self, table: sa.Table, wkb: bytes) -> sa.ColumnElement[bool]:
        """``ST_Intersects(geom, ST_GeomFromWKB(:wkb, 4326))``."""
        other = sa.func.ST_GeomFromWKB(sa.literal(wkb, sa.LargeBinary), 4326)
        return sa.func.ST_Intersects(sa.literal_column(f'"{table.name}".geom'), other)

    def create_extras(self, conn: sa.Connection, layers: Sequence[Layer]) -> None:
        """Nothing: GeoAlchemy2 creates the GiST indexes with the tables."""

    def after_bulk_load(self, conn: sa.Connection, table: sa.Table) -> None:
        """``ANALYZE`` the table: without statistics the planner scans where an index serves
        (per-cell counts on the city took twice as long before autovacuum came by)."""
        conn.exec_driver_sql(f'ANALYZE "{table.name}"')

    def insert_rows(
        self,
        conn: sa.Connection,
        table: sa.Table,
        columns: list[str],
        values: ColumnValues,
        wkb: np.ndarray | None,
    ) -> np.ndarray:
        """Load with ``COPY ... FROM STDIN`` and return the new fids."""
        import psycopg

        try:
            return self._copy_rows(conn, table, columns, values, wkb)
        except psycopg.IntegrityError as exc:
            raise sa.exc.IntegrityError("COPY", None, exc) from exc

    def _copy_rows(
        self,
        conn: sa.Connection,
        table: sa.Table,
        columns: list[str],
        values: ColumnValues,
        wkb: np.ndarray | None,
    ) -> np.ndarray:
        names = list(columns) + (["geom"] if wkb is not None else [])
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            cur.execute(
                f"SELECT nextval(pg_get_serial_sequence('\"{table.name}\"', 'fid')) "
                "FROM generate_series(1, %s)",
                (values.count,),
            )
            fids = np.array([r[0] for r in cur.fetchall()], dtype=np.int64)
            quoted = ", ".join(f'"{n}"' for n in ["fid", *names])
            geoms = None if wkb is None else _ewkb_hex(wkb)
            with cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for row in values.rows(fids.tolist(), after=geoms):
                    copy.write_row(row)
        return fids

    def update_geometries(
        self, conn: sa.Connection, table: sa.Table, fids: np.ndarray, wkb: np.ndarray
    ) -> None:
        """``UPDATE ... SET geom = ST_GeomFromWKB(...)``."""
        conn.exec_driver_sql(
            f'UPDATE "{table.name}" SET geom = ST_GeomFromWKB(%s, 4326) WHERE fid = %s',
            [(g, int(f)) for f, g in zip(fids, wkb, strict=True)],
        )


def _ewkb_hex(wkb: np.ndarray) -> list[str | None]:
    """Turn WKB bytes into hex EWKB with SRID 4326, the text COPY expects."""
    geoms = shapely.set_srid(shapely.from_wkb(wkb), 4326)
    hexes = shapely.to_wkb(geoms, hex=True, include_srid=True)
    return [None if h is None else str(h) for h in hexes]


register_backend("sqlite", SQLiteBackend)
register_backend("postgresql", PostGISBackend)
