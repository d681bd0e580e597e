"""Where problems cluster: hot spots, emerging hot spots and kernel density.

Modules, in the order an analysis uses them:

- :mod:`.params`: the parameters (filters, cells, weights, each analysis's own);
- :mod:`.query`: reading the problems the filters select;
- :mod:`.cells`: the cells counted in and their default size;
- :mod:`.weights` and :mod:`.band`: neighbours and the default distance band;
- :mod:`.gistar`: Getis-Ord Gi* with FDR;
- :mod:`.setup`: problems, cells and neighbours made ready for Gi*;
- :mod:`.hot_spots`, :mod:`.emerging`, :mod:`.density`: the three analyses,
  each registered with :func:`citygrid.services.analysis.register_analysis`;
"""
