"""Fuzzing the API's query strings: whatever a client sends, never a 500.

Hypothesis sends random parameter names (fields, their zh/en labels,
reserved names, noise) with random values (Unicode digits, numbers beyond
64 bits, NaN and infinities, commas, labels, dates and ranges, control
characters) to every layer of the small demo, through Flask's test
client, and to single features by random codes. The demo is built once
for the module, on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_accounts import add_user, bearer

from citygrid.config import Config
from citygrid.layers.registry import all_layers
from citygrid.layers.store import Store
from citygrid.services.demo import load_demo
from citygrid.web.app import create_app
from citygrid.web.params import RESERVED

LAYERS = list(all_layers())
NASTY = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e999",
    "-0",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999",
    "²",
    "１２",
    "٣",
    "1.5",
    ",",
    ",,,",
    "1,2,3,4",
    "120,31,121,32",
    "121,31,120,32",
    "nan,1,2,3",
    "2025-03-01",
    "2025-03-01T08:30:00",
    "2025-03-01/..",
    "../2025-03-01",
    "../..",
    "/",
    "2025-13-01",
    "2025-03-01T25:00",
    "待处置",
    "open",
    "",
    " ",
    "%",
    "\x00",
    "'; DROP TABLE grids; --",
]
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """A test client of the app serving the small demo (SQLite), as an administrator's token."""
    path: Path = tmp_path_factory.mktemp("fuzz") / "demo.db"
    store = Store.open(f"sqlite:///{path}", check_schema=False)
    store.init()
    load_demo(store, "small", 0, actor="fuzz")
    add_user(store, "fuzz")
    app = create_app(Config(database_url=store.url, secret_key="fuzz"), store)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = bearer(store, "fuzz")["Authorization"]
    yield client
    store.close()


def _names(layer_index: int) -> st.SearchStrategy[str]:
    if layer_index >= len(LAYERS):
        return st.text(max_size=8)
    layer = LAYERS[layer_index]
    known = [name for f in layer.fields for name in (f.name, f.zh, f.en)]
    return st.one_of(st.sampled_from([*known, *RESERVED, "colour"]), st.text(max_size=8))


def _values(layer_index: int) -> st.SearchStrategy[str]:
    choices = []
    if layer_index < len(LAYERS):
        choices = [
            text
            for f in LAYERS[layer_index].fields
            for c in f.choices or ()
            for text in (c.value, c.zh, c.en)
        ]
    return st.one_of(
        st.sampled_from(NASTY + choices),
        st.text(max_size=20),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats().map(repr),
        st.lists(st.sampled_from(NASTY), min_size=2, max_size=4).map(",".join),
    )


@st.composite
def requests(draw: st.DrawFn) -> str:
    """A features URL with a random query string, or a feature URL with a random code."""
    index = draw(st.integers(min_value=0, max_value=len(LAYERS)))
    name = LAYERS[index].name if index < len(LAYERS) else draw(st.text(min_size=1, max_size=8))
    base = f"/api/layers/{quote(name, safe='')}/features"
    if draw(st.booleans()) and draw(st.booleans()):
        code = draw(st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=24)))
        return f"{base}/{quote(code, safe='')}"
    pairs = draw(st.lists(st.tuples(_names(index), _values(index)), max_size=5))
    return f"{base}?{urlencode(pairs)}"


@SETTINGS
@given(url=requests())
def test_no_query_string_makes_a_500(demo_client: FlaskClient, url: str) -> None:
    response = demo_client.get(url)
    assert response.status_code < 500, (url, response.get_data(as_text=True)[:500])
    if response.status_code >= 400:
        body = response.get_json()
        assert set(body) == {"error", "status", "message", "details"}
