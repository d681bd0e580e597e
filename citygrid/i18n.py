"""Message translation: English message ids, zh-CN by default.

Messages are written in English in the code and translated through the
gettext catalogues in ``citygrid/locale/<lang>/LC_MESSAGES/*.po`` (every
``.po`` file there is merged, so each package can keep its own). The
current language is a context variable, so a threaded web server can serve
each request in its own language; the CLI sets it once from ``--lang``.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")
_LOCALE_DIR = Path(__file__).parent / "locale"

_current: contextvars.ContextVar[str] = contextvars.ContextVar(
    "citygrid_language", default=DEFAULT_LANGUAGE
)


def normalize_language(value: str | None) -> str:
    """Map a user's language tag (``zh``, ``zh-CN``, ``en-GB``...) to a supported one.

    Unknown or empty tags give the default, zh_CN.
    """
    if not value:
        return DEFAULT_LANGUAGE
    tag = value.replace("-", "_").lower()
    if tag.startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def get_language() -> str:
    """Return the language of the current context (``zh_CN`` or ``en``)."""
    return _current.get()


def set_language(value: str | None) -> None:
    """Set the language of the current context from a user's language tag."""
    _current.set(normalize_language(value))


@contextmanager
def language(value: str | None) -> Iterator[None]:
    """Run a block in the given language, restoring the previous one after."""
    token = _current.set(normalize_language(value))
    try:
        yield
    finally:
        _current.reset(token)


@cache
def _catalogue(lang: str) -> dict[str, str]:
    """Merge every ``.po`` file of a language into one msgid -> msgstr map."""
    messages: dict[str, str] = {}
    for po_path in sorted((_LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        messages.update(read_po(po_path.read_text(encoding="utf-8")))
    return messages


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(.)")


def _unquote(text: str) -> str:
    """The value of one quoted PO string (``"..."``), escapes resolved."""
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[0]), text.strip()[1:-1])


def read_po(text: str) -> dict[str, str]:
    """The translated, non-fuzzy messages of a PO file's text, as msgid -> msgstr.

    A small reader instead of Babel's, so that translating a message (as
    ``citygrid --help`` does) does not import Babel's date and locale
    machinery. It reads what gettext files hold: comments and flags,
    ``msgctxt``, ``msgid``, ``msgstr`` and continued strings; plural forms
    keep their first form.
    """
    messages: dict[str, str] = {}
    entry: dict[str, str] = {}
    fuzzy = False
    key = ""

    def finish() -> None:
        msgid, msgstr = entry.get("msgid"), entry.get("msgstr", entry.get("msgstr[0]"))
        if msgid and msgstr and not fuzzy:
            messages[msgid] = msgstr

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith('"'):
            if key:
                entry[key] += _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        starts_entry = not line or line.startswith("#") or keyword in ("msgctxt", "msgid")
        if starts_entry and any(k.startswith("msgstr") for k in entry):
            finish()
            entry, fuzzy, key = {}, False, ""
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif keyword.startswith("msg"):
            key = keyword
            entry[key] = _unquote(rest)
    finish()
    return messages


def gettext(message: str, lang: str | None = None) -> str:
    """Translate an English message id into ``lang`` (default: the current language)."""
    lang = normalize_language(lang) if lang else get_language()
    if lang == "en":
        return message
    return _catalogue(lang).get(message, message)


def translate(message: str, lang: str | None = None, **params: object) -> str:
    """Translate a message id and fill its ``{name}`` placeholders with ``params``."""
    text = gettext(message, lang)
    return text.format(**params) if params else text


_ = gettext
