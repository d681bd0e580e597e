"""``citygrid serve``: the map and the JSON API on a local web server."""

from __future__ import annotations

import errno
import ipaddress
import socket

import click

from citygrid.cli.context import CliContext
from citygrid.errors import BadInput
from citygrid.i18n import _

pass_context = click.make_pass_decorator(CliContext)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--trusted-host",
    "trusted_hosts",
    multiple=True,
    metavar="NAME",
    help="Another host name browsers may use to reach the server (repeatable); "
    "--host and $CITYGRID_TRUSTED_HOSTS are trusted already.",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Show tracebacks in the browser (interactive debugger; local addresses only).",
)
@pass_context
def serve_command(
    ctx: CliContext, host: str, port: int, trusted_hosts: tuple[str, ...], debug: bool
) -> None:
    """Serve the map and the JSON API until Ctrl+C.

    The server speaks plain HTTP. On an address other than the loopback
    one it warns that other machines can reach it; production belongs
    behind a reverse proxy with HTTPS (README, "Running in production").
    """
    if debug and not _is_loopback(host):
        raise BadInput(
            "--debug opens an interactive debugger that runs code sent to it, so it only "
            "listens on 127.0.0.1 or localhost, not {host}. Leave out --debug or --host.",
            host=host,
        )
    from werkzeug.debug import DebuggedApplication
    from werkzeug.serving import make_server

    from citygrid.web.app import create_app  # Flask and folium load when the server starts

    store = ctx.store()
    if store.is_empty():
        click.secho(
            _(
                "The database {url} holds no features yet; the map will be empty. Run "
                "`citygrid demo` to load a demo city."
            ).format(url=store.url),
            fg="yellow",
            err=True,
        )
    config = ctx.config.with_(
        trusted_hosts=tuple(
            dict.fromkeys((*ctx.config.trusted_hosts, *_named(host), *trusted_hosts))
        )
    )
    if not _is_loopback(host):
        _warn_reachable(host, config.trusted_hosts)
    app = create_app(config, store)
    app.debug = debug
    listener = _listen(host, port)
    application = DebuggedApplication(app, evalex=True) if debug else app
    server = make_server(host, port, application, threaded=True, fd=listener.fileno())
    bound_port = server.socket.getsockname()[1]
    click.echo(
        _("citygrid map at {url} (Ctrl+C to stop)").format(
            url=f"http://{_url_host(host)}:{bound_port}/"
        )
    )
    try:
        server.serve_forever()  # werkzeug returns from here on Ctrl+C
    finally:
        server.server_close()
        listener.close()
    click.echo(_("Stopped."))


def _listen(host: str, port: int) -> socket.socket:
    """Bind a listening socket, or raise :class:`BadInput` saying why it cannot."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family = infos[0][0]
        return socket.create_server((host, port), family=family, backlog=128)
    except socket.gaierror:
        raise BadInput(
            "Cannot listen on {host}: no such address. Use an address of this machine, "
            "such as 127.0.0.1.",
            host=host,
        ) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise BadInput(
                "Port {port} on {host} is already in use by another program. Stop it, or "
                "choose another port with --port.",
                port=port,
                host=host,
            ) from None
        raise BadInput(
            "Cannot listen on {host} port {port}: {reason}. Choose another address or port.",
            host=host,
            port=port,
            reason=exc.strerror or str(exc),
        ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _named(host: str) -> tuple[str, ...]:
    """``host`` as a trusted host name, or nothing for a wildcard such as ``0.0.0.0``."""
    try:
        return () if ipaddress.ip_address(host).is_unspecified else (host,)
    except ValueError:
        return (host,)


def _warn_reachable(host: str, trusted_hosts: tuple[str, ...]) -> None:
    """Warn on stderr that the server is open to other machines, over plain HTTP."""
    click.secho(
        _(
            "Warning: listening on {host}, so other machines can reach this server. It "
            "speaks plain HTTP: nothing sent to it, passwords included, is encrypted. In "
            'production run it behind a reverse proxy with HTTPS (see "Running in '
            'production" in README.md). Browsers must reach it by one of these names: '
            "{hosts}; add others with --trusted-host or CITYGRID_TRUSTED_HOSTS."
        ).format(host=host, hosts=", ".join(trusted_hosts)),
        fg="yellow",
        err=True,
    )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


COMMANDS = [serve_command]
