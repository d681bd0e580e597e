"""Campaign readiness: a simulated third-party evaluation and what to fix first.

- :mod:`.plans`: a sampling plan (how many places of each point type an
  evaluation visits, how they are drawn, which catalogue items are checked
  there), read from CSV, XLSX or JSON and checked against the store;
- :mod:`.places`: every place's expected deduction if visited on a day,
  from its open problems and its recent history;
- :mod:`.simulate`: the plan drawn many times, the expected score with an
  interval, the expected loss per item, point type, unit and place;
- :mod:`.priorities`: the open problems ranked by the points they would
  win back if fixed before the visit.
"""
