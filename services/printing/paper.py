"""The page a map is printed on: paper size, orientation and resolution."""

from __future__ import annotations

from dataclasses import dataclass

from citygrid.errors import BadInput

PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
"""ISO 216 sizes as (short side, long side) in millimetres."""
ORIENTATIONS = ("landscape", "portrait")
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Page:
    """A sheet of paper: ``A4`` or ``A3``, landscape or portrait, at ``dpi`` for PNGs."""

    paper: str = "A4"
    orientation: str = "landscape"
    dpi: int = 300

    def __post_init__(self) -> None:
        if self.paper not in PAPER_MM:
            raise BadInput(
                "There is no paper size {paper!r}; choose one of {sizes}.",
                paper=self.paper,
                sizes=", ".join(PAPER_MM),
            )
        if self.orientation not in ORIENTATIONS:
            raise BadInput(
                "There is no orientation {value!r}; choose landscape or portrait.",
                value=self.orientation,
            )
        if not 72 <= self.dpi <= 600:
            raise BadInput(
                "A map's resolution must be between 72 and 600 dpi, not {dpi}.", dpi=self.dpi
            )

    @property
    def landscape(self) -> bool:
        """Whether the long side is horizontal."""
        return self.orientation == "landscape"

    @property
    def inches(self) -> tuple[float, float]:
        """Width and height in inches, as matplotlib sizes figures.

        Rounded to whole pixels at :attr:`dpi`, so that a PNG has the paper's
        size in pixels (3508 x 2480 for A4 at 300 dpi) rather than one less.
        """
        short, long = (
            round(side / MM_PER_INCH * self.dpi) / self.dpi for side in PAPER_MM[self.paper]
        )
        return (long, short) if self.landscape else (short, long)


def parse_page(paper: str, orientation: str, dpi: int = 300) -> Page:
    """A :class:`Page` from what a user typed (``a4``, ``A3``; ``Landscape``)."""
    return Page(paper.strip().upper(), orientation.strip().lower(), dpi)
