"""Fuzzing ``--where``: any text gives a clause or a clean error, and a clause runs.

Hypothesis builds expressions from the grammar's pieces (fields by name
and label, operators, keywords, values such as Unicode digits, numbers
beyond 64 bits, NaN, labels, quotes and brackets) and from raw text.
:func:`parse_where` must either compile them or raise
:class:`~citygrid.errors.BadInput` (or :class:`~citygrid.errors.NotFound`
for an unknown field, which the CLI prints the same way, exit 2); a
compiled clause must then run against a real SQLite store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citygrid.errors import BadInput, NotFound
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.layers.where import parse_where

LAYER = get_layer("problems")
FIELDS = [name for f in LAYER.fields for name in (f.name, f.zh, f.en)]
WORDS = ["and", "or", "AND", "not", "in", "is", "null", "(", ")", ",", "'", '"']
OPERATORS = ["=", "!=", "<>", "<", "<=", ">", ">=", "=="]
VALUES = [
    "open",
    "待处置",
    "2025-01-01",
    "2025-01-01T08:30",
    "2025-13-45",
    "nan",
    "inf",
    "1e999",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999999",
    "-5",
    "²",
    "１２",
    "٣",
    "'a b'",
    "'it''s'",
    '"x"',
    "''",
    "(open,closed)",
    "true",
    "是",
]


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """An empty SQLite store with the current schema."""
    path: Path = tmp_path_factory.mktemp("where") / "where.db"
    store = Store.open(f"sqlite:///{path}", check_schema=False)
    store.init()
    yield store
    store.close()


expressions = st.one_of(
    st.lists(
        st.one_of(
            st.sampled_from(FIELDS),
            st.sampled_from(WORDS),
            st.sampled_from(OPERATORS),
            st.sampled_from(VALUES),
            st.integers(min_value=-(2**80), max_value=2**80).map(str),
            st.floats().map(repr),
            st.text(max_size=6),
        ),
        min_size=1,
        max_size=9,
    ).map(" ".join),
    st.text(max_size=40),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=expressions)
def test_where_parses_or_says_why_and_the_clause_runs(sqlite_store: Store, text: str) -> None:
    table = sqlite_store.table("problems")
    try:
        clause = parse_where(text, LAYER, table)
    except (BadInput, NotFound) as error:
        message = error.message("en")
    else:
        sqlite_store.read("problems", filters=[clause], limit=1)
        message = "ran"
    assert message
