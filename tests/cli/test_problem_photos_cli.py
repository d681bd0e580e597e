"""``citygrid problems`` with photos, duplicates, recurrences and the holidays file, on both
backends: photos stored and written back out, a duplicate report merged (said in Chinese
and English), recurrence counts, a 2027 deadline once the holidays file gives that year;
bad photos and bad holidays files refused in one line with nothing changed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from test_problems import city_url
from workflow_city import IN_G01, image

from citygrid.cli import main
from citygrid.layers.store import Store

__all__ = ["city_url"]  # the fixture: the workflow city in a store of each backend

LON, LAT = (str(v) for v in IN_G01)
NEAR_LAT = str(IN_G01[1] - 0.00009)  # about 10 m south


def run(url: str, *args: str, lang: str = "en", env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main,
        ["--db", url, "--lang", lang, "--actor", "李巡查", *args],
        catch_exceptions=False,
        env=env,
    )


def ok(url: str, *args: str, lang: str = "en", env: dict[str, str] | None = None) -> str:
    result = run(url, *args, lang=lang, env=env)
    assert result.exit_code == 0, result.output
    return result.output


def report(
    url: str, *extra: str, lat: str = LAT, at: str = "2025-09-30 10:00", lang: str = "en"
) -> str:
    return ok(url, "problems", "report", "--lon", LON, "--lat", lat, "--item", "C02",
              "--description", "人行道上摆摊", "--reporter", "王某", "--reported-at", at,
              *extra, lang=lang)  # fmt: skip


def counts(url: str) -> dict[str, int]:
    store = Store.open(url)
    try:
        return store.counts()
    finally:
        store.close()


def test_photos_go_in_with_the_report_and_the_rectification_and_come_out(
    city_url: str, tmp_path: Path
) -> None:
    scene = tmp_path / "现场.jpg"
    scene.write_bytes(image("JPEG"))
    close_up = tmp_path / "近景.webp"
    close_up.write_bytes(image("WEBP"))
    report(city_url, "--photo", str(scene), "--photo", str(close_up))
    ok(city_url, "problems", "register", "WT00000001")
    ok(city_url, "problems", "dispatch", "WT00000001")
    after = tmp_path / "整改后.png"
    after.write_bytes(image("PNG"))
    ok(city_url, "problems", "rectify", "WT00000001", "--note", "已清走", "--photo", str(after))
    listed = ok(city_url, "problems", "photos", "WT00000001", lang="zh_CN")
    for text in ("问题 WT00000001 的照片", "WT00000001-01", "上报照片", "整改反馈照片"):
        assert text in listed, text
    assert "image/webp" in listed
    out = tmp_path / "照片"
    written = ok(city_url, "problems", "photos", "WT00000001", "--out", str(out))
    assert "Wrote 3 photos" in written
    names = sorted(p.name for p in out.iterdir())
    assert names == ["WT00000001-01.jpg", "WT00000001-02.webp", "WT00000001-03.png"]
    assert (out / "WT00000001-03.png").read_bytes() == after.read_bytes()


def test_bad_photos_are_refused_in_one_line_with_nothing_stored(
    city_url: str, tmp_path: Path
) -> None:
    text = tmp_path / "说明.jpg"
    text.write_text("不是图片", encoding="utf-8")
    good = tmp_path / "好.jpg"
    good.write_bytes(image("JPEG"))
    before = counts(city_url)
    result = run(city_url, "problems", "report", "--lon", LON, "--lat", LAT, "--item", "C02",
                 "--description", "x", "--photo", str(good), "--photo", str(text),
                 lang="zh_CN")  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip() == (
        "citygrid: 说明.jpg 不是图片（或图片已损坏）；请提供 JPEG、PNG 或 WebP 照片。"
    )
    big = run(city_url, "problems", "report", "--lon", LON, "--lat", LAT, "--item", "C02",
              "--description", "x", "--photo", str(good),
              env={"CITYGRID_MAX_PHOTO_MB": "0.0001"})  # fmt: skip
    assert big.exit_code == 2
    assert "more than the 0.0001 MB allowed (CITYGRID_MAX_PHOTO_MB)" in big.output
    assert counts(city_url) == before
    missing = run(city_url, "problems", "photos", "WT99")
    assert missing.exit_code == 2
    assert "There is no problem WT99" in missing.output


def test_a_duplicate_report_is_merged_and_said_so(city_url: str) -> None:
    report(city_url)
    out = report(city_url, lat=NEAR_LAT, lang="zh_CN")
    assert "本次上报已合并到问题 WT00000001（已上报待立案），该问题已被上报 2 次" in out
    out = report(city_url, lat=NEAR_LAT)
    assert "merged into problem WT00000001" in out
    assert "reported 3 times" in out
    assert counts(city_url)["problems"] == 1
    shown = ok(city_url, "problems", "show", "WT00000001", lang="zh_CN")
    assert "重复上报合并" in shown
    assert "上报次数: 3" in shown


def test_recurrences_are_linked_at_intake_and_counted_in_batch(city_url: str) -> None:
    report(city_url)
    for step in ("register", "dispatch"):
        ok(city_url, "problems", step, "WT00000001")
    ok(city_url, "problems", "rectify", "WT00000001", "--note", "已清走")
    ok(city_url, "problems", "verify", "WT00000001")
    out = report(city_url, at="2099-01-01 10:00")  # long after: not a recurrence
    assert "recurs" not in out
    out = ok(city_url, "problems", "recurrences", "--dry-run")
    assert "2 problems looked at: 0 recur" in out
    out = ok(city_url, "problems", "recurrences", lang="zh_CN")
    assert "共检查 2 个问题：0 个是 90 天内、50.0 米内已结案问题的反弹" in out
    out = ok(city_url, "problems", "recurrences", "--since", "2099-01-01",
             env={"CITYGRID_RECURRENCE_DAYS": "36600"})  # fmt: skip
    assert "1 problems looked at: 1 recur" in out
    assert "1 links written" in out


def test_a_2027_deadline_needs_the_holidays_file(city_url: str, tmp_path: Path) -> None:
    report(city_url, at="2026-12-31 10:00")
    refused = run(city_url, "problems", "register", "WT00000001", lang="zh_CN")
    assert refused.exit_code == 2
    assert "CITYGRID_HOLIDAYS" in refused.output
    assert "不知道 2027 年" in refused.output
    bad = tmp_path / "坏.csv"
    bad.write_text("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-01,workday,元旦\n", "utf-8")
    result = run(city_url, "problems", "register", "WT00000001",
                 env={"CITYGRID_HOLIDAYS": str(bad)})  # fmt: skip
    assert result.exit_code == 2
    assert "Row 3 of the holidays file" in result.output
    store = Store.open(city_url)
    assert store.get("problems", "WT00000001")["status"] == "reported"
    store.close()
    days = tmp_path / "holidays.csv"
    days.write_text("date,kind,name\n2027-01-01,holiday,元旦\n", encoding="utf-8")
    out = ok(city_url, "problems", "register", "WT00000001", env={"CITYGRID_HOLIDAYS": str(days)})
    assert "Deadline: 2027-01-06 10:00." in out  # 5.5 h on 31 December, 7 + 7 h, 1.5 h
