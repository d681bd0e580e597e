"""Problem photos on both backends: stored with the report and the rectification in their
transaction, checked by content and size, read back only by who may see the problem, never
exported, never in the audit log; every bad photo refused with nothing stored."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from workflow_city import IN_G01, NOW, as_, build_workflow_city, image, jpeg

from citygrid.config import Config
from citygrid.errors import BadInput, NotFound, PermissionDenied, Unauthorized
from citygrid.layers.exporting import export_layer
from citygrid.layers.store import Store
from citygrid.services.accounts.principal import anonymous
from citygrid.services.context import CityContext
from citygrid.services.cycle.intake import report_problem
from citygrid.services.cycle.photos import (
    METADATA_COLUMNS,
    PhotoFile,
    add_photos,
    get_photo,
    list_photos,
    photo_counts,
    photo_from_file,
)
from citygrid.services.cycle.workflow import transition


@pytest.fixture
def city(store: Store) -> Store:
    build_workflow_city(store)
    return store


def reported(ctx: CityContext, photos: list[PhotoFile], item: str = "C02") -> str:
    found = report_problem(
        ctx, *IN_G01, item, "人行道上摆摊", "citizen", "王某", reported_at=NOW, photos=photos
    )
    return str(found.problem["code"])


def counts(store: Store) -> tuple[int, int, int]:
    got = store.counts()
    return got["problems"], got["photos"], got["audit"]


def test_report_photos_are_stored_with_their_type_size_and_hash(city: Store) -> None:
    shots = [
        PhotoFile("现场.jpg", jpeg()),
        PhotoFile("近景.png", image("PNG")),
        PhotoFile("远景.webp", image("WEBP")),
    ]
    ctx = as_(city, "inspector", "grid:G01")
    code = reported(ctx, shots)
    listed = list_photos(as_(city), code)
    assert list(listed.columns) == METADATA_COLUMNS
    assert listed["code"].tolist() == [f"{code}-01", f"{code}-02", f"{code}-03"]
    assert listed["kind"].tolist() == ["report"] * 3
    assert listed["content_type"].tolist() == ["image/jpeg", "image/png", "image/webp"]
    assert listed["size"].tolist() == [len(s.data) for s in shots]
    assert listed["sha256"].tolist() == [hashlib.sha256(s.data).hexdigest() for s in shots]
    assert listed["added_by"].tolist() == ["inspector1"] * 3
    assert (listed["added_at"] == pd.Timestamp(NOW)).all()
    photo = get_photo(as_(city), code, f"{code}-02")
    assert (photo.data, photo.content_type, photo.suffix) == (shots[1].data, "image/png", ".png")
    assert photo_counts(as_(city), [code, "WT99"]) == {code: 3}


def test_evidence_photos_come_with_the_rectification(city: Store) -> None:
    ctx = as_(city)
    code = reported(ctx, [PhotoFile("现场.jpg", jpeg())])
    transition(ctx, "register", code)
    transition(ctx, "dispatch", code)
    handler = as_(city, "unit_handler", "unit:U_CG")
    after = PhotoFile("整改后.png", image("PNG"))
    transition(handler, "rectify", code, note="已清走", photos=[after])
    listed = list_photos(ctx, code)
    assert listed[["code", "kind"]].values.tolist() == [
        [f"{code}-01", "report"],
        [f"{code}-02", "evidence"],
    ]
    assert listed["added_by"].tolist() == ["系统", "unit_handler1"]


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (PhotoFile("说明.txt", "不是图片".encode()), "说明.txt is not an image"),
        (PhotoFile("空.jpg", b""), "is not an image"),
        (PhotoFile("残缺.png", image("PNG")[:40]), "残缺.png is not an image"),
        (PhotoFile("残缺.jpg", jpeg()[:200]), "残缺.jpg is not an image"),
        (PhotoFile("动图.gif", image("GIF")), "is a GIF image; send a JPEG, PNG or WebP"),
        (PhotoFile("伪装.jpg", b"%PDF-1.4\n"), "伪装.jpg is not an image"),
    ],
)
def test_a_report_with_a_bad_photo_is_refused_with_nothing_stored(
    city: Store, photo: PhotoFile, message: str
) -> None:
    before = counts(city)
    with pytest.raises(BadInput, match=message):
        reported(as_(city), [PhotoFile("好.jpg", jpeg()), photo])
    assert counts(city) == before


def test_too_big_a_photo_is_refused_on_report_and_rectify(city: Store) -> None:
    small = as_(city)
    small.config = Config(database_url=city.url, actor="系统", max_photo_mb=0.0005)  # 524 bytes
    big = PhotoFile("大图.png", image("PNG", (400, 300)) + b"\0" * 1000)
    assert len(big.data) > 524
    before = counts(city)
    with pytest.raises(BadInput, match=r"大图.png is .* MB, more than the 0.0005 MB allowed"):
        reported(small, [big])
    assert counts(city) == before
    code = reported(as_(city), [])
    transition(as_(city), "register", code)
    transition(as_(city), "dispatch", code)
    before = counts(city)
    status = city.get("problems", code)["status"]
    with pytest.raises(BadInput, match="CITYGRID_MAX_PHOTO_MB"):
        transition(small, "rectify", code, note="已清走", photos=[big])
    assert counts(city) == before
    assert city.get("problems", code)["status"] == status


def test_a_small_file_of_too_many_pixels_is_refused_before_it_is_decoded(city: Store) -> None:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 8_100)).save(buffer, format="PNG")  # 81 megapixels, a few KB
    bomb = PhotoFile("炸弹.png", buffer.getvalue())
    assert len(bomb.data) < 100_000
    before = counts(city)
    with pytest.raises(BadInput, match=r"10000 x 8100 pixels, more than 80 megapixels"):
        reported(as_(city), [bomb])
    assert counts(city) == before


def test_a_file_too_big_is_refused_before_it_is_read(city: Store, tmp_path: Path) -> None:
    small = as_(city)
    small.config = Config(database_url=city.url, max_photo_mb=0.001)
    path = tmp_path / "大图.jpg"
    path.write_bytes(b"\0" * 5000)
    with pytest.raises(BadInput, match=r"more than the 0\.001 MB allowed"):
        photo_from_file(small, path)
    with pytest.raises(BadInput, match="not a file that exists"):
        photo_from_file(small, tmp_path / "没有.jpg")
    assert photo_from_file(as_(city), path).name == "大图.jpg"


def test_photos_of_unknown_problems_and_unknown_photos_are_not_found(city: Store) -> None:
    code = reported(as_(city), [PhotoFile("现场.jpg", jpeg())])
    with pytest.raises(NotFound, match="no problem WT99"):
        list_photos(as_(city), "WT99")
    with pytest.raises(NotFound, match="no problem WT99"):
        get_photo(as_(city), "WT99", f"{code}-01")
    with pytest.raises(NotFound, match=f"Problem {code} has no photo {code}-09"):
        get_photo(as_(city), code, f"{code}-09")
    before = counts(city)
    with pytest.raises(NotFound, match="no problem WT99"):
        add_photos(as_(city), "WT99", [PhotoFile("现场.jpg", jpeg())], "report")
    with pytest.raises(BadInput, match="'selfie' is not a kind of photo"):
        add_photos(as_(city), code, [PhotoFile("现场.jpg", jpeg())], "selfie")
    assert counts(city) == before


def test_photos_are_read_only_by_who_may_see_the_problem(city: Store) -> None:
    code = reported(as_(city), [PhotoFile("现场.jpg", jpeg())])
    photo_id = f"{code}-01"
    for outsider in (as_(city, "grid_manager", "grid:G04"), as_(city, "viewer", "grid:G04")):
        with pytest.raises(NotFound, match=f"no problem {code}"):
            get_photo(outsider, code, photo_id)
        with pytest.raises(NotFound, match=f"no problem {code}"):
            list_photos(outsider, code)
    stranger = CityContext(city, as_(city).config, principal=anonymous())
    with pytest.raises((Unauthorized, PermissionDenied)):
        get_photo(stranger, code, photo_id)
    handler = as_(city, "unit_handler", "unit:U_CG")
    assert get_photo(handler, code, photo_id).data == jpeg()
    assert "added_by" not in list_photos(handler, code).columns  # personal data
    assert get_photo(as_(city, "viewer", "grid:G01"), code, photo_id).size == len(jpeg())


def test_adding_photos_alone_needs_the_right_to_change_the_problem(city: Store) -> None:
    code = reported(as_(city), [])
    before = counts(city)
    with pytest.raises(PermissionDenied):
        add_photos(as_(city, "viewer", "grid:G01"), code, [PhotoFile("现场.jpg", jpeg())], "report")
    with pytest.raises(PermissionDenied):
        add_photos(
            as_(city, "grid_manager", "grid:G04"), code, [PhotoFile("现场.jpg", jpeg())], "report"
        )
    assert counts(city) == before
    added = add_photos(
        as_(city, "grid_manager", "grid:G01"), code, [PhotoFile("补拍.jpg", jpeg())], "report"
    )
    assert added["code"].tolist() == [f"{code}-01"]


def test_photos_never_leave_through_exports_or_the_audit_log(city: Store, tmp_path: Path) -> None:
    code = reported(as_(city), [PhotoFile("现场.jpg", jpeg())])
    out = tmp_path / "problems.csv"
    export_layer(city, "problems", out)
    text = out.read_text(encoding="utf-8-sig")
    assert code in text
    assert "photo" not in text.splitlines()[0]
    with pytest.raises(BadInput):
        export_layer(city, "photos", tmp_path / "photos.csv")
    audit = city.read("audit", where={"layer": "photos"})
    assert len(audit) == 1
    assert audit["after"].tolist() == ['{"features": 1}']
