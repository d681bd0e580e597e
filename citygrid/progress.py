"""Progress of long work: a neutral API that shows nothing unless the CLI switches it on.

Services and commands mark their long steps with :func:`phase` (a named
step of unknown length: a spinner with the elapsed time), :func:`track` (a
loop over a known count: a bar) or :func:`steps` (a bar fed by a callback's
``(done, total)`` counts). By default these do nothing and import nothing,
so services stay free of rich and the web server shows nothing.

The command line calls :func:`enable` once: when stderr is a terminal, the
steps are drawn there with rich (imported only when the first step starts,
so ``citygrid --help`` does not pay for it) and each finished step leaves
one line with its time; when stderr is not a terminal, nothing is printed.
Steps may nest (a bar inside a phase); they share one display.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

Update = Callable[..., None]
"""``update(done, total=None, label=None)``: ``done`` of ``total`` finished, now doing ``label``."""


def _ignore(done: int, total: int | None = None, label: str | None = None) -> None:
    """The update of a step nobody shows."""


class _RichDisplay:
    """Draws steps on a rich console: one live display shared by nested steps."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.live: Any = None
        self.depth = 0

    def _start(self) -> Any:
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
        )
        live = Progress(*columns, console=self.console, transient=True)
        live.start()
        return live

    @contextmanager
    def step(self, label: str, total: int | None) -> Iterator[Update]:
        """Show ``label`` until the block ends, then leave one line with its time."""
        if self.live is None:
            self.live = self._start()
        live, started = self.live, time.perf_counter()
        task = live.add_task(label, total=total)
        shown = [label]
        self.depth += 1

        def update(done: int, total: int | None = None, label: str | None = None) -> None:
            changes: dict[str, Any] = {"completed": done}
            if total is not None:
                changes["total"] = total
            if label is not None:
                changes["description"] = shown[0] = label
            live.update(task, **changes)

        try:
            yield update
        finally:
            self.depth -= 1
            live.remove_task(task)
            seconds = time.perf_counter() - started
            live.console.print(f"[green]✓[/green] {shown[0]} {seconds:.1f} s", highlight=False)
            if self.depth == 0:
                live.stop()
                self.live = None


_display: _RichDisplay | None = None


def enable(console: Any = None) -> None:
    """Show progress from now on, on ``console`` or, when stderr is a terminal, there.

    Parameters
    ----------
    console
        A :class:`rich.console.Console` to draw on (tests pass one with
        ``force_terminal=True``). Without one, steps are drawn on stderr
        only if it is a terminal; otherwise nothing is shown.
    """
    global _display
    if console is None:
        if not sys.stderr.isatty():
            _display = None
            return
        from rich.console import Console

        console = Console(stderr=True)
    _display = _RichDisplay(console) if console.is_terminal else None


def disable() -> None:
    """Show nothing from now on (the default)."""
    global _display
    _display = None


@contextmanager
def steps(label: str, total: int | None = None) -> Iterator[Update]:
    """A step that reports its own counts: yields ``update(done, total=None, label=None)``.

    Parameters
    ----------
    label
        What is being done, translated (through :mod:`citygrid.i18n`).
    total
        How many units of work, if known now (``update`` may give it later).
    """
    if _display is None:
        yield _ignore
        return
    with _display.step(label, total) as update:
        yield update


@contextmanager
def phase(label: str) -> Iterator[None]:
    """A named step of unknown length: a spinner with the elapsed time while the block runs."""
    with steps(label):
        yield


def track(iterable: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    """Yield from ``iterable``, advancing a bar of ``total`` items (default ``len(iterable)``)."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with steps(label, total) as update:
        for done, item in enumerate(iterable, start=1):
            yield item
            update(done)
