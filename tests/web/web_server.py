"""A Flask app on a real threaded HTTP server at 127.0.0.1, for tests with real clients.

A plain module (not a conftest) so that test modules in any folder import
the same helper.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


def serve(app: Flask) -> Iterator[str]:
    """Run ``app`` on a real server at 127.0.0.1 (a free port); yield its base URL."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
