"""Photos stored with a problem: checked by content and size, served only to who may see it.

A photo is taken with the report (``report``) or given as evidence with
the rectification (``evidence``, 反馈). Each is stored in the ``photos``
table (:mod:`citygrid.layers.photo_layers`) with its content type, size
in bytes, SHA-256 and who added it when, in the same transaction as the
report or the transition, so a refused photo leaves nothing behind.

What is accepted is decided by the bytes, not the file name: Pillow must
open and decode a JPEG, PNG or WebP image of at most :data:`MAX_PIXELS`,
and the file must be at most :attr:`~citygrid.config.Config.max_photo_mb`
megabytes (10 by default).
A photo is read back only by principals who may read its problem
(:func:`~citygrid.services.cycle.access.visible_problem`), and never
travels with exports of problems: the ``photos`` table is internal.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from PIL import Image, UnidentifiedImageError

from citygrid.errors import BadInput, NotFound
from citygrid.layers.photo_layers import PHOTO_KINDS
from citygrid.layers.registry import get_layer
from citygrid.layers.sql import one_of
from citygrid.services.context import CityContext
from citygrid.services.cycle.access import get_problem, visible_problem
from citygrid.services.providers.scoping import check_write, withhold_personal

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
"""Pillow's format name -> the content type stored and served, for the formats accepted."""

SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
"""The file name ending of each content type, for photos written to files."""

METADATA_COLUMNS = [
    "code",
    "problem_code",
    "kind",
    "content_type",
    "size",
    "sha256",
    "added_at",
    "added_by",
]
"""What :func:`list_photos` gives of each photo (everything but its bytes)."""

_MEGABYTE = 1024 * 1024

MAX_PIXELS = 80_000_000
"""The most pixels a photo may have (80 megapixels): a small file can hold a huge image
(a decompression bomb), and decoding one to check it would take gigabytes."""


