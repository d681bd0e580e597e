"""Shapefiles: plain or zipped, their sidecar files, and field names over 10 bytes.

Shapefiles are written in GBK by default, with a ``.cpg`` saying so: that is
what ArcGIS and QGIS on a Chinese desktop expect, and a field name of 10
bytes then holds five Chinese characters (three in UTF-8). ``UTF-8`` is
written on request; text that GBK cannot hold is refused with a hint to ask
for it. :func:`write_shapefile` gives longer names a short unique name and
writes the mapping beside the file as ``<name>.fields.csv`` (columns
``short_name,field_name``, UTF-8); reading takes that file back
(:func:`read_mapping`), so a round trip restores the full names.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from citygrid.errors import BadInput
from citygrid.gis.formats.csvfiles import text_dates
from citygrid.gis.formats.encodings import SNIFF_BYTES, read_head
from citygrid.gis.formats.staging import StagedFile

MAPPING_SUFFIX = ".fields.csv"
SHAPEFILE_ENCODINGS = ("GBK", "UTF-8")
"""Encodings a shapefile's .dbf is written in; the first is the default."""
SHAPEFILE_NAME_BYTES = 10
#: The files GDAL writes for one shapefile (and spatial indexes other tools add).
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


def shapefile_parts(path: Path) -> tuple[str, bytes | None, str | None]:
    """The GDAL path of a shapefile (or the one in a zip), its .dbf head and .cpg text."""
    if path.suffix.lower() != ".zip":
        dbf = path.with_suffix(".dbf")
        cpg = path.with_suffix(".cpg")
        head = read_head(dbf) if dbf.exists() else None
        cpg_text = cpg.read_text("ascii", errors="replace").strip() if cpg.exists() else None
        return str(path), head, cpg_text or None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
            if not shps:
                raise BadInput(
                    "The zip {path} holds no shapefile (.shp); it has: {names}. Zip the .shp "
                    "with its .shx, .dbf, .prj and .cpg.",
                    path=str(path),
                    names=", ".join(names[:10]) or "nothing",
                )
            if len(shps) > 1:
                raise BadInput(
                    "The zip {path} holds several shapefiles ({names}); zip one per file.",
                    path=str(path),
                    names=", ".join(shps[:10]),
                )
            stem = shps[0][:-4]
            by_lower = {n.lower(): n for n in names}
            dbf_name = by_lower.get(f"{stem}.dbf".lower())
            cpg_name = by_lower.get(f"{stem}.cpg".lower())
            head = archive.open(dbf_name).read(SNIFF_BYTES) if dbf_name else None
            cpg_text = (
                archive.read(cpg_name).decode("ascii", errors="replace").strip()
                if cpg_name
                else None
            )
    except zipfile.BadZipFile:
        raise BadInput(
            "{path} is not a readable zip file; zip the shapefile again.", path=str(path)
        ) from None
    return f"/vsizip/{path.resolve()}/{shps[0]}", head, cpg_text or None


def dbf_text(head: bytes) -> bytes:
    """The text bytes of a dBase file's start: field names and whole records."""
    if len(head) < 32:
        return b""
    header_length = int.from_bytes(head[8:10], "little")
    record_length = max(int.from_bytes(head[10:12], "little"), 1)
    names = b" ".join(
        head[offset : offset + 11].split(b"\x00")[0]
        for offset in range(32, min(header_length, len(head)) - 31, 32)
        if head[offset] != 0x0D
    )
    records = head[header_length:]
    records = records[: len(records) - len(records) % record_length]
    return names + b" " + records


def read_mapping(path: Path) -> tuple[tuple[str, str], ...]:
    """Short and full field names from the ``.fields.csv`` beside a shapefile or in its zip."""
    mapping = mapping_path(path)
    if mapping.exists():
        text = mapping.read_text(encoding="utf-8-sig")
    elif path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            inside = [n for n in archive.namelist() if n.endswith(MAPPING_SUFFIX)]
            text = archive.read(inside[0]).decode("utf-8-sig") if inside else ""
    else:
        return ()
    rows = csv.DictReader(io.StringIO(text))
    return tuple(
        (r["short_name"], r["field_name"])
        for r in rows
        if r.get("short_name") and r.get("field_name")
    )


def mapping_path(path: str | os.PathLike[str]) -> Path:
    """Where the field-name mapping of a shapefile (or zipped shapefile) is kept."""
    path = Path(path)
    name = path.name
    for suffix in (".shp.zip", ".zip", ".shp"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + MAPPING_SUFFIX)


