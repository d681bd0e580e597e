"""Route a location to who answers for it: point, street or alley, cell, sub-district.

The chain (谁主管谁负责, 属地管理)
-----------------------------------
The chain is the registry's responsible layers
(:func:`citygrid.layers.registry.responsible_layers`), one link per rank,
lowest rank first, ending with the sub-district. For the built-in layers:

``point`` (rank 10)
    the point whose zone holds the location: a point geometry with its
    ``radius_m`` in metres (default :data:`DEFAULT_POINT_RADIUS_M`), or a
    polygon point containing it;
``street`` / ``alley`` (rank 20)
    the street or alley within ``Config.street_snap_m`` metres;
``grid`` (rank 30)
    the cell holding it;
``subdistrict``
    the sub-district (jurisdiction of level ``subdistrict``) holding it: the
    ``subdistrict_code`` of the first link that has one, else found by
    location.

How a feature holds a location follows from its geometry: a point within
its radius (the layer's ``Responsibility.radius_field``, else the
default), a line within the snap distance, a polygon by containment.

The responsible unit is the unit of the first link of the chain that has
one, and ``routed_by`` names that link's rule; a link without a unit
passes the problem on to the next; when no link has a unit, ``routed_by``
names the first link found and the unit is empty, so the gap shows. A
sub-district answers through its unit of kind ``subdistrict``. A location in
no sub-district and no feature of the last link is ``outside``; the answer
names the nearest sub-district and its distance in metres.

Tie rules (the same on every backend)
-------------------------------------
All decisions are made in numpy and shapely on frames read from the store,
so SQLite and PostGIS give the same answers. Distances are measured in the
city's metric CRS; containment (cells, sub-districts, polygon points) is
tested on the stored EPSG:4326 coordinates, exactly.

* Distances closer than :data:`TIE_TOLERANCE_M` (1 cm) are equal.
* Within a link, the nearest feature wins (0 inside a polygon); at equal
  distance the layer declared first (a street wins over an alley), then the
  lowest code.
* A location on a shared cell edge or corner: the lowest cell code; the
  same for sub-districts.
* Outside: the nearest sub-district; at equal distance, the lowest code.

Modules: :mod:`.index` (the layers read once), :mod:`.features` (one
link's features and the tie rules), :mod:`.chain` (routing many locations),
:mod:`.who` (one location with its whole chain), :mod:`.reroute` (problems
follow changes), :mod:`.nearby` (distance bins).
"""

from citygrid.services.routing.chain import cell_at, route_columns, route_locations, routed_fields
from citygrid.services.routing.features import TIE_TOLERANCE_M
from citygrid.services.routing.index import DEFAULT_POINT_RADIUS_M, RoutingIndex, subdistrict_units
from citygrid.services.routing.who import check_category, check_lon_lat, route_point

__all__ = [
    "DEFAULT_POINT_RADIUS_M",
    "TIE_TOLERANCE_M",
    "RoutingIndex",
    "cell_at",
    "check_category",
    "check_lon_lat",
    "route_columns",
    "route_locations",
    "route_point",
    "routed_fields",
    "subdistrict_units",
]
