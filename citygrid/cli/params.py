"""Click options rendered from a :class:`~citygrid.params.Params` declaration.

:func:`param_options` turns each parameter into an option (its declared
``flag``, or ``--`` + the name with dashes; ``bool`` parameters into a
``--name/--no-name`` switch) whose help is the parameter's help, translated
when shown. :func:`params_from_options` hands the texts given to
:meth:`Params.from_text <citygrid.params.Params.from_text>`, so a bad value
is a :class:`~citygrid.errors.BadInput` naming the parameter and the option
(exit 2). Click itself checks nothing: every value reaches the one parser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from citygrid.errors import BadInput
from citygrid.i18n import _
from citygrid.params import Param, Params

P = TypeVar("P", bound=Params)

_METAVARS = {"int": "N", "float": "NUMBER", "str": "TEXT", "date": "DATE", "bbox": "BBOX"}


class ParamOption(click.Option):
    """An option whose help is its parameter's, translated when the help is shown."""

    def __init__(self, *args: Any, spec: Param, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        """The option and its help in the current language, with unit and default."""
        self.help = describe(self.spec)
        return super().get_help_record(ctx)


def describe(spec: Param) -> str:
    """The help of a parameter in the current language: label, help, unit and default."""
    text = _("{label}: {help}").format(label=spec.label(), help=_(spec.help))
    if spec.unit:
        text += " " + _("Unit: {unit}.").format(unit=_(spec.unit))
    if spec.default is not None and spec.type != "bool":
        text += " " + _("Default: {value}.").format(value=spec.default)
    return text


def _dest(spec: Param) -> str:
    return "param_" + spec.name


def param_options(
    params: type[Params], *, repeatable: Iterable[str] = ()
) -> Callable[[Callable[..., Any]], Any]:
    """A decorator adding one option per parameter of ``params``.

    Parameters
    ----------
    params
        The parameter set.
    repeatable
        Names of ``str`` parameters whose option may be repeated; the
        values are joined with commas (``--status a --status b``).
    """
    repeated = set(repeatable)

    def decorate(command: Callable[..., Any]) -> Any:
        for spec in reversed(params.specs()):
            if spec.type == "bool":
                flag = spec.cli_flag.removeprefix("--")
                decls = [f"--{flag}/--no-{flag}", _dest(spec)]
                extra: dict[str, Any] = {"default": None}
            else:
                decls = [spec.cli_flag, _dest(spec)]
                extra = {
                    "metavar": "|".join(spec.choices) if spec.choices else _METAVARS[spec.type],
                    "multiple": spec.name in repeated,
                    "type": str,
                }
            command = click.option(*decls, cls=ParamOption, spec=spec, help=spec.help, **extra)(
                command
            )
        return command

    return decorate


def params_from_options(params: type[P], given: dict[str, Any]) -> P:
    """Take the options of ``params`` out of a command's keyword arguments and build them.

    Raises
    ------
    BadInput
        A value that does not parse or is out of bounds, naming the option
        and the parameter.
    """
    texts: dict[str, str | None] = {}
    for spec in params.specs():
        value = given.pop(_dest(spec), None)
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, tuple):
            value = ",".join(value) if value else None
        texts[spec.name] = value
    try:
        return params.from_text(texts)
    except BadInput as error:
        name = error.params.get("param")
        if not isinstance(name, str):
            raise
        flag = params.spec(name).cli_flag
        raise BadInput(
            "Option {option}: {problem}", option=flag, problem=error.message(), param=name
        ) from None
