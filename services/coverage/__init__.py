"""Coverage gaps: every place where nobody is responsible, and fixes for them.

- :mod:`.params`: the thresholds;
- :mod:`.city`: reading the city once;
- :mod:`.findings`: each finding, shaped as its gap layer;
- :mod:`.summary`: the figures per sub-district;
- :mod:`.analysis`: :func:`~.analysis.analyse_coverage`, registered as ``gaps``;
- :mod:`.report`: writing the layers into one GeoPackage;
- :mod:`.proposals` and :mod:`.apply`: proposing fixes and applying a reviewed proposal.
"""
