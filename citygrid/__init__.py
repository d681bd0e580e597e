"""citygrid: grid management for Chinese cities.

Street, alley and grid polygons are linked to responsible units and to
inspection points; problems are routed to whoever answers for the place
they were found; a map shows hot spots and coverage gaps.

The root package holds only what every layer shares: configuration
(:mod:`citygrid.config`), user-facing errors (:mod:`citygrid.errors`),
message translation (:mod:`citygrid.i18n`) and the command line
(:mod:`citygrid.cli`). The work lives in the subpackages ``citygrid.gis``,
``citygrid.layers``, ``citygrid.services`` and ``citygrid.web``.
"""

__version__ = "0.1.0"
