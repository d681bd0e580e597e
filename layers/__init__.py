"""citygrid.layers: the layer registry, the store and reading/writing layers."""
