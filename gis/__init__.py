"""citygrid.gis: geometry and CRS tools with no database and no web framework."""
