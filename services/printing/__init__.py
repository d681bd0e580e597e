"""Maps for print: analysis layers as PNG or PDF pages for the monthly briefing.

- :mod:`.fonts`: a Chinese font for matplotlib, found through fontconfig
  when matplotlib's own font cache predates it;
- :mod:`.paper`: paper sizes, orientation and resolution of a page;
- :mod:`.context`: what a reader needs to find their way (sub-district
  outlines and names, main street names), read from the store;
- :mod:`.sheet`: one map page: title, subtitle with the filters and
  period, ordered legend, scale bar, north arrow, data source and date.
"""
