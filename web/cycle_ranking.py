"""The monthly ranking page (``/ranking``) and its downloads: the ranking and the ledgers.

``GET /ranking?month=YYYY-MM&level=point`` shows a month's ranking at one
level (as published, else computed now) with the points that failed the
standard; ``/ranking/download`` sends it as XLSX or CSV, and
``/ledger/download?kind=unit&code=CODE`` (or ``cell``, ``subdistrict``) a
ledger of open tasks, each written by the reports service. A bad month or level, a
month without problems, or a ledger outside the user's scope comes back
with the service's message and its 4xx status.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, Response, g, render_template, request
from flask.typing import ResponseReturnValue

from citygrid.errors import BadInput, CitygridError, Unauthorized
from citygrid.i18n import translate
from citygrid.services.context import CityContext
from citygrid.services.cycle.ledger import SCOPES, ledger
from citygrid.services.cycle.periods import parse_month
from citygrid.services.cycle.publishing import published_months
from citygrid.services.cycle.ranking import LEVELS, monthly_ranking
from citygrid.services.cycle.report_access import check_ledger, check_reads_reports, own_ledgers
from citygrid.services.cycle.reports import (
    level_label,
    ranking_table,
    ranking_title,
    write_ledger,
    write_ranking,
)
from citygrid.web.cycle_pages import signed_in

bp = Blueprint("ranking", __name__)

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
"""The download formats and their content types."""


@bp.get("/ranking")
def ranking_page() -> ResponseReturnValue:
    """A month's ranking at one level; the latest published month by default, else last month."""
    ctx = signed_in()
    check_reads_reports(ctx)
    months = published_months(ctx)
    month = request.args.get("month", "").strip() or (months[0] if months else _last_month(ctx))
    level = request.args.get("level", "").strip() or "point"
    context = {
        "month": month,
        "level": level,
        "months": months,
        "levels": [(value, level_label(value)) for value in LEVELS],
        "own_ledgers": own_ledgers(ctx),
        "city_wide": ctx.principal.city_wide,
        "ledger_kinds": list(SCOPES),
        "ledger_labels": {
            "unit": translate("Responsible unit"),
            "cell": translate("Grid cell"),
            "subdistrict": translate("Sub-district"),
        },
    }
    try:
        ranking = monthly_ranking(ctx, month, level)
    except Unauthorized:
        raise
    except CitygridError as error:
        html = render_template("cycle/ranking.html", error=error.message(g.lang), **context)
        return html, error.status
    table = ranking_table(ranking)
    return render_template(
        "cycle/ranking.html",
        ranking=ranking,
        title=ranking_title(ranking),
        columns=list(table.columns),
        rows=table.astype(object).where(table.notna(), "").to_numpy().tolist(),
        failed=list(ranking.frame["failed"].fillna(False).astype(bool)),
        **context,
    )


@bp.get("/ranking/download")
def ranking_download() -> Response:
    """The ranking of ``month`` at ``level`` as ``format`` (xlsx or csv)."""
    ctx = signed_in()
    check_reads_reports(ctx)
    fmt = _format()
    month = parse_month(request.args.get("month", ""))
    ranking = monthly_ranking(ctx, month, request.args.get("level", "point"))
    name = f"ranking-{month}-{ranking.level}.{fmt}"
    return _file(lambda path: write_ranking(ctx, ranking, path), name, fmt)


@bp.get("/ledger/download")
def ledger_download() -> Response:
    """The ledger of ``kind`` (``unit``, ``cell`` or ``subdistrict``) ``code``, as ``format``."""
    ctx = signed_in()
    fmt = _format()
    kind = request.args.get("kind", "").strip()
    code = request.args.get("code", "").strip()
    if kind not in SCOPES or not code:
        raise BadInput(
            "Say whose ledger: kind (one of {kinds}) and code, such as kind=unit&code=U01.",
            kinds=", ".join(SCOPES),
        )
    check_ledger(ctx, kind, code)
    found = ledger(ctx, **{kind: code})
    name = f"ledger-{found.code}-{found.as_of:%Y%m%d}.{fmt}"
    return _file(lambda path: write_ledger(ctx, found, path), name, fmt)


def _format() -> str:
    """The ``format`` parameter: ``xlsx`` (default) or ``csv``.

    Raises
    ------
    BadInput
        Any other.
    """
    fmt = request.args.get("format", "xlsx").strip().lower()
    if fmt not in FORMATS:
        raise BadInput(
            "{format!r} is not a download format; use one of: {known}.",
            format=fmt,
            known=", ".join(FORMATS),
        )
    return fmt


def _file(write: Callable[[Path], Path], name: str, fmt: str) -> Response:
    """The file ``write(path)`` writes, sent as the attachment ``name``."""
    with tempfile.TemporaryDirectory(prefix="citygrid-report-") as folder:
        written = write(Path(folder) / name)
        data = written.read_bytes()
    response = Response(data, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _last_month(ctx: CityContext) -> str:
    """The month before ``ctx.now``'s (``YYYY-MM``): the newest with a whole month of data."""
    return str(parse_month(ctx.now.strftime("%Y-%m")).previous())
