"""The problem picture on the map: counts per grid cell, and problems with names for people."""
