"""Who is asking: a signed-in user, an anonymous visitor, or the system itself.

Every read and write of the web and the APIs carries a :class:`Principal`
in its :class:`~citygrid.services.context.CityContext`; the command line
runs as :data:`SYSTEM`, the operator of the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from citygrid.errors import PermissionDenied, Unauthorized
from citygrid.layers.registry import Layer
from citygrid.services.accounts.roles import Role
from citygrid.services.accounts.scope import Scope


@dataclass(frozen=True)
class Principal:
    """The one a request acts for.

    Attributes
    ----------
    user
        The user name, or ``""`` for an anonymous visitor.
    role
        The user's role; ``None`` for an anonymous visitor.
    scope
        Where the user reads and works.
    public_layers
        What an anonymous visitor may read (from the config); unused for users.
    system
        The command line: everything, with no scope.
    """

    user: str = ""
    role: Role | None = None
    scope: Scope = field(default_factory=Scope)
    public_layers: frozenset[str] = frozenset()
    system: bool = False

    @property
    def anonymous(self) -> bool:
        """Whether nobody is signed in."""
        return self.role is None and not self.system

    @property
    def personal(self) -> bool:
        """Whether personal fields are served to this principal."""
        return self.system or (self.role is not None and self.role.personal)

    @property
    def city_wide(self) -> bool:
        """Whether no scope limits this principal."""
        return self.system or self.scope.whole_city or bool(self.role and self.role.city_wide)

    def check_read(self, layer: Layer) -> None:
        """Refuse a read of ``layer`` this principal may not make.

        Raises
        ------
        Unauthorized
            An anonymous visitor asks for a layer that is not public.
        PermissionDenied
            The role does not read the layer, or the layer is internal.
        """
        if self.system:
            return
        if self.anonymous:
            if layer.name not in self.public_layers or layer.internal:
                raise Unauthorized(
                    "Sign in to read layer {layer}: it is not public on this server.",
                    layer=layer.name,
                )
            return
        assert self.role is not None
        if layer.internal or not self.role.may_read(layer.name):
            raise PermissionDenied(
                "Your role ({role}) does not read layer {layer}.",
                role=self.role.label(),
                layer=layer.name,
            )

    def check_write(self, layer: Layer) -> None:
        """Refuse a change to ``layer`` this principal may not make (scope aside).

        Raises
        ------
        Unauthorized
            Nobody is signed in.
        PermissionDenied
            The role does not change the layer.
        """
        if self.system:
            return
        if self.role is None:
            raise Unauthorized("Sign in to change layer {layer}.", layer=layer.name)
        if not self.role.may_write(layer.name):
            raise PermissionDenied(
                "Your role ({role}) does not change layer {layer}.",
                role=self.role.label(),
                layer=layer.name,
            )


SYSTEM = Principal(user="", system=True)
"""The command line and the services' own work: no scope, every field."""


def anonymous(public_layers: frozenset[str] | tuple[str, ...] = ()) -> Principal:
    """An anonymous visitor who may read ``public_layers`` (personal fields withheld)."""
    return Principal(public_layers=frozenset(public_layers))
