"""A Flask app on a real threaded HTTP server at 127.0.0.1, for tests with real clients.

A plain module (not a conftest) so that test modules in any folder import
the same helper.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

DRAIN_SECONDS = 30
"""How long the server waits, when stopped, for requests still being answered."""


class _InFlight:
    """A WSGI wrapper counting the requests being answered, so the server can wait for them.

    werkzeug's request threads are daemons that outlive ``shutdown()``: a
    request the browser gave up on may still be reading the store when the
    test closes it, and the connection it holds is then dropped open (a
    ResourceWarning in whatever test runs next).
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.count = 0
        self.idle = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self.idle:
            self.count += 1
        try:
            answer = self.app(environ, start_response)
            try:
                return list(answer)  # answered here, in full
            finally:
                getattr(answer, "close", lambda: None)()  # as WSGI servers must
        finally:
            with self.idle:
                self.count -= 1
                self.idle.notify_all()

    def wait(self, timeout: float) -> bool:
        """Wait until no request is being answered; whether that happened in time."""
        with self.idle:
            return self.idle.wait_for(lambda: self.count == 0, timeout=timeout)


def serve(app: Flask) -> Iterator[str]:
    """Run ``app`` on a real server at 127.0.0.1 (a free port); yield its base URL. When
    stopped, wait for the requests still being answered."""
    counted = _InFlight(app)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, counted, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        counted.wait(DRAIN_SECONDS)
