"""The problem cycle: the working calendar, the catalogue's standards, deadlines, the workflow.

- :mod:`.calendar`: China's working days (statutory holidays, adjusted
  working weekends) and the configured working hours; time added and
  counted in working time, one timestamp or a million at once;
- :mod:`.catalogue`: a city's catalogue with its registration and closure
  standards (立结案标准) loaded from CSV, XLSX or JSON, checked whole;
- :mod:`.deadlines`: a problem's deadline from its item's condition, and
  how many working days past it a problem is;
- :mod:`.workflow`: the transitions of a case (立案, 派遣, 反馈, 核查, 返工),
  who may make each, each one audited;
- :mod:`.intake`: a problem reported, coded and routed at once;
- :mod:`.case`: a problem with names, days overdue and its timeline from
  the audit log;
- :mod:`.holidays`: the holidays file that extends or overrides the
  calendar package's days (years it does not know yet);
- :mod:`.photos`: photos stored with a problem, checked by content and
  size, read only by who may see the problem;
- :mod:`.recurrence`: duplicates merged at intake, recurrences (反弹)
  linked at intake and over every problem at once;
- :mod:`.access`: one problem read by code, only when the principal may see it.
- :mod:`.inspections`: an inspection round over points, streets and alleys,
  each found clean or with problems (reported through the intake), and
  when each place was last inspected; :mod:`.inspection_files` reads a
  round from CSV or XLSX;
- :mod:`.inbox`, :mod:`.actions`, :mod:`.inspect_form`, :mod:`.report_access`:
  what the web pages show: a unit's inbox, the transitions a user may make
  now, the inspector's form's choices, who reads which reports.
"""
