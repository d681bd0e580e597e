"""The monthly briefing (月度通报): maps, tables and a summary for one month.

- :mod:`.pack`: everything for a month (and optionally one sub-district)
  written into a folder: hot-spot, trend and gap maps as PNG and PDF, one
  XLSX workbook (rankings with their change, points that failed, the
  performance rates, the ledger), and a short summary in Chinese.
"""
