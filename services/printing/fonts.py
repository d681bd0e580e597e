"""A font that draws Chinese, for matplotlib.

matplotlib lists the fonts it found when it built its font cache; a font
installed after that (Debian's ``fonts-noto-cjk`` added to a machine that
has drawn a chart before) stays unknown to it. :func:`cjk_font` therefore
asks fontconfig for a font covering Chinese and registers its file with
matplotlib, so the first map after installing the font is drawn in Chinese.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from matplotlib import font_manager

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei")
"""Families preferred, in order, when several are installed."""

FONT_PACKAGE = "fonts-noto-cjk"
"""The Debian package that provides :data:`CJK_FONTS`' first family."""


@cache
def cjk_font() -> str | None:
    """The family name of a font that draws Chinese, registered with matplotlib; or ``None``.

    Looks among the fonts matplotlib knows first, then asks fontconfig
    (``fc-list :lang=zh``) and registers the files it names.
    """
    known = _known_families()
    found = _preferred(known)
    if found is None:
        for path in _fontconfig_files():
            font_manager.fontManager.addfont(str(path))
        found = _preferred(_known_families())
    return found


def _known_families() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


def _preferred(families: set[str]) -> str | None:
    return next((name for name in CJK_FONTS if name in families), None)


def _fontconfig_files() -> list[Path]:
    """Font files fontconfig says cover Chinese (none when fontconfig is absent)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listed = subprocess.run(
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = (Path(line.strip().rstrip(":")) for line in listed.splitlines() if line.strip())
    return sorted({f for f in files if f.suffix.lower() in (".ttf", ".otf", ".ttc") and f.exists()})
