"""The roles and what each may do.

A role says which layers its holders read and change, which kinds of scope
they take, and whether they see personal data. Every check of the web, the
APIs and the services asks these declarations; none keeps its own list.

========================  ========  ====================  =========================
role                      personal  scope                 changes
========================  ========  ====================  =========================
admin (管理员)             yes       the whole city        every layer, the users
planner (规划人员)         yes       jurisdictions         responsibility of cells,
                                                          streets, alleys, points
grid_manager (网格员)      yes       cells, jurisdictions  points and problems in them
unit_handler (经办人)      no        a unit                its unit's problems
inspector (巡查员)         no        jurisdictions, cells  inspections and problems
viewer (只读用户)          no        any                   nothing
========================  ========  ====================  =========================
"""

from __future__ import annotations

from dataclasses import dataclass

from citygrid.errors import BadInput
from citygrid.layers.account_layers import ROLES
from citygrid.layers.registry import Choice

ScopeKind = str
"""``jurisdiction``, ``grid`` or ``unit``."""


@dataclass(frozen=True)
class Role:
    """What the holders of one role may do.

    Attributes
    ----------
    name
        The role's value in the users layer (``planner``...).
    personal
        Sees personal fields (phone numbers, reporters, the audit's before and after).
    city_wide
        Reads and changes the whole city whatever scope the user has.
    scope_kinds
        The kinds of scope the role takes (``jurisdiction``, ``grid``, ``unit``).
    scope_required
        A user of this role must have a scope (it cannot be the whole city).
    reads
        Layers it may read, or ``None`` for every served layer.
    writes
        Layers whose features in its scope it may change.
    manages_users
        May add, change and remove users and their tokens.
    """

    name: str
    personal: bool
    city_wide: bool = False
    scope_kinds: tuple[ScopeKind, ...] = ()
    scope_required: bool = False
    reads: frozenset[str] | None = None
    writes: frozenset[str] = frozenset()
    manages_users: bool = False

    @property
    def choice(self) -> Choice:
        """The role's zh and en labels."""
        return next(c for c in ROLES if c.value == self.name)

    def label(self, lang: str | None = None) -> str:
        """The role's name in ``lang`` (default: the current language)."""
        return self.choice.label(lang)

    def may_read(self, layer: str) -> bool:
        """Whether the role reads ``layer`` at all (its scope still applies)."""
        return self.reads is None or layer in self.reads

    def may_write(self, layer: str) -> bool:
        """Whether the role changes features of ``layer`` (within its scope)."""
        return layer in self.writes


_RESPONSIBILITY = frozenset({"grids", "streets", "alleys", "points", "units", "people"})
_REFERENCE = frozenset({"jurisdictions", "units", "people", "catalogue"})

ROLE_DECLARATIONS: dict[str, Role] = {
    role.name: role
    for role in (
        Role(
            "admin",
            personal=True,
            city_wide=True,
            writes=_RESPONSIBILITY | {"jurisdictions", "catalogue", "inspections", "problems"},
            manages_users=True,
        ),
        Role("planner", personal=True, scope_kinds=("jurisdiction",), writes=_RESPONSIBILITY),
        Role(
            "grid_manager",
            personal=True,
            scope_kinds=("grid", "jurisdiction"),
            scope_required=True,
            writes=frozenset({"points", "problems"}),
        ),
        Role(
            "unit_handler",
            personal=False,
            scope_kinds=("unit",),
            scope_required=True,
            reads=_REFERENCE | {"grids", "streets", "alleys", "points", "problems"},
            writes=frozenset({"problems"}),
        ),
        Role(
            "inspector",
            personal=False,
            scope_kinds=("jurisdiction", "grid"),
            writes=frozenset({"inspections", "problems"}),
        ),
        Role("viewer", personal=False, scope_kinds=("jurisdiction", "grid", "unit")),
    )
}


def get_role(text: str) -> Role:
    """The role called ``text`` (its value, or its zh or en label).

    Raises
    ------
    BadInput
        No role is called so; the message lists the roles.
    """
    wanted = text.strip()
    for choice in ROLES:
        if wanted in (choice.value, choice.zh, choice.en):
            return ROLE_DECLARATIONS[choice.value]
    raise BadInput(
        "{role!r} is not a role; use one of: {known}.",
        role=text,
        known=", ".join(f"{c.value} ({c.zh})" for c in ROLES),
    )
