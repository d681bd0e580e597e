"""Applying one fix of the ``gap_proposals`` layer a planner reviewed on the map.

The fix is looked up again in the proposals computed now (with the same
analysis parameters), so what is applied is what the server proposes, not
what a browser sent; if the fix the planner saw (its id, feature and the
feature's version) is no longer proposed, it was applied already or the
data changed since, and nothing is applied. The change itself goes
through :func:`~citygrid.services.coverage.apply.apply_proposal`, as
``citygrid apply-proposal`` does: one transaction, audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from citygrid.errors import Conflict, NotFound
from citygrid.layers.gap_layers import GAP_PROPOSALS
from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext
from citygrid.services.coverage.apply import apply_proposal
from citygrid.services.providers import provider_for
from citygrid.services.providers.scoping import check_write
from citygrid.services.responsibility.history_names import when


def apply_fix(
    ctx: CityContext,
    fix_id: str,
    *,
    layer: str,
    code: str,
    version: int,
    parameters: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Apply the fix ``fix_id`` of the proposals for ``parameters``, as the planner saw it.

    Parameters
    ----------
    ctx
        The request's context: ``ctx.actor`` is audited; its principal must
        change the fixed layer, and the feature must be in its scope.
    fix_id
        The fix's ``id`` (``FIX-0001``).
    layer, code, version
        The feature the planner saw the fix change, and its version then.
    parameters
        The coverage analysis parameters (as typed: name -> values) the
        proposals were made with; the defaults when ``None``.

    Returns
    -------
    pandas.DataFrame
        ``layer``, ``code``, ``version`` (new), ``before``, ``after`` per changed feature.

    Raises
    ------
    Conflict
        The fix is no longer proposed as seen (applied already, or the
        feature changed since: the message names who changed it last, and
        when); nothing is applied.
    Unauthorized, PermissionDenied
        The principal may not change that feature.
    BadInput
        Bad analysis parameters.
    """
    provider = provider_for(GAP_PROPOSALS.name)
    query = provider.query(parameters or {})
    ctx.principal.check_write(get_layer(layer))
    try:
        fix = provider.feature(ctx, fix_id, query)
    except NotFound:
        fix = None
    if (
        fix is None
        or (fix["layer"].iloc[0], fix["feature_code"].iloc[0]) != (layer, code)
        or int(fix["version"].iloc[0]) != int(version)
    ):
        raise _gone(ctx, fix_id, layer, code)
    check_write(ctx, get_layer(layer), [code])
    return apply_proposal(ctx.store, fix, actor=ctx.actor, config=ctx.config)


def _gone(ctx: CityContext, fix_id: str, layer: str, code: str) -> Conflict:
    """The refusal of a fix that is no longer proposed, naming the feature's last change."""
    history = ctx.store.history(layer, code)
    if history.empty:
        return Conflict(
            "Fix {fix} is no longer proposed: the gaps changed since you loaded the proposals. "
            "Reload them and review again; nothing was applied.",
            fix=fix_id,
        )
    last = history.iloc[-1]
    return Conflict(
        "Fix {fix} is no longer proposed: {layer} {code} was last changed by {actor} at {at} "
        "({action}), so it was applied already or the data changed since. Reload the proposals "
        "and review again; nothing was applied.",
        fix=fix_id,
        layer=layer,
        code=code,
        actor=str(last["actor"]),
        at=when(last["at"]),
        action=str(last["action"]),
    )
