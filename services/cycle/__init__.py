"""The problem cycle's groundwork: the working calendar, the catalogue's standards, deadlines.

- :mod:`.calendar`: China's working days (statutory holidays, adjusted
  working weekends) and the configured working hours; time added and
  counted in working time, one timestamp or a million at once;
- :mod:`.catalogue`: a city's catalogue with its registration and closure
  standards (立结案标准) loaded from CSV, XLSX or JSON, checked whole;
- :mod:`.deadlines`: a problem's deadline from its item's condition, and
  how many working days past it a problem is.
"""
