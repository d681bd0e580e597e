"""Help pages and click's own messages in the user's language, translated when click renders
them.

Commands declare their help (docstrings and ``help=``) as English message
ids. click formats a help page through ``ctx.make_formatter()``; the
:class:`LocalizedContext` of every citygrid command hands it a
:class:`LocalizedFormatter`, which translates each paragraph, heading and
option help through :mod:`citygrid.i18n` at that moment. So ``--lang`` and
``CITYGRID_LANG`` decide the language of ``--help``, and a command module
needs nothing special: the lazy group adopts each command as it loads it
(:func:`adopt`). click's own messages (``Error: No such option``, ``Missing
option``, prompts) go through citygrid's catalogues too
(:func:`translate_click_messages`).
"""

from __future__ import annotations

import gettext as stdlib_gettext
from collections.abc import Iterable, Sequence

import click
import click._termui_impl
import click.core
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types
import click.utils

from citygrid.i18n import gettext

#: click's modules that mark messages with the standard library's gettext when they are
#: shown (``click.decorators`` marks option help when a command is declared: the help
#: formatter translates that when it renders).
_CLICK_MODULES = (
    click._termui_impl,
    click.core,
    click.exceptions,
    click.formatting,
    click.parser,
    click.termui,
    click.types,
    click.utils,
)

#: What click appends to an option's help, mapped to the message id that renders it.
_EXTRA_PREFIXES = {
    "default: ": "default: {value}",
    "env var: ": "env var: {value}",
}


def translate_help(text: str) -> str:
    """Translate help text paragraph by paragraph (the English text if a paragraph has none).

    A paragraph's message id is its words joined by single spaces, as click
    rewraps it; paragraphs marked ``\\b`` (no rewrap) are looked up as written.
    """
    paragraphs = text.split("\n\n")
    return "\n\n".join(_translate_paragraph(p) for p in paragraphs)


def _translate_paragraph(paragraph: str) -> str:
    if paragraph.lstrip().startswith("\b"):
        return gettext(paragraph)
    msgid = " ".join(paragraph.split())
    translated = gettext(msgid)
    return paragraph if translated == msgid else translated


def translate_option_help(text: str) -> str:
    """Translate an option's help and the ``[default: ...; required]`` click appends."""
    if not text.endswith("]"):
        return translate_help(text)
    if text.startswith("["):
        body, extra = "", text[1:-1]
    else:
        body, sep, extra = text[:-1].rpartition("  [")
        if not sep:
            return translate_help(text)
    items = "; ".join(_translate_extra(item) for item in extra.split("; "))
    return f"{translate_help(body)}  [{items}]" if body else f"[{items}]"


def _translate_extra(item: str) -> str:
    for prefix, msgid in _EXTRA_PREFIXES.items():
        if item.startswith(prefix):
            return gettext(msgid).format(value=item[len(prefix) :])
    return gettext(item)


class LocalizedFormatter(click.HelpFormatter):
    """A help formatter that translates what it writes into the current language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """Write the usage line with a translated ``Usage:``."""
        super().write_usage(prog, args, f"{gettext('Usage:')} " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        """Write a translated section heading (``Options``, ``Commands``...)."""
        super().write_heading(gettext(heading))

    def write_text(self, text: str) -> None:
        """Write a command's help, translated paragraph by paragraph."""
        super().write_text(translate_help(text))

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Write option and command rows with their help translated."""
        translated = [(term, translate_option_help(text)) for term, text in rows]
        super().write_dl(translated, col_max, col_spacing)


class LocalizedContext(click.Context):
    """The click context of every citygrid command: help pages in the user's language."""

    formatter_class = LocalizedFormatter


def adopt(command: click.Command) -> click.Command:
    """Give ``command`` (and a group's subcommands) localized help pages; return it."""
    command.context_class = LocalizedContext
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            adopt(sub)
    return command


def short_help_rows(entries: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(name, one-line help)`` rows with the help translated whole, before any wrapping."""
    return [(name, gettext(text)) for name, text in entries]


def translate_click_messages() -> None:
    """Have click's own messages (usage errors, prompts) translated by
    citygrid's catalogues, in the current language.

    click marks them with the standard library's ``gettext`` and ``ngettext``,
    imported into each of its modules, and offers no other hook: the standard
    one needs compiled ``.mo`` files and a process-wide language. Those names
    are pointed at :func:`citygrid.i18n.gettext` instead, whose language is a
    context variable, so ``--lang`` decides. Only names still bound to the
    standard library's functions are replaced, so it can run any number of times.
    """
    for module in _CLICK_MODULES:
        if getattr(module, "_", None) is stdlib_gettext.gettext:
            module._ = gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is stdlib_gettext.ngettext:
            module.ngettext = _ngettext  # type: ignore[attr-defined]


def _ngettext(singular: str, plural: str, n: int) -> str:
    """The English form for ``n``, translated (zh_CN has one form: both ids are in
    the catalogue)."""
    return gettext(singular if n == 1 else plural)