def shapefile_names(names: Sequence[str], encoding: str = "UTF-8") -> dict[str, str]:
    """Short unique shapefile field names (at most 10 bytes in ``encoding``) for ``names``.

    Names that fit are kept; longer ones are cut on a character boundary
    and numbered when the cut collides (``问题描述长``, ``问题描述_1``).

    Returns
    -------
    dict
        ``{full_name: short_name}`` for every name.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        fits = len(name.encode(encoding)) <= SHAPEFILE_NAME_BYTES
        short = name if fits else _cut(name, SHAPEFILE_NAME_BYTES, encoding)
        number = 1
        while short.lower() in used:
            tail = f"_{number}"
            short = _cut(name, SHAPEFILE_NAME_BYTES - len(tail), encoding) + tail
            number += 1
        used.add(short.lower())
        out[name] = short
    return out


def _cut(text: str, limit: int, encoding: str) -> str:
    return text.encode(encoding)[:limit].decode(encoding, errors="ignore")


def dbf_encoding(requested: str | None) -> str:
    """The .dbf encoding for a user's choice (``gbk``, ``utf8``...); GBK when ``None``."""
    if requested is None:
        return SHAPEFILE_ENCODINGS[0]
    wanted = requested.strip().upper().replace("_", "-")
    wanted = "UTF-8" if wanted in ("UTF8", "UTF-8") else wanted
    if wanted not in SHAPEFILE_ENCODINGS:
        raise BadInput(
            "A shapefile is written in GBK or UTF-8, not {encoding!r}.", encoding=requested
        )
    return wanted


def _check_text(frame: pd.DataFrame, encoding: str) -> None:
    """Refuse text that ``encoding`` cannot hold, naming the field and the value."""
    if encoding == "UTF-8":
        return
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        for value in (column, *values.dropna().astype(str).unique()):
            try:
                value.encode(encoding)
            except UnicodeEncodeError:
                raise BadInput(
                    "{value!r} in field {field} cannot be written in {encoding}; export with "
                    "--encoding utf-8 (ArcGIS reads it through the .cpg file).",
                    value=value,
                    field=column,
                    encoding=encoding,
                ) from None


def companions(path: Path) -> list[Path]:
    """The files written beside a shapefile (or a zipped one) at ``path``."""
    if path.suffix.lower() == ".zip":
        return [mapping_path(path)]
    return [path.with_suffix(s) for s in SHAPEFILE_PARTS if s != ".shp"] + [mapping_path(path)]


def write_shapefile(
    frame: gpd.GeoDataFrame, staged: StagedFile, layer: str, encoding: str | None = None
) -> None:
    """Write a shapefile (or a zip of one) into ``staged``, long names mapped.

    ``encoding`` is the .dbf's, GBK by default (see :func:`dbf_encoding`).
    """
    dbf = dbf_encoding(encoding)
    kinds = set(frame.geometry.geom_type.dropna().str.removeprefix("Multi"))
    if len(kinds) > 1:
        raise BadInput(
            "A shapefile holds one geometry type, but this layer has {kinds}; export it as "
            "GeoPackage (.gpkg) or write one file per type.",
            kinds=", ".join(sorted(kinds)),
        )
    attributes = [c for c in frame.columns if c != frame.geometry.name]
    _check_text(frame[attributes], dbf)
    names = shapefile_names(attributes, dbf)
    # dBase has dates only; datetimes are kept as ISO text.
    table = text_dates(frame.rename(columns=names))
    renamed = {full: short for full, short in names.items() if full != short}
    zipped = staged.path.suffix.lower() == ".zip"
    shp = staged.folder / f"{layer}.shp" if zipped else staged.path
    with warnings.catch_warnings():
        # GDAL reports the names it writes in the .dbf's encoding, which pyogrio
        # cannot decode as UTF-8; the names are ours (shapefile_names) already.
        warnings.filterwarnings("ignore", "Could not decode error message", RuntimeWarning)
        pyogrio.write_dataframe(table, shp, driver="ESRI Shapefile", encoding=dbf)
    if zipped:
        with zipfile.ZipFile(staged.path, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in (shp.with_suffix(s) for s in SHAPEFILE_PARTS):
                if part.exists():
                    archive.write(part, part.name)
            if renamed:
                archive.writestr(f"{layer}{MAPPING_SUFFIX}", _mapping_text(renamed))
    if renamed:
        mapping = staged.folder / mapping_path(staged.target).name
        mapping.write_text(_mapping_text(renamed), encoding="utf-8", newline="")


def _mapping_text(renamed: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["short_name", "field_name"])
    writer.writerows((short, full) for full, short in renamed.items())
    return buffer.getvalue()
