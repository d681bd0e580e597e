"""The dashboard: counts, the monthly trend, the worst places, and downloads of the
analysis layers, for the caller's scope and the problem filters."""
