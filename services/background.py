"""Work run in a thread of its own, whose failure is logged, never raised.

Caches fill themselves in the background (:meth:`ResultCache.get_soon`) and
the map page readies its layers while it loads (:mod:`citygrid.web.views`).
Such work may find the store closed or changed under it, which is expected
and logged at INFO; anything else is logged at WARNING with its traceback.
Neither ends the process nor reaches a request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from citygrid.errors import CitygridError

_LOG = logging.getLogger(__name__)


def in_background(name: str, work: Callable[[], object]) -> None:
    """Start ``work`` in a daemon thread called ``name``."""
    threading.Thread(target=work, name=name, daemon=True).start()


def quietly(what: str, work: Callable[[], object]) -> None:
    """Run ``work``, logging a failure instead of raising it: "Did not ``what``" for the
    store closed or changed meanwhile, "Could not ``what``" for anything else."""
    try:
        work()
    except CitygridError as exc:  # the store was closed or changed meanwhile
        _LOG.info("Did not %s: %s", what, exc)
    except Exception:  # background work must not end the process
        _LOG.warning("Could not %s", what, exc_info=True)
