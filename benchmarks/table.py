"""The benchmark command's one table, as aligned text or as Markdown for the README."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.measure import Timing
from benchmarks.rows import Bench

COLUMNS = (
    "work",
    "backend",
    "ours (s)",
    "baseline (s)",
    "ratio",
    "aim",
    "met?",
    "peak memory (MB) ours / baseline",
)


@dataclass(frozen=True)
class Row:
    """One measured row: a bench on a backend, our timing and the baseline's."""

    bench: Bench
    backend: str
    ours: Timing | None
    baseline: Timing

    def cells(self) -> list[str]:
        """The row's cells, in :data:`COLUMNS` order (``failed`` where our command failed)."""
        base = self.baseline.seconds
        if self.ours is None:
            failed = ["failed", f"{base:.2f}", "-", self.bench.aim(), "NO"]
            return [self.bench.work, self.backend, *failed, f"- / {self.baseline.peak_mb:,.0f}"]
        ours = self.ours.seconds
        return [
            self.bench.work,
            self.backend,
            f"{ours:.2f}",
            f"{base:.2f}",
            f"{ours / base:.2f}x",
            self.bench.aim(),
            "yes" if self.bench.met(ours, base) else "NO",
            f"{self.ours.peak_mb:,.0f} / {self.baseline.peak_mb:,.0f}",
        ]

    def line(self) -> str:
        """One line telling the row as soon as it is measured."""
        return "  " + " | ".join(self.cells())


def _notes(rows: list[Row]) -> list[str]:
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(row.bench.name, f"{row.bench.work}: baseline {row.bench.baseline_label}")
    return list(seen.values())


def render(rows: list[Row], header: str, *, markdown: bool = False) -> str:
    """The table with its header line (date, load) and what each baseline does."""
    body = [row.cells() for row in rows]
    if markdown:
        lines = [
            f"Measured {header}.",
            "",
            "| " + " | ".join(COLUMNS) + " |",
            "|" + "---|" * len(COLUMNS),
            *("| " + " | ".join(cells) + " |" for cells in body),
            "",
            *(f"- {note}" for note in _notes(rows)),
        ]
        return "\n".join(lines)
    widths = [max(len(c) for c in column) for column in zip(COLUMNS, *body, strict=False)]

    def aligned(cells: list[str] | tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    lines = [header, aligned(COLUMNS), aligned(["-" * w for w in widths])]
    lines += [aligned(cells) for cells in body]
    lines += ["", *_notes(rows)]
    return "\n".join(lines)
