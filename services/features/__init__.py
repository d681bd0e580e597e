"""Features changed one at a time: GeoJSON bodies read into field values, and the
create, update and delete of a stored layer's feature, checked and audited.

:mod:`.values` turns a GeoJSON Feature (as a client sends it) into checked
field values and a geometry in EPSG:4326; :mod:`.edits` writes them within
the principal's role and scope, with the feature's version as the guard.
"""
