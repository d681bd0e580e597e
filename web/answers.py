"""Serialised answers of the map's endpoints, kept in memory, with ETags.

A layer response of thousands of features costs a read and a
serialisation; the same request comes again whenever a page loads, a user
pans back or a second tab opens. :class:`AnswerCache` keeps the bytes of
such answers, least recently used first out, within a byte budget. Its
keys say everything an answer depends on: the endpoint and layer, every
query parameter, the language, the principal (role, scope, user) and the
data (the store's ``data_version``, and for computed layers the analysis
result's own key, see
:meth:`~citygrid.services.providers.base.Provider.answer_key`), so a
committed write makes every older answer unreachable; it ages out.

Every answer carries an ``ETag`` (a hash of its bytes) and
``Cache-Control: private, no-cache``: the browser keeps the body and asks
again with ``If-None-Match``, and an unchanged answer is a ``304`` with no
body.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from citygrid.web.feature_texts import FeatureTexts

if TYPE_CHECKING:  # the API builds its answers through this module
    from citygrid.web.api import ApiResponse

MAX_BYTES = 64 * 2**20
"""The most bytes of answers kept (each app): a few whole-city layers in a few languages."""

CACHE_CONTROL = "private, no-cache"
"""Browsers keep the answer for this user only and check it is current before using it."""


@dataclass(frozen=True)
class _Kept:
    etag: str
    response: ApiResponse


class AnswerCache:
    """Least-recently-used answers within a byte budget; see the module docstring.

    Parameters
    ----------
    max_bytes
        The most body bytes kept; an answer larger than a quarter of it is
        served but not kept.

    Attributes
    ----------
    features
        The texts of stored features the answers were made of, so the next
        answer about the same features reuses them.
    """

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.features = FeatureTexts()
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._bytes = 0

    def answer(
        self, key: Hashable, if_none_match: str | None, compute: Callable[[], ApiResponse]
    ) -> ApiResponse:
        """The answer kept under ``key`` (computed and kept when missing, if it is a 200),
        with its ETag; a ``304`` without body when ``if_none_match`` names that ETag."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is None:
            response = compute()
            if response.status != 200:
                return response
            kept = _Kept(_etag(response.body), response)
            self._keep(key, kept)
        headers = {"ETag": kept.etag, "Cache-Control": CACHE_CONTROL}
        if if_none_match is not None and _etags(if_none_match) & {kept.etag, "*"}:
            return replace(kept.response, status=304, headers=headers, body=b"")
        return replace(kept.response, headers={**kept.response.headers, **headers})

    def clear(self) -> None:
        """Forget every answer and feature text."""
        with self._lock:
            self._kept.clear()
            self._bytes = 0
        self.features.clear()

    def _keep(self, key: Hashable, kept: _Kept) -> None:
        size = len(kept.response.body)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._kept.pop(key, None)
            self._bytes -= len(old.response.body) if old else 0
            self._kept[key] = kept
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self._bytes -= len(dropped.response.body)


def params_key(params: Mapping[str, Sequence[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Query parameters as a hashable key, in name order (each name's values in order)."""
    return tuple(sorted((name, tuple(values)) for name, values in params.items()))


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _etags(header: str) -> set[str]:
    """The entity tags an ``If-None-Match`` header names (weak ones as their strong form)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
