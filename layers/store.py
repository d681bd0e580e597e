"""The store: every stored layer in one SQL database, read and written as frames.

One URL chooses the backend (:mod:`citygrid.layers.backends`): a SQLite
file by default, PostgreSQL with PostGIS in production. Reads return
GeoDataFrames in EPSG:4326 (plain DataFrames for layers without geometry);
writes take frames in any CRS and store EPSG:4326. Every write runs in a
transaction: pass ``conn=`` from :meth:`Store.transaction` to make several
writes land together, or none of them.

Edits (:meth:`Store.update`, :meth:`Store.delete`) bump each feature's
``version``, refuse a stale expected version and write the audit log.

:class:`Store` is assembled from one module per concern:

- :mod:`~citygrid.layers.engine`: opening the database, SQLite pragmas, how
  transactions begin, lock errors, the data-version counter;
- :mod:`~citygrid.layers.connections`: tables, write transactions, readers;
- :mod:`~citygrid.layers.frames`: frames to rows and back (types, WKB, CRS);
- :mod:`~citygrid.layers.reads`: :meth:`Store.read`, :meth:`Store.get`;
- :mod:`~citygrid.layers.edits`: :meth:`Store.update`, :meth:`Store.delete`,
  versions, diffs and audit rows;
- :mod:`~citygrid.layers.writes`: :meth:`Store.write`, :meth:`Store.bulk_load`;
- this module: opening, the schema check, counts and the data version.
"""

from __future__ import annotations

import sqlalchemy as sa

from citygrid.errors import BadInput, SchemaError
from citygrid.layers import migrations
from citygrid.layers.engine import open_engine
from citygrid.layers.frames import STORAGE_CRS, Bbox
from citygrid.layers.registry import get_layer, stored_layers
from citygrid.layers.schema import DATA_VERSION, META_TABLE, layer_version_name, missing_columns
from citygrid.layers.writes import FeatureWrites

__all__ = ["STORAGE_CRS", "Bbox", "Store"]


class Store(FeatureWrites):
    """All stored layers of one city, behind one SQLAlchemy engine.

    Use :meth:`Store.open` rather than the constructor.
    """

    @classmethod
    def open(cls, url: str, *, check_schema: bool = True) -> Store:
        """Connect to the database at ``url``.

        Parameters
        ----------
        url
            SQLAlchemy URL: ``sqlite:///path.db`` (``?timeout=SECONDS`` for
            the busy timeout, default 30) or
            ``postgresql+psycopg://user@host:port/db`` (``postgresql://``
            is read as psycopg 3).
        check_schema
            Refuse a database whose schema is missing, older or newer than
            this code, or lacks a column (:class:`SchemaError`), and a SQLite
            file that does not exist (:class:`StoreUnavailable`; it is not
            created). ``citygrid init`` and ``citygrid demo`` pass False:
            they create the file and the schema.

        Raises
        ------
        StoreUnavailable
            The URL does not parse, names an unsupported database or a
            missing SQLite file, or the server cannot be reached.
        """
        engine, backend_cls = open_engine(url, must_exist=check_schema)
        store = cls(engine, backend_cls())
        if check_schema:
            try:
                store.check_schema()
            except SchemaError:
                store.close()
                raise
        return store

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    # -- schema -----------------------------------------------------------------

    def init(self) -> str:
        """Create or upgrade the schema to this code's version; return the revision.

        Raises
        ------
        SchemaError
            The database has a newer schema, or after upgrading it still
            lacks a column the layer registry declares (a field was declared
            without a migration).
        """
        current = self.schema_revision()
        if current is not None and not migrations.is_known(current):
            self._newer_schema(current)
        migrations.upgrade(self.engine)
        self._check_columns()
        return migrations.head()

    def schema_revision(self) -> str | None:
        """The schema revision recorded in the database, or ``None`` for an empty one."""
        with self.reader() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    def check_schema(self) -> None:
        """Raise :class:`SchemaError` unless the schema is exactly this code's version.

        Compares the revision, then every table and column the layer
        registry declares with what the database holds.
        """
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
        self._check_columns()

    def _check_columns(self) -> None:
        with self.reader() as conn:
            missing = missing_columns(conn, self.metadata)
        if missing:
            table, column = missing[0]
            raise SchemaError(
                "The database {url} lacks column {column} of table {table}, which this "
                "citygrid needs. Run `citygrid init` to upgrade it; if the schema is "
                "already current, the field has no migration yet (see "
                "citygrid.layers.migrations).",
                url=self.url,
                table=table,
                column=column,
                missing=[f"{t}.{c}" for t, c in missing],
            )

    def _newer_schema(self, current: str) -> None:
        raise SchemaError(
            "The database {url} has schema {current}, which this citygrid does not know: it "
            "was made by a newer version. Upgrade citygrid.",
            url=self.url,
            current=current,
        )

    # -- what the store holds -------------------------------------------------------

    def data_version(self, layer_name: str | None = None) -> int:
        """A counter that every committed transaction that wrote features increases;
        with ``layer_name``, the counter of the transactions that wrote that layer.

        One indexed read; caches of computed layers key on the store's counter
        (a cached result is stale when it moved), caches of one layer's
        features on the layer's. Inserts, updates, deletes, bulk loads and
        imports through the store all count, on every backend. A layer never
        written since its counter began is at 0.
        """
        meta = self.metadata.tables[META_TABLE]
        name = DATA_VERSION if layer_name is None else layer_version_name(layer_name)
        with self.reader() as conn:
            value = conn.execute(sa.select(meta.c.value).where(meta.c.name == name)).scalar()
        return int(value or 0)

    def counts(self) -> dict[str, int]:
        """Feature count of every stored layer."""
        with self.reader() as conn:
            return {layer.name: self.count(layer.name, conn) for layer in stored_layers()}

    def extent(self, layer_name: str) -> Bbox | None:
        """``(minx, miny, maxx, maxy)`` of a spatial layer in EPSG:4326, ``None`` when empty."""
        layer = get_layer(layer_name)
        if not layer.has_geometry:
            raise BadInput("Layer {name} has no geometry.", name=layer.name)
        with self.reader() as conn:
            row = conn.execute(self.backend.extent_select(self.table(layer_name))).one()
        return (
            None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
        )

    def is_empty(self) -> bool:
        """Whether no stored layer holds any feature."""
        return not any(self.counts().values())
