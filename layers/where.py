"""A small, safe filter language for ``--where``, compiled to SQLAlchemy conditions.

Grammar (keywords in any case; ``and`` binds tighter than ``or``)::

    expr   := clause { ("and" | "or") clause }
    clause := FIELD OP VALUE
            | FIELD ["not"] "in" "(" VALUE { "," VALUE } ")"
            | FIELD "is" ["not"] "null"
    OP     := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="

``FIELD`` is a field's name or its zh/en label; ``VALUE`` is a bare word
(``open``, ``2025-01-01``, ``待处置``) or a quoted string (``'a b'``).
Values are converted to the field's type, and a choice may be given by its
label (``status=待处置``). Examples: ``status=open``,
``status in (open,reopened)``, ``reported_at>=2025-01-01 and grid_code=G01``.

User text never reaches SQL: fields are looked up in the layer's table and
values become bound parameters.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from citygrid.errors import BadInput
from citygrid.i18n import _
from citygrid.layers.registry import Field, Layer

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[^\s=!<>(),'"]+)
    )""",
    re.VERBOSE,
)
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Tokens:
    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str]] = []
        position = 0
        text = text.rstrip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise self.error(_("cannot read {part!r}"), part=text[position:].strip()[:30])
            kind = match.lastgroup or "word"
            value = match.group(kind)
            if kind == "quoted":
                value = value[1:-1].replace(value[0] * 2, value[0])
            self.items.append((kind, value))
            position = match.end()
        self.index = 0

    def error(self, problem: str, **params: Any) -> BadInput:
        """The error to raise: ``problem`` (already translated) filled with ``params``."""
        return BadInput(
            "The filter {where!r} does not parse: {problem}. Write conditions like "
            "status=open, status in (open,reopened) or reported_at>=2025-01-01, joined with "
            "and / or.",
            where=self.text,
            problem=problem.format(**params),
        )

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def next(self, expected: str) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.error(_("it ends where {expected} should follow"), expected=expected)
        self.index += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() in words:
            self.index += 1
            return token[1].lower()
        return None


def parse_where(text: str, layer: Layer, table: sa.Table) -> sa.ColumnElement[bool]:
    """Compile a ``--where`` expression into a condition on ``table``.

    Parameters
    ----------
    text
        The expression (see the module docstring).
    layer
        The layer, for field names, labels, types and choices.
    table
        The layer's table (from ``Store.table``).

    Raises
    ------
    BadInput
        The expression does not parse, or a value does not fit its field.
    NotFound
        A field is not in the layer.
    """
    tokens = _Tokens(text)
    if tokens.peek() is None:
        raise tokens.error(_("it is empty"))
    any_of: list[sa.ColumnElement[bool]] = []
    all_of: list[sa.ColumnElement[bool]] = [_clause(tokens, layer, table)]
    while tokens.peek() is not None:
        joiner = tokens.keyword("and", "or")
        if joiner is None:
            raise tokens.error(_("expected and / or before {token!r}"), token=tokens.next("and")[1])
        if joiner == "or":
            any_of.append(sa.and_(*all_of))
            all_of = []
        all_of.append(_clause(tokens, layer, table))
    any_of.append(sa.and_(*all_of))
    return sa.or_(*any_of)


def _clause(tokens: _Tokens, layer: Layer, table: sa.Table) -> sa.ColumnElement[bool]:
    kind, name = tokens.next(_("a field name"))
    if kind not in ("word", "quoted"):
        raise tokens.error(_("expected a field name, not {token!r}"), token=name)
    field = layer.field(name)
    column = table.c[field.name]
    if tokens.keyword("is"):
        negate = tokens.keyword("not") is not None
        if tokens.keyword("null") is None:
            raise tokens.error(_("expected null after is"))
        return column.is_not(None) if negate else column.is_(None)
    negate = tokens.keyword("not") is not None
    if tokens.keyword("in"):
        values = _value_list(tokens, field)
        return column.not_in(values) if negate else column.in_(values)
    if negate:
        raise tokens.error(_("expected in after not"))
    kind, op = tokens.next(_("an operator"))
    if kind != "op":
        raise tokens.error(
            _("expected an operator (=, !=, <, <=, >, >=, in) after {field}"), field=name
        )
    kind, raw = tokens.next(_("a value"))
    if kind not in ("word", "quoted"):
        raise tokens.error(_("expected a value after {op}"), op=op)
    return _COMPARE[op](column, field.parse(raw))


def _value_list(tokens: _Tokens, field: Field) -> list[Any]:
    if tokens.next("(") != ("punct", "("):
        raise tokens.error(_("expected ( after in"))
    values = []
    while True:
        kind, raw = tokens.next(_("a value"))
        if kind not in ("word", "quoted"):
            raise tokens.error(_("expected a value in the list, not {token!r}"), token=raw)
        values.append(field.parse(raw))
        kind, punct = tokens.next(")")
        if punct == ")":
            return values
        if punct != ",":
            raise tokens.error(_("expected , or ) in the list, not {token!r}"), token=punct)
