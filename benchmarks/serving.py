"""The app on a real threaded HTTP server at 127.0.0.1, for the benchmarks that time HTTP."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.web.app import create_app


@contextmanager
def serving(store: Store, config: Config) -> Iterator[str]:
    """Serve ``store`` with ``config`` on a free port; yield the base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, create_app(config, store), threaded=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
