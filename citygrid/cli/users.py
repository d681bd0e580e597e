"""``citygrid users``: accounts and their API tokens.

A thin adapter over :mod:`citygrid.services.accounts`: the services check
every value and audit every change (with the global ``--actor`` or the
system user); this module reads passwords and prints. The services are
imported when a command runs, so ``citygrid --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from citygrid.cli.context import CliContext
from citygrid.cli.lazy import LazyGroup
from citygrid.cli.tables import table_output
from citygrid.errors import BadInput
from citygrid.i18n import _

if TYPE_CHECKING:
    from datetime import datetime

    import pandas as pd

    from citygrid.services.accounts.users import User

pass_context = click.make_pass_decorator(CliContext)

_ROLE_HELP = (
    "Role: admin, planner, grid_manager, unit_handler, inspector or viewer (or its Chinese name)."
)
_SCOPE_HELP = (
    "Where the user works: jurisdiction:CODE,..., grid:CODE,... or unit:CODE; city for the "
    "whole city."
)
_FULL_NAME_HELP = "The user's name as people know it."
_PERSON_HELP = "The user's code in the people layer."
_STDIN_HELP = "Read the password from the first line of standard input."


@click.group("users", cls=LazyGroup)
def users_group() -> None:
    """User accounts and their API tokens."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", required=True, metavar="ROLE", help=_ROLE_HELP)
@click.option("--scope", metavar="KIND:CODE,...", help=_SCOPE_HELP)
@click.option("--name", "full_name", metavar="FULL_NAME", help=_FULL_NAME_HELP)
@click.option("--person", metavar="CODE", help=_PERSON_HELP)
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@pass_context
def users_add_command(
    ctx: CliContext,
    name: str,
    role: str,
    scope: str | None,
    full_name: str | None,
    person: str | None,
    password_stdin: bool,
) -> None:
    """Add the user NAME with a role and, for most roles, a scope.

    Without --password-stdin the password is asked on a terminal, hidden and
    twice; elsewhere the user gets no password and works with API tokens only.
    """
    from citygrid.services.accounts.users import add_user

    password = _read_password(from_stdin=password_stdin, ask=_on_terminal())
    user = add_user(
        ctx.city(),
        name,
        role,
        scope=scope,
        full_name=full_name,
        person=person,
        password=password,
    )
    click.echo(
        _("User {name} added: {role}, {scope}.").format(
            name=user.name, role=user.role.label(), scope=_scope_text(user)
        )
    )
    if password is None:
        click.echo(
            _(
                "{name} has no password, so cannot sign in; API tokens work. Set one with "
                "`citygrid users set {name} --password-stdin`."
            ).format(name=user.name)
        )


@users_group.command("list")
@click.option("--tokens", is_flag=True, help="Also list the API tokens (never their secrets).")
@table_output
@pass_context
def users_list_command(ctx: CliContext, tokens: bool) -> None:
    """List the users: role, scope, whether disabled or a demo account, last sign-in."""
    from citygrid.cli.tables import print_table
    from citygrid.layers.registry import get_layer
    from citygrid.services.accounts.tokens import list_tokens
    from citygrid.services.accounts.users import list_users

    city = ctx.city()
    users = list_users(city)
    if users.empty:
        click.echo(_("No users yet; add one with `citygrid users add NAME --role admin`."))
    else:
        shown = users[["code", "name", "role", "scope", "disabled", "demo", "last_login_at"]]
        shown = shown.assign(
            scope=[v if isinstance(v, str) and v else _("whole city") for v in shown["scope"]],
            disabled=_yes(shown["disabled"]),
            demo=_yes(shown["demo"]),
        )
        print_table(shown, _("Users"), get_layer("users"))
    if not tokens:
        return
    issued = list_tokens(city)
    if issued.empty:
        click.echo(_("No API tokens; issue one with `citygrid users token NAME`."))
        return
    state = [
        _token_state(revoked, expires, city.now)
        for revoked, expires in zip(issued["revoked_at"], issued["expires_at"], strict=True)
    ]
    columns = ["code", "user_code", "label", "created_at", "expires_at"]
    print_table(issued[columns].assign(state=state), _("API tokens"), get_layer("tokens"))


