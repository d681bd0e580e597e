"""The store: every stored layer in one SQL database, read and written as frames.

One URL chooses the backend (:mod:`citygrid.layers.backends`): a SQLite
file by default, PostgreSQL with PostGIS in production. Reads return
GeoDataFrames in EPSG:4326 (plain DataFrames for layers without geometry);
writes take frames in any CRS and store EPSG:4326. Every write runs in a
transaction: pass ``conn=`` from :meth:`Store.transaction` to make several
writes land together, or none of them.

Edits (:meth:`Store.update`, :meth:`Store.delete`) bump each feature's
``version``, refuse a stale expected version and write the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from pyproj import CRS

from citygrid.errors import BadInput, Conflict, NotFound, SchemaError, StoreUnavailable
from citygrid.gis.geometry import promote_to_multi
from citygrid.layers import migrations
from citygrid.layers.backends import Backend, backend_for, supported_dialects
from citygrid.layers.registry import Layer, get_layer, stored_layers
from citygrid.layers.schema import build_metadata

STORAGE_CRS = "EPSG:4326"
_BULK_ROWS = 50_000  # replace-loads at least this large rebuild the indexes after loading
Bbox = tuple[float, float, float, float]


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


class Store:
    """All stored layers of one city, behind one SQLAlchemy engine.

    Use :meth:`Store.open` rather than the constructor.
    """

    def __init__(self, engine: sa.Engine, backend: Backend) -> None:
        self.engine = engine
        self.backend = backend
        self.metadata = build_metadata(backend.geometry_column)

    # -- opening and schema -------------------------------------------------

    @classmethod
    def open(cls, url: str, *, check_schema: bool = True) -> Store:
        """Connect to the database at ``url``.

        Parameters
        ----------
        url
            SQLAlchemy URL: ``sqlite:///path.db`` or
            ``postgresql+psycopg://user@host:port/db`` (``postgresql://``
            is read as psycopg 3).
        check_schema
            Refuse a database whose schema is missing, older or newer than
            this code (:class:`SchemaError`); ``citygrid init`` passes False.

        Raises
        ------
        StoreUnavailable
            The URL does not parse, names an unsupported database, or the
            server cannot be reached.
        """
        try:
            parsed = sa.engine.make_url(url)
        except (sa.exc.ArgumentError, ValueError) as exc:
            raise StoreUnavailable(
                "The database URL {url!r} does not parse ({reason}). Use sqlite:///citygrid.db "
                "or postgresql+psycopg://user@host:5432/dbname.",
                url=url,
                reason=str(exc),
            ) from None
        backend_cls = backend_for(parsed.get_backend_name())
        if backend_cls is None:
            raise StoreUnavailable(
                "Database {dialect!r} is not supported; use one of: {known}.",
                dialect=parsed.get_backend_name(),
                known=", ".join(supported_dialects()),
            )
        engine = _make_engine(parsed)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            engine.dispose()
            raise StoreUnavailable(
                "Cannot reach the database at {url}: {reason}. Check that the server runs "
                "and the URL is right.",
                url=parsed.render_as_string(hide_password=True),
                reason=str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc),
            ) from None
        store = cls(engine, backend_cls())
        if check_schema:
            store.check_schema()
        return store

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def init(self) -> str:
        """Create or upgrade the schema to this code's version; return the revision."""
        current = self.schema_revision()
        if current is not None and not migrations.is_known(current):
            self._newer_schema(current)
        migrations.upgrade(self.engine)
        return migrations.head()

    def schema_revision(self) -> str | None:
        """The schema revision recorded in the database, or ``None`` for an empty one."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    def check_schema(self) -> None:
        """Raise :class:`SchemaError` unless the schema is exactly this code's version."""
        current = self.schema_revision()
        if current is None:
            raise SchemaError(
                "The database {url} has no citygrid schema. Run `citygrid init` or "
                "`citygrid demo` first.",
                url=self.url,
            )
        if not migrations.is_known(current):
            self._newer_schema(current)
        if current != migrations.head():
            raise SchemaError(
                "The database {url} has schema {current}, older than this citygrid's {head}. "
                "Run `citygrid init` to upgrade it.",
                url=self.url,
                current=current,
                head=migrations.head(),
            )

    def _newer_schema(self, current: str) -> None:
        raise SchemaError(
            "The database {url} has schema {current}, which this citygrid does not know: it "
            "was made by a newer version. Upgrade citygrid.",
            url=self.url,
            current=current,
        )

    # -- tables ---------------------------------------------------------------

    def table(self, layer_name: str) -> sa.Table:
        """The SQLAlchemy table of a stored layer."""
        layer = get_layer(layer_name)
        if not layer.stored:
            raise BadInput(
                "Layer {name} is computed, not stored; export it with `citygrid analyse`.",
                name=layer_name,
            )
        return self.metadata.tables[layer.name]

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A connection in a transaction: committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _conn(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        if conn is not None:
            yield conn
        else:
            with self.transaction() as own:
                yield own

    def count(self, layer_name: str, conn: sa.Connection | None = None) -> int:
        """Number of features in a stored layer."""
        table = self.table(layer_name)
        with self._conn(conn) as c:
            return int(c.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def counts(self) -> dict[str, int]:
        """Feature count of every stored layer."""
        with self.engine.connect() as conn:
            return {layer.name: self.count(layer.name, conn) for layer in stored_layers()}

    def extent(self, layer_name: str) -> Bbox | None:
        """``(minx, miny, maxx, maxy)`` of a spatial layer in EPSG:4326, ``None`` when empty."""
        layer = get_layer(layer_name)
        if not layer.has_geometry:
            raise BadInput("Layer {name} has no geometry.", name=layer.name)
        with self.engine.connect() as conn:
            row = conn.execute(self.backend.extent_select(self.table(layer_name))).one()
        return (
            None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
        )

    def data_version(self) -> int:
        """A number that grows with every committed write (TEMP: the audit log's last fid).

        Every write, update and delete adds audit entries in its own
        transaction, so the highest committed audit fid grows with each one.
        Temporary, until the store branch's counter lands.
        """
        audit = self.table("audit")
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(audit.c.fid))).scalar() or 0)

    def is_empty(self) -> bool:
        """Whether no stored layer holds any feature."""
        return not any(self.counts().values())

    # -- reading --------------------------------------------------------------

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
            _raw(table.c[n], layer.field(n).type) for n in wanted
        ]
        if layer.has_geometry:
            selected.append(self.backend.geometry_select(table))
        stmt = sa.select(*selected).where(*self._conditions(table, layer, where, filters))
        region = _region(bbox, intersects)
        if region is not None:
            if not layer.has_geometry:
                raise BadInput("Layer {name} has no geometry to filter by.", name=layer.name)
            stmt = stmt.where(self.backend.bbox_filter(table, region.bounds))
            if self.backend.exact_filter_in_sql():
                stmt = stmt.where(self.backend.intersects_filter(table, shapely.to_wkb(region)))
        if order_by:
            stmt = stmt.order_by(table.c[order_by])
        exact_in_python = region is not None and not self.backend.exact_filter_in_sql()
        if limit is not None and not exact_in_python:
            stmt = stmt.limit(limit)
        with self._conn(conn) as c:
            result = c.execute(stmt)
            keys = list(result.keys())
            columns = list(zip(*result.fetchall(), strict=True)) or [()] * len(keys)
            frame = pd.DataFrame(
                {k: pd.Series(v, dtype=object) for k, v in zip(keys, columns, strict=True)}
            )
        frame = _typed(frame, layer, ["fid", "version", *wanted])
        if not layer.has_geometry:
            return frame
        geoms = shapely.from_wkb(frame.pop("geom").to_numpy())
        gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_CRS)
        if exact_in_python:
            gdf = gdf[gdf.intersects(region)]
            if limit is not None:
                gdf = gdf.iloc[:limit]
            gdf = gdf.reset_index(drop=True)
        return gdf

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
                conditions.append(column.in_(list(value)))
            else:
                conditions.append(column == value)
        return conditions

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

    def write(
        self,
        layer_name: str,
        frame: pd.DataFrame,
        *,
        mode: str = "append",
        actor: str = "system",
        reason: str | None = None,
        conn: sa.Connection | None = None,
    ) -> np.ndarray:
        """Insert features, in one transaction with one audit entry.

        Parameters
        ----------
        layer_name
            A stored layer.
        frame
            Columns named as the layer's fields (others are ignored); a
            GeoDataFrame in any CRS for spatial layers (no CRS is read as
            EPSG:4326).
        mode
            ``append`` adds the features; ``replace`` deletes all the
            layer's features first.
        actor, reason
            Who writes, and why (for the audit log).

        Returns
        -------
        numpy.ndarray
            The fids of the new features, in frame order.
        """
        if mode not in ("append", "replace"):
            raise BadInput("Write mode must be append or replace, not {mode!r}.", mode=mode)
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        columns = [name for name in layer.field_names if name in frame.columns]
        rows = _rows(frame, layer, columns)
        wkb = _storage_wkb(frame, layer) if layer.has_geometry else None
        _check_required(frame, layer)
        duplicated = _duplicated_keys(frame, layer)
        if duplicated:
            raise Conflict(
                "Layer {layer} needs unique codes; these repeat in the data: {codes}. Nothing "
                "was written.",
                layer=layer.name,
                codes=", ".join(duplicated[:20]),
            )
        with self._conn(conn) as c:
            removed = 0
            if mode == "replace":
                removed = self._delete_all(c, table)
            large_replace = mode == "replace" and len(rows) >= _BULK_ROWS
            with self.bulk_load(layer.name, c) if large_replace else nullcontext():
                try:
                    fids = self.backend.insert_rows(c, table, columns, rows, wkb)
                except sa.exc.IntegrityError as exc:
                    raise _codes_held(layer, exc) from None
            if layer.name != "audit":
                self._audit(
                    c,
                    [
                        {
                            "action": f"write:{mode}",
                            "layer": layer.name,
                            "feature_code": None,
                            "before": json.dumps({"features": removed}),
                            "after": json.dumps({"features": len(rows)}),
                            "reason": reason,
                        }
                    ],
                    actor,
                )
        return fids

    @contextmanager
    def bulk_load(self, layer_name: str, conn: sa.Connection) -> Iterator[None]:
        """Load many features into a layer with its indexes built once, at the end.

        Inside the block the layer's secondary indexes (the unique code, the
        field indexes, PostGIS's GiST) are dropped; they are built again when
        the block ends, which is several times faster than keeping them up to
        date row by row. Use it with ``conn`` from :meth:`transaction`, so a
        failure restores the indexes with everything else. Nested calls for
        the same layer on the same connection do nothing.

        Raises
        ------
        Conflict
            The loaded codes clash with each other or with stored ones.
        """
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        loading = conn.info.setdefault("citygrid_bulk_load", set())
        if layer.name in loading:
            yield
            return
        indexes = list(table.indexes)
        for index in indexes:
            index.drop(conn)
        loading.add(layer.name)
        try:
            yield
        finally:
            loading.discard(layer.name)
        try:
            for index in indexes:
                index.create(conn)
        except sa.exc.IntegrityError as exc:
            raise _codes_held(layer, exc) from None

    def _delete_all(self, conn: sa.Connection, table: sa.Table) -> int:
        fids = np.array(conn.execute(sa.select(table.c.fid)).scalars().all(), dtype=np.int64)
        conn.execute(table.delete())
        if "geom" in table.c:
            self.backend.delete_index_rows(conn, table, fids)
        return len(fids)

    def update(
        self,
        layer_name: str,
        changes: pd.DataFrame,
        *,
        actor: str,
        action: str = "update",
        reason: str | None = None,
        conn: sa.Connection | None = None,
    ) -> pd.DataFrame:
        """Change features by code, bump their versions and audit every change.

        Parameters
        ----------
        changes
            One row per feature: its key (``code``), the fields to set, an
            optional ``geometry`` (EPSG:4326) and an optional ``version``:
            the version the user edited, refused when stale.
        actor, action, reason
            For the audit log.

        Returns
        -------
        pandas.DataFrame
            ``code``, ``version`` (the new one), ``before`` and ``after``
            (dicts of the changed fields) for the features that changed;
            rows whose values equal the stored ones are left alone.

        Raises
        ------
        NotFound
            Some codes do not exist (all are named; nothing is changed).
        Conflict
            Some expected versions are stale (naming who changed them last).
        """
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        key = layer.key
        if key is None or key not in changes.columns:
            raise BadInput(
                "Changes to layer {layer} need a {key} column.", layer=layer.name, key=key
            )
        fields = [c for c in changes.columns if c in layer.field_names and c != key]
        has_geometry = layer.has_geometry and "geometry" in changes.columns
        with self._conn(conn) as c:
            current = self.read(
                layer_name, where={key: list(changes[key])}, columns=[key, *fields], conn=c
            )
            current = current.set_index(key)
            _check_codes(changes[key], current.index, layer)
            if "version" in changes.columns:
                self._check_versions(c, layer, changes, current)
            by_code = changes.set_index(key)
            log = _diff(by_code, current, fields, has_geometry, layer)
            if log.empty:
                return log
            new_values = by_code.loc[log["code"]]
            typed_rows = _rows(new_values, layer, fields)
            fids = current.loc[log["code"], "fid"].to_numpy()
            if fields:
                stmt = (
                    table.update()
                    .where(table.c.fid == sa.bindparam("b_fid"))
                    .values({f: sa.bindparam(f"b_{f}") for f in fields})
                    .values(version=table.c.version + 1)
                )
                params = [
                    {"b_fid": int(fid), **{f"b_{f}": v for f, v in zip(fields, row, strict=True)}}
                    for fid, row in zip(fids, typed_rows, strict=True)
                ]
                c.execute(stmt, params)
            if has_geometry:
                wkb = _storage_wkb(
                    gpd.GeoDataFrame(new_values, geometry="geometry", crs=STORAGE_CRS), layer
                )
                self.backend.update_geometries(c, table, fids, wkb)
                if not fields:
                    c.execute(
                        table.update()
                        .where(table.c.fid.in_([int(f) for f in fids]))
                        .values(version=table.c.version + 1)
                    )
            log["version"] = current.loc[log["code"], "version"].to_numpy() + 1
            self._audit(
                c,
                [
                    {
                        "action": action,
                        "layer": layer.name,
                        "feature_code": code,
                        "before": json.dumps(before, ensure_ascii=False, default=str),
                        "after": json.dumps(after, ensure_ascii=False, default=str),
                        "reason": reason,
                    }
                    for code, before, after in log[["code", "before", "after"]].itertuples(
                        index=False
                    )
                ],
                actor,
            )
        return log

    def _check_versions(
        self, conn: sa.Connection, layer: Layer, changes: pd.DataFrame, current: pd.DataFrame
    ) -> None:
        key = layer.key or "code"
        expected = changes.set_index(key)["version"]
        known = expected.notna()
        stored = current.loc[expected.index[known], "version"]
        stale = stored.index[stored.to_numpy() != expected[known].astype("int64").to_numpy()]
        if len(stale):
            code = str(stale[0])
            last = self.history(layer.name, code, conn=conn)
            who = last.iloc[-1] if not last.empty else None
            raise Conflict(
                "{layer} {code} was changed by {actor} at {at} (now version {version}, you "
                "edited version {expected}). Reload it and make your change again.",
                layer=layer.name,
                code=code,
                actor=who["actor"] if who is not None else "?",
                at=str(who["at"]) if who is not None else "?",
                version=int(stored[code]),
                expected=int(expected[code]),
                stale=[str(s) for s in stale],
            )

    def delete(
        self,
        layer_name: str,
        codes: Sequence[str],
        *,
        actor: str,
        reason: str | None = None,
        conn: sa.Connection | None = None,
    ) -> int:
        """Delete features by code, auditing each; unknown codes raise :class:`NotFound`."""
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        key = layer.key or "fid"
        with self._conn(conn) as c:
            current = self.read(layer_name, where={key: list(codes)}, conn=c)
            _check_codes(pd.Series(list(codes)), pd.Index(current[key]), layer)
            fids = current["fid"].to_numpy()
            c.execute(table.delete().where(table.c.fid.in_([int(f) for f in fids])))
            if layer.has_geometry:
                self.backend.delete_index_rows(c, table, fids)
            self._audit(
                c,
                [
                    {
                        "action": "delete",
                        "layer": layer.name,
                        "feature_code": str(code),
                        "before": json.dumps({"version": int(v)}),
                        "after": None,
                        "reason": reason,
                    }
                    for code, v in zip(current[key], current["version"], strict=True)
                ],
                actor,
            )
        return len(fids)

    # -- audit ----------------------------------------------------------------

    def _audit(self, conn: sa.Connection, entries: list[dict[str, Any]], actor: str) -> None:
        if not entries:
            return
        at = _now()
        conn.execute(
            self.table("audit").insert(),
            [{"at": at, "actor": actor, "version": 1, **e} for e in entries],
        )

    def history(
        self, layer_name: str, code: str, conn: sa.Connection | None = None
    ) -> pd.DataFrame:
        """The audit entries of one feature, oldest first."""
        return self.read("audit", where={"layer": layer_name, "feature_code": code}, conn=conn)


