"""Who answers for each responsible feature: assign, bulk files, auto-assign, units, workload.

The responsible layers and their unit and head fields come from the
registry (:func:`citygrid.layers.registry.responsible_layers`); see
:mod:`.layers`. Modules: :mod:`.assign` (by hand), :mod:`.bulk` (a file of
assignments), :mod:`.auto` (the rules), :mod:`.units`, :mod:`.history`,
:mod:`.workload`, :mod:`.checks` (row checks).
"""

from citygrid.services.responsibility.assign import CHANGE_COLUMNS, assign, check_assignable
from citygrid.services.responsibility.auto import SHARE_TOLERANCE, auto_assign, largest_share
from citygrid.services.responsibility.bulk import (
    CLEAR_MARKERS,
    assign_file,
    assign_many,
    read_table,
)
from citygrid.services.responsibility.checks import RowProblem
from citygrid.services.responsibility.history import feature_history
from citygrid.services.responsibility.layers import assignable_layers, head_field, unit_field
from citygrid.services.responsibility.units import delete_unit, unit_holdings

__all__ = [
    "CHANGE_COLUMNS",
    "CLEAR_MARKERS",
    "SHARE_TOLERANCE",
    "RowProblem",
    "assign",
    "assign_file",
    "assign_many",
    "assignable_layers",
    "auto_assign",
    "check_assignable",
    "delete_unit",
    "feature_history",
    "head_field",
    "largest_share",
    "read_table",
    "unit_field",
    "unit_holdings",
]
