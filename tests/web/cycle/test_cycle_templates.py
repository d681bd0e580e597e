"""Every message the cycle's templates pass to ``_`` has a zh-CN translation (the
translations test reads Python sources only)."""

from __future__ import annotations

import re
from pathlib import Path

from citygrid.i18n import _catalogue

TEMPLATES = Path(__file__).resolve().parents[3] / "web" / "templates" / "cycle"
_MESSAGE = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def test_every_template_message_has_a_chinese_translation() -> None:
    found = {
        (a or b).replace("\\'", "'"): path.name
        for path in sorted(TEMPLATES.glob("*.html"))
        for a, b in _MESSAGE.findall(path.read_text(encoding="utf-8"))
    }
    assert len(found) > 40, f"only {len(found)} messages found in {TEMPLATES}"
    catalogue = _catalogue("zh_CN")
    missing = sorted(f"{where}: {msg}" for msg, where in found.items() if msg not in catalogue)
    assert not missing, "add zh_CN msgstr for:\n" + "\n".join(missing)