def _raw(column: sa.Column, field_type: str) -> sa.ColumnElement[Any]:
    """Select dates as the driver gives them; pandas parses them column-wise, much faster."""
    if field_type in ("date", "datetime"):
        return sa.type_coerce(column, sa.String).label(column.name)
    return column


def _make_engine(parsed: sa.URL) -> sa.Engine:
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().resolve().parent
            if not folder.is_dir():
                raise StoreUnavailable(
                    "The folder {folder} for the SQLite database does not exist; create it or "
                    "choose another path.",
                    folder=str(folder),
                )
        engine = sa.create_engine(parsed, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return sa.create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise StoreUnavailable(
            "The driver for {url} is not installed ({reason}); "
            "run `pip install citygrid[postgis]`.",
            url=parsed.render_as_string(hide_password=True),
            reason=str(exc),
        ) from None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own transaction handling leaves DDL (dropping indexes in a bulk
    # load, migrations) outside the transaction; SQLAlchemy begins them instead.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB: bulk loads build indexes in memory
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def _region(bbox: Bbox | None, intersects: shapely.Geometry | None) -> shapely.Geometry | None:
    if bbox is not None:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        if not (minx <= maxx and miny <= maxy):
            raise BadInput(
                "The bbox {bbox} is not minx,miny,maxx,maxy with min <= max.", bbox=list(bbox)
            )
        box = shapely.box(minx, miny, maxx, maxy)
        return box if intersects is None else shapely.intersection(box, intersects)
    return intersects


def _check_required(frame: pd.DataFrame, layer: Layer) -> None:
    """Refuse rows without a value in a required field, naming the rows (from 1)."""
    for f in layer.required_fields():
        if f.name not in frame.columns:
            raise BadInput(
                "Layer {layer} needs the field {field} ({label}); the data has no such column.",
                layer=layer.name,
                field=f.name,
                label=f.label(),
            )
        missing = np.flatnonzero(pd.isna(frame[f.name]).to_numpy()) + 1
        if len(missing):
            raise BadInput(
                "Layer {layer} needs a value in {field} ({label}); it is empty in row {rows}.",
                layer=layer.name,
                field=f.name,
                label=f.label(),
                rows=", ".join(str(r) for r in missing[:10])
                + (" ..." if len(missing) > 10 else ""),
            )


def _codes_held(layer: Layer, exc: sa.exc.IntegrityError) -> Conflict:
    return Conflict(
        "Layer {layer} already holds some of these codes ({reason}). Nothing was "
        "written; use replace, or leave those features out.",
        layer=layer.name,
        reason=str(exc.orig).strip().splitlines()[0],
    )


def _duplicated_keys(frame: pd.DataFrame, layer: Layer) -> list[str]:
    if layer.key is None or layer.key not in frame.columns:
        return []
    keys = frame[layer.key]
    return sorted(keys[keys.duplicated() & keys.notna()].astype(str).unique())


def _check_codes(wanted: pd.Series, found: pd.Index, layer: Layer) -> None:
    missing = sorted(set(wanted.astype(str)) - set(found.astype(str)))
    if missing:
        raise NotFound(
            "Layer {layer} has no feature with code {codes}; nothing was changed.",
            layer=layer.name,
            codes=", ".join(missing[:20]) + (" ..." if len(missing) > 20 else ""),
            missing=missing,
        )


def _diff(
    new: pd.DataFrame, current: pd.DataFrame, fields: list[str], has_geometry: bool, layer: Layer
) -> pd.DataFrame:
    """Per changed feature: the before and after values of the fields that differ.

    The comparison runs column by column on values converted to each field's
    type, so ``"2024-01-01"`` equals a stored midnight timestamp and ``3``
    equals ``3.0``; only the rows that differ are turned into dicts.
    """
    codes = new.index
    old = current.loc[codes].reset_index(drop=True)
    upd = _typed(new[fields].copy(), layer, fields).reset_index(drop=True)
    changed = {}
    for f in fields:
        both_missing = old[f].isna().to_numpy() & upd[f].isna().to_numpy()
        same = old[f].eq(upd[f]).fillna(False).to_numpy(dtype=bool)
        changed[f] = ~(same | both_missing)
    if has_geometry:
        old_g = old["geometry"].to_numpy(dtype=object)
        new_g = new["geometry"].to_numpy(dtype=object)
        old_none, new_none = pd.isna(old_g), pd.isna(new_g)
        same_g = np.where(
            old_none | new_none,
            old_none & new_none,
            shapely.equals_exact(old_g, new_g, tolerance=1e-9),
        )
        changed["geometry"] = ~same_g.astype(bool)
    any_change = (
        np.logical_or.reduce(list(changed.values())) if changed else np.zeros(len(codes), bool)
    )
    old_values = {f: old[f].to_numpy(dtype=object) for f in fields}
    new_values = {f: upd[f].to_numpy(dtype=object) for f in fields}
    records = []
    for i in np.flatnonzero(any_change):
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for f in fields:
            if changed[f][i]:
                before[f], after[f] = _plain(old_values[f][i]), _plain(new_values[f][i])
        if has_geometry and changed["geometry"][i]:
            before["geometry"] = None if old_g[i] is None else old_g[i].wkt
            after["geometry"] = None if new_g[i] is None else new_g[i].wkt
        records.append({"code": codes[i], "before": before, "after": after})
    return pd.DataFrame(records, columns=["code", "before", "after"])


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar for comparing and auditing values."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (datetime, date)):
        return pd.Timestamp(value).isoformat(sep=" ")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _storage_wkb(frame: pd.DataFrame, layer: Layer) -> np.ndarray:
    """The frame's geometries in EPSG:4326 as WKB, multi-typed as the layer says."""
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise BadInput("Layer {layer} needs geometries; the data has none.", layer=layer.name)
    geoseries = frame.geometry
    if geoseries.crs is not None and not _same_as_storage(geoseries.crs):
        geoseries = geoseries.to_crs(STORAGE_CRS)
    geoms = promote_to_multi(geoseries.to_numpy(dtype=object), layer.geometry_type or "")
    return shapely.to_wkb(geoms)


def _same_as_storage(crs: Any) -> bool:
    """EPSG:4326 itself, or CGCS2000 (EPSG:4490), stored as equivalent."""
    epsg = CRS.from_user_input(crs).to_epsg()
    return epsg in (4326, 4490)


_CONVERTERS: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "datetime": lambda v: pd.Timestamp(v).to_pydatetime(),
    "date": lambda v: pd.Timestamp(v).date(),
}


def _column_values(series: pd.Series, field_type: str) -> list[Any]:
    """Python values for one column, ``None`` for missing ones."""
    missing = pd.isna(series).to_numpy()
    if field_type in ("datetime", "date") and pd.api.types.is_datetime64_any_dtype(series):
        # Whole-column conversion; values of other dtypes are parsed one by one below.
        stamps = series.dt.to_pydatetime() if field_type == "datetime" else series.dt.date
        values = np.array(stamps, dtype=object)
        values[missing] = None
        return values.tolist()
    convert = _CONVERTERS[field_type]
    values = series.to_numpy(dtype=object)
    return [None if m else convert(v) for v, m in zip(values, missing, strict=True)]


def _rows(frame: pd.DataFrame, layer: Layer, columns: list[str]) -> list[tuple[Any, ...]]:
    """Row tuples of the given fields, converted to the layer's types."""
    if not columns:
        return [() for _ in range(len(frame))]
    values = [_column_values(frame[c], layer.field(c).type) for c in columns]
    return list(zip(*values, strict=True))


def _typed(frame: pd.DataFrame, layer: Layer, names: list[str]) -> pd.DataFrame:
    """Give each column the pandas dtype of its declared type."""
    for name in names:
        if name in ("fid", "version"):
            frame[name] = frame[name].astype("int64")
            continue
        kind = layer.field(name).type
        if kind in ("datetime", "date"):
            frame[name] = pd.to_datetime(frame[name], format="ISO8601")
        elif kind == "int":
            frame[name] = pd.array(frame[name], dtype="Int64")
        elif kind == "float":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        elif kind == "bool":
            frame[name] = pd.array(frame[name], dtype="boolean")
        else:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame
