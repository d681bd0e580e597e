"""GeoJSON texts of stored features, kept per layer version for the map's next view.

Each pan of the map asks for the features around the new view: most of
them were in the last answer too. :class:`FeatureTexts` keeps the GeoJSON
text of every stored feature served, by fid, under what it depends on (the
layer and its data version, the fields asked for and the columns the reader
may see), so an answer serialises only the features it has not served
before. A write to the layer moves its version; the older texts are no
longer looked up and age out, least recently used first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import pandas as pd

MAX_TEXTS = 500_000
"""The most feature texts kept (each app): every street, alley and point of a city twice."""


class FeatureTexts:
    """Feature texts by fid under a key, least recently used keys dropped first.

    Parameters
    ----------
    max_texts
        The most texts kept over all keys.
    """

    def __init__(self, max_texts: int = MAX_TEXTS) -> None:
        self.max_texts = max_texts
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, dict[int, str]] = OrderedDict()
        self._count = 0

    def texts(
        self, key: Hashable, frame: pd.DataFrame, serialise: Callable[[pd.DataFrame], list[str]]
    ) -> list[str]:
        """The text of each row of ``frame`` (stored features, with ``fid``): kept ones
        under ``key`` and the frame's columns, the others made by ``serialise`` and kept."""
        key = (key, tuple(frame.columns))
        fids = frame["fid"].astype("int64").tolist()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            known = [""] * len(fids) if kept is None else [kept.get(fid, "") for fid in fids]
        missing = [row for row, text in enumerate(known) if not text]  # no JSON text is empty
        if missing:
            made = serialise(frame.iloc[missing])
            for row, text in zip(missing, made, strict=True):
                known[row] = text
            self._keep(key, {fids[row]: text for row, text in zip(missing, made, strict=True)})
        return known

    def clear(self) -> None:
        """Forget every text."""
        with self._lock:
            self._kept.clear()
            self._count = 0

    def _keep(self, key: Hashable, texts: dict[int, str]) -> None:
        with self._lock:
            kept = self._kept.setdefault(key, {})
            self._kept.move_to_end(key)
            before = len(kept)
            kept.update(texts)
            self._count += len(kept) - before
            while self._count > self.max_texts and len(self._kept) > 1:
                _, dropped = self._kept.popitem(last=False)
                self._count -= len(dropped)
