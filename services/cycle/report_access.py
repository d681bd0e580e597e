"""Who reads the cycle's reports on the web: the monthly ranking, and which ledgers.

The monthly ranking is the city's published evaluation: every role that
reads problems reads it. A ledger (台账) lists a unit's, cell's or
sub-district's open tasks with the people responsible, so a scoped user
gets the ledgers of their own scope only: a unit handler their unit's, a
grid manager their cells', a user of jurisdictions those sub-districts';
users who see the whole city get any.
"""

from __future__ import annotations

from citygrid.errors import PermissionDenied
from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext

_SCOPE_KINDS = {"unit": "unit", "grid": "cell", "jurisdiction": "subdistrict"}
"""A user's scope kind -> the ledger kind of its codes."""


def check_reads_reports(ctx: CityContext) -> None:
    """Refuse the reports to a principal who reads no problems.

    Raises
    ------
    Unauthorized, PermissionDenied
        Nobody signed in, or a role that does not read problems.
    """
    ctx.principal.check_read(get_layer("problems"))


def own_ledgers(ctx: CityContext) -> list[tuple[str, str]]:
    """The ledgers (kind, code) of the principal's scope; empty for whole-city principals,
    who may ask for any."""
    principal = ctx.principal
    if principal.city_wide or principal.scope.kind is None:
        return []
    kind = _SCOPE_KINDS[principal.scope.kind]
    return [(kind, code) for code in principal.scope.codes]


def check_ledger(ctx: CityContext, kind: str, code: str) -> None:
    """Refuse the ledger of ``kind`` ``code`` to a principal it is not for.

    Raises
    ------
    Unauthorized, PermissionDenied
        A role that reads no problems, or a ledger outside the principal's scope.
    """
    check_reads_reports(ctx)
    if ctx.principal.city_wide or (kind, code) in own_ledgers(ctx):
        return
    raise PermissionDenied(
        "The ledger of {code} is outside your scope ({scope}); you may download {own}.",
        code=code,
        scope=str(ctx.principal.scope),
        own=", ".join(c for _, c in own_ledgers(ctx)) or "-",
    )
