"""How the problem cycle's pages write times and delays for people, in the page's language.

``2025年3月5日 17:00`` or ``5 Mar 2025, 17:00`` (through Babel), and
working days overdue as a short number (``2``, ``0.5``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from babel.dates import format_datetime

from citygrid.i18n import translate
from citygrid.services.cycle.recurrence import ACTIONS as RECURRENCE_ACTIONS
from citygrid.services.cycle.workflow import TRANSITIONS

_PATTERNS = {"zh_CN": ("zh_Hans_CN", "y年M月d日 HH:mm"), "en": ("en", "d MMM y, HH:mm")}


def when(value: Any, lang: str) -> str:
    """A moment as people read it in ``lang`` (date and minutes); ``""`` when there is none."""
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return ""
    moment = pd.Timestamp(value).to_pydatetime()
    locale, pattern = _PATTERNS.get(lang, _PATTERNS["zh_CN"])
    return format_datetime(moment, pattern, locale=locale)


def days(value: Any) -> str:
    """Working days as a short number: whole days bare (``3``), else one decimal (``0.5``)."""
    number = round(float(value), 1)
    return f"{number:.0f}" if number.is_integer() else f"{number:.1f}"


def action_label(action: str, lang: str) -> str:
    """A timeline step's action in ``lang``: a transition's name (立案), a merged report or a
    recurrence link (:data:`~citygrid.services.cycle.recurrence.ACTIONS`), else ``change (...)``."""
    step = TRANSITIONS.get(action) or RECURRENCE_ACTIONS.get(action)
    if step is not None:
        return step.label(lang)
    return translate("change ({action})", lang, action=action)