@users_group.command("set")
@click.argument("name")
@click.option("--role", metavar="ROLE", help=_ROLE_HELP)
@click.option("--scope", metavar="KIND:CODE,...", help=_SCOPE_HELP)
@click.option("--name", "full_name", metavar="FULL_NAME", help=_FULL_NAME_HELP)
@click.option("--person", metavar="CODE", help=_PERSON_HELP)
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@click.option(
    "--password", "ask_password", is_flag=True, help="Ask for a new password (hidden, twice)."
)
@click.option(
    "--disable/--enable",
    "disabled",
    default=None,
    help="Refuse the user's sign-ins and tokens, or allow them again.",
)
@pass_context
def users_set_command(
    ctx: CliContext,
    name: str,
    role: str | None,
    scope: str | None,
    full_name: str | None,
    person: str | None,
    password_stdin: bool,
    ask_password: bool,
    disabled: bool | None,
) -> None:
    """Change the user NAME; what is not given stays as it is."""
    from citygrid.services.accounts.users import set_user

    if ask_password and not _on_terminal():
        raise BadInput("--password asks on a terminal; elsewhere use --password-stdin.")
    password = _read_password(from_stdin=password_stdin, ask=ask_password)
    user = set_user(
        ctx.city(),
        name,
        role=role,
        scope=scope,
        full_name=full_name,
        person=person,
        password=password,
        disabled=disabled,
    )
    status = _("disabled") if user.disabled else _("enabled")
    click.echo(
        _("User {name} changed: {role}, {scope}, {status}.").format(
            name=user.name, role=user.role.label(), scope=_scope_text(user), status=status
        )
    )


@users_group.command("token")
@click.argument("name")
@click.option(
    "--days", default=90, show_default=True, type=int, help="Days the token works (1 to 3650)."
)
@click.option("--label", metavar="TEXT", help="What the token is for (a script, a system).")
@pass_context
def users_token_command(ctx: CliContext, name: str, days: int, label: str | None) -> None:
    """Issue an API token for the user NAME and print it, this once only.

    The token alone goes to standard output, so a script can capture it;
    its id and expiry go to standard error.
    """
    from citygrid.services.accounts.tokens import issue_token

    issued = issue_token(ctx.city(), name, days=days, label=label)
    click.echo(issued.token)
    click.echo(
        _(
            "Token {id} for {name}, valid until {expires}. Send it as `Authorization: Bearer "
            "TOKEN`. It is not shown again: store it now."
        ).format(id=issued.id, name=name.strip(), expires=issued.expires_at.isoformat(sep=" ")),
        err=True,
    )


@users_group.command("revoke")
@click.argument("target", metavar="NAME|TOKEN-ID")
@pass_context
def users_revoke_command(ctx: CliContext, target: str) -> None:
    """Revoke the token TOKEN-ID, or every token of the user NAME."""
    from citygrid.services.accounts.tokens import revoke

    count = revoke(ctx.city(), target)
    if count == 0:
        click.echo(_("Nothing to revoke: {target} has no live token.").format(target=target))
        return
    click.echo(_("Tokens revoked: {count}.").format(count=count))


@users_group.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Remove without asking.")
@pass_context
def users_remove_command(ctx: CliContext, name: str, yes: bool) -> None:
    """Remove the user NAME and their API tokens (asks first on a terminal)."""
    from citygrid.services.accounts.users import get_user, remove_user

    city = ctx.city()
    user = get_user(city, name)
    if not yes and _on_terminal():
        click.confirm(
            _("Remove user {name} and their API tokens?").format(name=user.name), abort=True
        )
    remove_user(city, user.name)
    click.echo(_("User {name} removed, with their API tokens.").format(name=user.name))


def _on_terminal() -> bool:
    """Whether standard input is a terminal (someone can type a password)."""
    return sys.stdin.isatty()


def _read_password(*, from_stdin: bool, ask: bool) -> str | None:
    """The password from stdin's first line, typed on the terminal, or ``None``."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not ask:
        return None
    return str(
        click.prompt(
            _("Password"),
            hide_input=True,
            confirmation_prompt=_("Repeat the password"),
            value_proc=_checked_password,
        )
    )


def _checked_password(value: str) -> str:
    """``value`` if it passes the password check; else asked again with the reason."""
    from citygrid.services.accounts.passwords import check_password

    try:
        check_password(value)
    except BadInput as exc:
        raise click.UsageError(exc.message()) from None
    return value


def _scope_text(user: User) -> str:
    return str(user.scope) or _("whole city")


def _yes(values: pd.Series) -> list[str]:
    import pandas as pd

    return [_("yes") if not pd.isna(value) and bool(value) else "" for value in values]


def _token_state(revoked_at: object, expires_at: datetime, now: datetime) -> str:
    import pandas as pd

    if not pd.isna(revoked_at):
        return _("revoked")
    return _("expired") if expires_at <= now else _("valid")
