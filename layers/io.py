"""Import files into stored layers and export any layer to the files GIS users use.

The work is done in :mod:`citygrid.layers.importing` (with
:mod:`~citygrid.layers.import_checks` and :mod:`~citygrid.layers.import_values`)
and :mod:`citygrid.layers.exporting`; this module names them in one place.
"""

from citygrid.layers.exporting import (
    ExportReport,
    Labels,
    database_files,
    export_layer,
    write_layer_file,
    write_layers_file,
)
from citygrid.layers.importing import (
    BULK_IMPORT_FEATURES,
    DEFAULT_BATCH_SIZE,
    ImportReport,
    Progress,
    import_file,
)

__all__ = [
    "BULK_IMPORT_FEATURES",
    "DEFAULT_BATCH_SIZE",
    "ExportReport",
    "ImportReport",
    "Labels",
    "Progress",
    "database_files",
    "export_layer",
    "import_file",
    "write_layer_file",
    "write_layers_file",
]
