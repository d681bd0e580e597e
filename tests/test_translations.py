"""Every user-facing message has a zh-CN translation, and the catalogues are sound.

Messages are English ids passed to ``_``/``gettext``/``translate`` or to a
:class:`~citygrid.errors.CitygridError` subclass; Babel's extractor finds
them in the source the same way ``pybabel extract`` would.
"""

from __future__ import annotations

import string
from pathlib import Path

from babel.messages.extract import extract_from_dir

from citygrid.errors import CitygridError
from citygrid.i18n import _catalogue, translate

ROOT = Path(__file__).resolve().parents[1]


def _error_classes(cls: type[CitygridError]) -> list[str]:
    """``cls`` and every subclass of it, by name (a new error class is checked at once)."""
    return [cls.__name__] + [name for sub in cls.__subclasses__() for name in _error_classes(sub)]


MESSAGE_FUNCTIONS = ("_", "gettext", "translate", *_error_classes(CitygridError))
KEYWORDS = dict.fromkeys(MESSAGE_FUNCTIONS)


def _source_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in ("citygrid", "gis", "layers", "services", "web"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
        ):
            if isinstance(message, str) and message.strip():
                found.setdefault(message, f"{folder}/{filename}:{lineno}")
    return found


def test_the_extractor_finds_the_messages_in_every_package() -> None:
    # A broken extractor (wrong folders or keywords) would find nothing and pass the others.
    found = _source_messages()
    assert len(found) > 100, f"only {len(found)} messages found"
    folders = {where.split("/", 1)[0] for where in found.values()}
    assert folders == {"citygrid", "gis", "layers", "services", "web"}


def test_every_message_has_a_chinese_translation() -> None:
    catalogue = _catalogue("zh_CN")
    assert len(catalogue) > 100, f"only {len(catalogue)} zh_CN entries loaded"
    missing = [
        f"{where}: {msg}" for msg, where in _source_messages().items() if msg not in catalogue
    ]
    assert not missing, "add zh_CN msgstr for:\n" + "\n".join(sorted(missing))


def test_translations_keep_the_placeholders() -> None:
    formatter = string.Formatter()
    for msgid, msgstr in _catalogue("zh_CN").items():
        wanted = {name for _, name, _, _ in formatter.parse(msgid) if name}
        got = {name for _, name, _, _ in formatter.parse(msgstr) if name}
        assert wanted == got, (msgid, msgstr)


def test_translate_fills_placeholders_in_both_languages() -> None:
    msg = "Unknown layer {name!r}. Known layers: {known}."
    assert translate(msg, "en", name="roads", known="grids") == (
        "Unknown layer 'roads'. Known layers: grids."
    )
    assert translate(msg, "zh_CN", name="roads", known="grids").startswith("未知图层")
