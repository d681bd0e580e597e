"""The monthly ranking page and its downloads (the ranking, the ledgers) with each role,
and bad months, levels, formats and ledgers refused with their message."""

from __future__ import annotations

import html as markup
import io
import re

import openpyxl
import pytest
from cycle_city import USERS, as_user
from flask import Flask

MONTH = "2025-09"
"""The month the cycle city's problems were reported in."""


@pytest.mark.parametrize("name", ["admin", *USERS])
def test_every_role_reads_the_ranking(app: Flask, name: str) -> None:
    response = as_user(app, name).get(f"/ranking?month={MONTH}&level=cell")
    html = markup.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Monthly ranking of grid cell, 2025-09" in html
    assert "五一一网格" in html
    assert f"/ranking/download?month={MONTH}&level=cell&format=xlsx" in html


def test_the_units_that_failed_are_marked(app: Flask) -> None:
    # 城管局 answers for six problems (a deduction of 1 each, five overdue, one reworked):
    # 88, below the pass score of 90; 五一街道办事处 for one.
    html = as_user(app, "admin").get(f"/ranking?month={MONTH}&level=unit").get_data(as_text=True)
    rows = re.findall(r"<tr( class=\"citygrid-overdue\")?>(.*?)</tr>", html, flags=re.S)
    failed = {
        name
        for marked, row in rows
        for name in ("城管局", "五一街道办事处")
        if name in row and marked
    }
    assert failed == {"城管局"}
    assert "1 failed the standard." in html


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("month=2025-13", "'2025-13' is not a month"),
        ("month=九月", "is not a month"),
        (f"month={MONTH}&level=province", "'province' is not a level of the ranking"),
        ("month=2019-01", "2019-01"),
    ],
)
def test_bad_months_and_levels_are_400(app: Flask, query: str, words: str) -> None:
    response = as_user(app, "manager").get(f"/ranking?{query}")
    assert response.status_code == 400
    html = markup.unescape(response.get_data(as_text=True))
    assert words in html
    assert 'role="alert"' in html


def test_the_ranking_downloads_as_xlsx_and_csv(app: Flask) -> None:
    client = as_user(app, "viewer")
    xlsx = client.get(f"/ranking/download?month={MONTH}&level=cell&format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Disposition"] == (
        f'attachment; filename="ranking-{MONTH}-cell.xlsx"'
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("2025-09" in c for c in cells)
    assert "五一一网格" in cells
    csv = client.get(f"/ranking/download?month={MONTH}&level=cell&format=csv")
    assert csv.status_code == 200
    assert "五一一网格" in csv.data.decode("utf-8-sig")


def test_a_unit_handler_downloads_their_units_ledger_only(app: Flask) -> None:
    client = as_user(app, "handler")
    page = client.get(f"/ranking?month={MONTH}").get_data(as_text=True)
    assert "/ledger/download?kind=unit&amp;code=U_CG&amp;format=xlsx" in page
    mine = client.get("/ledger/download?kind=unit&code=U_CG&format=csv")
    assert mine.status_code == 200
    assert "人行道上摆摊" in mine.data.decode("utf-8-sig")
    theirs = client.get("/ledger/download?kind=unit&code=U_WY&format=csv")
    assert theirs.status_code == 403
    assert "outside your scope" in theirs.get_data(as_text=True)


def test_an_administrator_downloads_any_ledger(app: Flask) -> None:
    client = as_user(app, "admin")
    response = client.get("/ledger/download?kind=cell&code=G01")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert any(c.value == "人行道上摆摊" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/ledger/download?kind=street&code=S01", 400, "Say whose ledger"),
        ("/ledger/download?kind=unit&code=U_XX", 404, "U_XX"),
        ("/ledger/download?kind=unit&code=U_CG&format=pdf", 400, "'pdf' is not a download format"),
        (f"/ranking/download?month={MONTH}&format=docx", 400, "'docx' is not a download format"),
        ("/ranking/download?month=2025-9-1", 400, "is not a month"),
    ],
)
def test_bad_downloads_are_refused(app: Flask, path: str, status: int, words: str) -> None:
    response = as_user(app, "admin").get(path)
    assert response.status_code == status
    assert words in markup.unescape(response.get_data(as_text=True))


def test_visitors_are_sent_to_sign_in(app: Flask) -> None:
    for path in ("/ranking", "/ranking/download?month=2025-09", "/ledger/download?kind=unit"):
        response = app.test_client().get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
