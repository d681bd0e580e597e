"""The Flask app factory.

``create_app(config, store)`` builds a new app each call; nothing is built
at import time and nothing reads the environment (build the
:class:`~citygrid.config.Config` with ``Config.from_env`` at the edge).
A WSGI server can use ``citygrid.web.app:create_app`` through a small
wrapper that builds the config.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, g

from citygrid.config import Config
from citygrid.i18n import LANGUAGES, translate
from citygrid.services.providers.source import Store, open_store
from citygrid.web import (
    cycle_inspect,
    cycle_pages,
    cycle_ranking,
    dashboard,
    planner,
    routes_api,
    routes_map,
    routes_ogc,
    routes_open311,
    routes_v1,
    views,
)
from citygrid.web.auth import install_auth
from citygrid.web.error_handlers import install_error_handlers
from citygrid.web.language import install_language
from citygrid.web.security import install_security
from citygrid.web.state import EXTENSION, WebState
from citygrid.web.tiles import check_tiles

_LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def create_app(config: Config, store: Store | None = None) -> Flask:
    """Build the citygrid web app.

    Parameters
    ----------
    config
        Settings: database URL (used when ``store`` is not given), default
        language, base tiles, secret key, public layers, sign-in limits.
    store
        An open store to serve; by default the app opens
        ``config.database_url``, checking its schema.

    Raises
    ------
    StoreUnavailable, SchemaError
        The database cannot be reached or has no current citygrid schema.
    BadInput
        The configured base tiles are unknown or lack their key, or the
        public layers name layers that do not exist.
    """
    check_tiles(config)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = config.secret_key or secrets.token_hex(16)
    app.extensions[EXTENSION] = WebState(config, store or open_store(config.database_url))
    install_language(app, config.language)
    install_security(app, config)
    install_error_handlers(app)
    install_auth(app, config)
    app.jinja_env.globals.update(_=_translate, languages=_LANGUAGE_NAMES)
    app.context_processor(_template_context)
    app.register_blueprint(views.bp)
    app.register_blueprint(routes_api.bp)
    app.register_blueprint(routes_map.bp)
    app.register_blueprint(routes_v1.bp)
    app.register_blueprint(planner.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(routes_ogc.bp)
    app.register_blueprint(routes_open311.blueprint(app, config))
    app.register_blueprint(cycle_pages.bp)
    app.register_blueprint(cycle_inspect.bp)
    app.register_blueprint(cycle_ranking.bp)
    return app


def _translate(message: str, **params: Any) -> str:
    """Jinja's ``_``: citygrid's translation in the request's language."""
    return translate(message, None, **params)


def _template_context() -> dict[str, Any]:
    lang = g.get("lang", LANGUAGES[0])
    return {"lang": lang, "html_lang": "en" if lang == "en" else "zh-CN"}
