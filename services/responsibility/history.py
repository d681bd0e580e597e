"""The audit history of one feature."""

from __future__ import annotations

import json

import pandas as pd

from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext


def feature_history(ctx: CityContext, layer_name: str, code: str) -> pd.DataFrame:
    """The audit entries of one feature, oldest first.

    Returns
    -------
    pandas.DataFrame
        ``at``, ``actor``, ``action``, ``before`` and ``after`` (dicts of the
        changed fields), ``reason``.

    Raises
    ------
    NotFound
        The feature does not exist and never did.
    """
    get_layer(layer_name)
    entries = ctx.store.history(layer_name, code)
    if entries.empty:
        ctx.store.get(layer_name, code)  # raises NotFound for an unknown feature
    out = entries[["at", "actor", "action", "before", "after", "reason"]].copy()
    for column in ("before", "after"):
        out[column] = [json.loads(v) if v else {} for v in out[column]]
    return out.reset_index(drop=True)
