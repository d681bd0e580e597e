"""Message translation: English message ids, zh-CN by default.

Messages are written in English in the code and translated through the
gettext catalogues in ``citygrid/locale/<lang>/LC_MESSAGES/*.po`` (every
``.po`` file there is merged, so each package can keep its own). The
current language is a context variable, so a threaded web server can serve
each request in its own language; the CLI sets it once from ``--lang``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

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
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale=lang):
                if message.id and message.string and not message.fuzzy:
                    messages[str(message.id)] = str(message.string)
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
