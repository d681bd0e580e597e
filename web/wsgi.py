"""The entry point for a production WSGI server: ``citygrid.web.wsgi:make_app``.

It builds the app from the environment (see :mod:`citygrid.config`) when
the server calls it, not when this module is imported::

    waitress-serve --listen=127.0.0.1:8000 --call citygrid.web.wsgi:make_app
    gunicorn --bind 127.0.0.1:8000 'citygrid.web.wsgi:make_app()'
"""

from __future__ import annotations

from flask import Flask

from citygrid.config import Config
from citygrid.web.app import create_app


def make_app() -> Flask:
    """The citygrid web app configured from ``CITYGRID_*`` environment variables."""
    return create_app(Config.from_env())
