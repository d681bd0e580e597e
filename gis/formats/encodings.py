"""Text encodings of attribute values: UTF-8 or GBK/GB18030, detected from the bytes.

Chinese GIS files come in UTF-8 or in GBK (a subset of GB18030). An encoding
given by the user or a ``.cpg`` is checked against the bytes, so a GBK file
read as UTF-8 is refused with a hint rather than loaded garbled.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from citygrid.errors import BadInput

SNIFF_BYTES = 4 * 1024 * 1024


def read_head(path: Path) -> bytes:
    """The first bytes of a file, enough to detect its encoding."""
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def detect_encoding(data: bytes) -> str:
    """``UTF-8`` when ``data`` decodes as UTF-8 (a cut last character allowed), else ``GB18030``."""
    if _decodes(data, "utf-8"):
        return "UTF-8"
    return "GB18030"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        # A sample cut in the middle of a character still decodes up to its end.
        return exc.start >= len(data) - 4 and exc.reason.startswith("unexpected end")
    return True


def codec_name(declared: str) -> str:
    """An encoding as written in a ``.cpg`` or by a user, as a codec name.

    Windows code pages come as bare numbers (``936``, ``ANSI 936``): they
    become ``CP936``; ``65001`` is UTF-8.
    """
    text = declared.strip()
    number = text.upper().removeprefix("ANSI").strip().removeprefix("CP")
    if number.isdigit():
        return "UTF-8" if number == "65001" else f"CP{number}"
    return text


def known_codec(path: Path, declared: str) -> str:
    """``declared`` (a user's ``--encoding`` or a ``.cpg``) as a codec name Python knows.

    Raises
    ------
    BadInput
        Python has no codec of that name; the message lists usual ones.
    """
    name = codec_name(declared)
    try:
        codecs.lookup(name)
    except LookupError:
        raise BadInput(
            "Unknown text encoding {encoding!r} for {path}; use utf-8, gbk or gb18030.",
            encoding=name,
            path=str(path),
        ) from None
    return name


def text_encoding(path: Path, data: bytes, declared: str | None) -> str:
    """The encoding to read ``path`` with: ``declared`` if the bytes agree, else detected."""
    if declared is None:
        return detect_encoding(data)
    declared = known_codec(path, declared)
    if not _decodes(data, declared):
        raise BadInput(
            "{path} is not in {encoding}: its text looks like {detected}. Give "
            "--encoding {detected} (or fix the .cpg).",
            path=str(path),
            encoding=declared,
            detected=detect_encoding(data),
        )
    return declared