@dataclass(frozen=True)
class PhotoFile:
    """A photo as given: a name to speak of it by (a file name) and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Photo:
    """A stored photo with its bytes (:func:`get_photo`)."""

    code: str
    problem_code: str
    kind: str
    content_type: str
    size: int
    sha256: str
    added_at: datetime
    data: bytes

    @property
    def suffix(self) -> str:
        """The file name ending of its content type (``.jpg``, ``.png``, ``.webp``)."""
        return SUFFIXES[self.content_type]


def check_photo(ctx: CityContext, photo: PhotoFile) -> str:
    """The content type of ``photo`` when it is an image citygrid keeps, else refused.

    Raises
    ------
    BadInput
        Larger than ``ctx.config.max_photo_mb`` megabytes, not an image
        Pillow decodes (empty, truncated, another kind of file), or an image
        in a format other than JPEG, PNG and WebP.
    """
    if len(photo.data) > ctx.config.max_photo_mb * _MEGABYTE:
        raise _too_big(ctx, photo.name, len(photo.data))
    try:
        with warnings.catch_warnings():  # the pixel count is checked below, before decoding
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(photo.data)) as image:
                kind, pixels = image.format, image.width * image.height
                if pixels > MAX_PIXELS:
                    raise _too_many_pixels(photo.name, image.width, image.height)
                image.verify()
            with Image.open(io.BytesIO(photo.data)) as image:
                image.draft("RGB", (max(image.width // 8, 1), max(image.height // 8, 1)))
                image.load()  # decoded whole (JPEG at 1/8 scale): a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise BadInput(
            "{name} is not an image (or a damaged one); send a JPEG, PNG or WebP photo.",
            name=photo.name,
        ) from None
    if kind not in CONTENT_TYPES:
        raise BadInput(
            "Photo {name} is a {format} image; send a JPEG, PNG or WebP photo.",
            name=photo.name,
            format=kind,
        )
    return CONTENT_TYPES[kind]


def _too_many_pixels(name: str, width: int, height: int) -> BadInput:
    return BadInput(
        "Photo {name} is {width} x {height} pixels, more than {limit} megapixels; send a "
        "smaller one.",
        name=name,
        width=width,
        height=height,
        limit=MAX_PIXELS // 1_000_000,
    )


def photo_from_file(ctx: CityContext, path: str | Path) -> PhotoFile:
    """The photo in the file ``path`` (named by its file name), its size checked before reading.

    Raises
    ------
    BadInput
        No such file, or one larger than ``ctx.config.max_photo_mb`` megabytes.
    """
    file = Path(path)
    if not file.is_file():
        raise BadInput("Photo {path} is not a file that exists.", path=str(path))
    size = file.stat().st_size
    if size > ctx.config.max_photo_mb * _MEGABYTE:
        raise _too_big(ctx, file.name, size)
    return PhotoFile(file.name, file.read_bytes())


def _too_big(ctx: CityContext, name: str, size: int) -> BadInput:
    return BadInput(
        "Photo {name} is {size} MB, more than the {limit} MB allowed "
        "(CITYGRID_MAX_PHOTO_MB); send a smaller one.",
        name=name,
        size=round(size / _MEGABYTE, 1),
        limit=ctx.config.max_photo_mb,
    )


def check_photos(ctx: CityContext, photos: Sequence[PhotoFile]) -> list[str]:
    """The content type of each photo (:func:`check_photo`), refusing at the first bad one."""
    return [check_photo(ctx, photo) for photo in photos]


def add_photos(
    ctx: CityContext,
    problem_code: str,
    files: Sequence[PhotoFile],
    kind: str,
    *,
    conn: sa.Connection | None = None,
) -> pd.DataFrame:
    """Store ``files`` with the problem ``problem_code``; all or none.

    Parameters
    ----------
    ctx
        The city; ``ctx.actor`` is stored as who added them, ``ctx.now`` as when.
    problem_code
        The problem they belong to.
    files
        The photos (each checked by :func:`check_photo` before any is stored).
    kind
        ``report`` or ``evidence``.
    conn
        The transaction of the report or transition they come with; the
        caller has checked that the principal may make it. Without one the
        photos are stored in a transaction of their own, and only when the
        principal may change the problem.

    Returns
    -------
    pandas.DataFrame
        The new photos' :data:`METADATA_COLUMNS`.

    Raises
    ------
    BadInput
        An unknown kind, or a photo that is not an image or too big.
    NotFound
        No such problem.
    Unauthorized, PermissionDenied
        Without ``conn``: the principal may not change the problem.
    """
    if kind not in {c.value for c in PHOTO_KINDS}:
        raise BadInput(
            "{kind!r} is not a kind of photo; use one of: {known}.",
            kind=kind,
            known=", ".join(c.value for c in PHOTO_KINDS),
        )
    types = check_photos(ctx, files)
    if not files:
        return pd.DataFrame(columns=METADATA_COLUMNS)
    if conn is None:
        get_problem(ctx, problem_code)
        check_write(ctx, get_layer("problems"), [problem_code])
        with ctx.store.transaction() as own:
            return _insert(ctx, problem_code, files, types, kind, own)
    get_problem(ctx, problem_code, conn=conn)
    return _insert(ctx, problem_code, files, types, kind, conn)


def _insert(
    ctx: CityContext,
    problem_code: str,
    files: Sequence[PhotoFile],
    types: Sequence[str],
    kind: str,
    conn: sa.Connection,
) -> pd.DataFrame:
    """Write the checked photos, numbered after those the problem holds."""
    store = ctx.store
    table = store.table("photos")
    held = conn.execute(
        sa.select(sa.func.count()).where(table.c.problem_code == problem_code)
    ).scalar_one()
    added_at = ctx.now.replace(microsecond=0)
    new = pd.DataFrame(
        {
            "code": [f"{problem_code}-{held + i + 1:02d}" for i in range(len(files))],
            "problem_code": problem_code,
            "kind": kind,
            "content_type": list(types),
            "size": [len(f.data) for f in files],
            "sha256": [hashlib.sha256(f.data).hexdigest() for f in files],
            "data": [f.data for f in files],
            "added_at": added_at,
            "added_by": ctx.actor,
        }
    )
    store.write("photos", new, actor=ctx.actor, reason=f"photos of {problem_code}", conn=conn)
    return new[METADATA_COLUMNS]


def list_photos(ctx: CityContext, code: str) -> pd.DataFrame:
    """The photos of the problem ``code``, oldest first, without their bytes.

    Returns
    -------
    pandas.DataFrame
        :data:`METADATA_COLUMNS` (``added_by`` withheld from roles that do
        not see personal data).

    Raises
    ------
    NotFound
        No such problem, or one the principal may not see.
    """
    visible_problem(ctx, code)
    found = ctx.store.read("photos", where={"problem_code": code}, columns=METADATA_COLUMNS)
    return withhold_personal(ctx, get_layer("photos"), found[METADATA_COLUMNS])


def get_photo(ctx: CityContext, code: str, photo_id: str) -> Photo:
    """The photo ``photo_id`` of the problem ``code``, with its bytes.

    Raises
    ------
    NotFound
        No such problem, none the principal may see, or no such photo of it.
    """
    visible_problem(ctx, code)
    found = ctx.store.read(
        "photos",
        where={"problem_code": code, "code": photo_id},
        columns=[*METADATA_COLUMNS, "data"],
    )
    if found.empty:
        raise NotFound(
            "Problem {code} has no photo {photo}; `citygrid problems photos {code}` lists them.",
            code=code,
            photo=photo_id,
        )
    row = found.iloc[0]
    return Photo(
        code=str(row["code"]),
        problem_code=str(row["problem_code"]),
        kind=str(row["kind"]),
        content_type=str(row["content_type"]),
        size=int(row["size"]),
        sha256=str(row["sha256"]),
        added_at=pd.Timestamp(row["added_at"]).to_pydatetime(),
        data=bytes(row["data"]),
    )


def photo_counts(ctx: CityContext, codes: Sequence[str]) -> dict[str, int]:
    """How many photos each of the problems ``codes`` holds (those with none left out).

    For lists of problems (an inbox) that show which have photos; the
    caller has read the problems through the principal's scope.
    """
    if not codes:
        return {}
    table = ctx.store.table("photos")
    with ctx.store.reader() as conn:
        rows = conn.execute(
            sa.select(table.c.problem_code, sa.func.count())
            .where(one_of(table.c.problem_code, codes))
            .group_by(table.c.problem_code)
        ).all()
    return {str(code): int(n) for code, n in rows}
