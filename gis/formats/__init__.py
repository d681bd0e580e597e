"""Vector file formats GIS users exchange, read and written through pyogrio.

Formats (name: extensions):

- ``gpkg``: ``.gpkg`` (GeoPackage; choose a layer when it holds several)
- ``geojson``: ``.geojson``, ``.json``
- ``shp``: ``.shp`` or a zipped shapefile ``.zip`` / ``.shp.zip``
- ``kml``: ``.kml`` (always EPSG:4326)
- ``fgb``: ``.fgb`` (FlatGeobuf)
- ``parquet``: ``.parquet``, ``.geoparquet`` (GeoParquet, via geopandas and pyarrow)
- ``csv``: ``.csv``, ``.txt`` with lon/lat columns or a WKT column

The package, by family:

- :mod:`.catalog`: the formats, their drivers and extensions;
- :mod:`.encodings`: UTF-8 or GBK/GB18030, detected and checked against the
  bytes, so a GBK file read as UTF-8 is refused with a hint, not garbled;
- :mod:`.reading` (with :mod:`.source`): files opened and read in batches;
- :mod:`.csvfiles`: CSV with lon/lat or WKT, formula cells neutralised;
- :mod:`.shapefile`: plain and zipped shapefiles, long field names mapped
  through ``<name>.fields.csv``;
- :mod:`.staging`: every write staged beside its target and renamed into
  place; folders, the store's database and (without ``overwrite``)
  existing files are refused;
- :mod:`.writing`: frames written through a staged file.

Every failure to read or write is a :class:`~citygrid.errors.BadInput` (or
:class:`~citygrid.errors.Conflict` for an existing file) naming the file
and saying what to do.
"""

from citygrid.gis.formats.catalog import FORMATS, Format, detect_format, format_names
from citygrid.gis.formats.csvfiles import neutralise_formulas
from citygrid.gis.formats.encodings import codec_name, detect_encoding
from citygrid.gis.formats.reading import open_source, read_batches
from citygrid.gis.formats.shapefile import (
    MAPPING_SUFFIX,
    SHAPEFILE_NAME_BYTES,
    mapping_path,
    read_mapping,
    shapefile_names,
)
from citygrid.gis.formats.source import Source
from citygrid.gis.formats.staging import StagedFile, check_target, staged_file
from citygrid.gis.formats.writing import (
    ARROW_FORMATS,
    ONE_GEOMETRY_TYPE,
    stage,
    write_frame,
    write_into,
    write_table_into,
)

__all__ = [
    "ARROW_FORMATS",
    "FORMATS",
    "MAPPING_SUFFIX",
    "ONE_GEOMETRY_TYPE",
    "SHAPEFILE_NAME_BYTES",
    "Format",
    "Source",
    "StagedFile",
    "check_target",
    "codec_name",
    "detect_encoding",
    "detect_format",
    "format_names",
    "mapping_path",
    "neutralise_formulas",
    "open_source",
    "read_batches",
    "read_mapping",
    "shapefile_names",
    "stage",
    "staged_file",
    "write_frame",
    "write_into",
    "write_table_into",
]
