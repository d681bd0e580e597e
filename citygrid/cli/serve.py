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
    "--debug",
    is_flag=True,
    help="Show tracebacks in the browser (interactive debugger; local addresses only).",
)
@pass_context
def serve_command(ctx: CliContext, host: str, port: int, debug: bool) -> None:
    """Serve the map and the JSON API until Ctrl+C."""
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
    app = create_app(ctx.config, store)
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


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


COMMANDS = [serve_command]
