"""citygrid.services: what users do (assign, route, inspect, rank, hot spots, gaps); no Flask."""
