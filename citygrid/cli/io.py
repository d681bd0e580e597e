"""``citygrid import`` and ``citygrid export``: layers to and from GIS files."""

from __future__ import annotations

import click

from citygrid import progress
from citygrid.cli.context import CliContext
from citygrid.errors import BadInput
from citygrid.gis.formats import format_names, mapping_path
from citygrid.i18n import _
from citygrid.layers.exporting import ExportReport, export_layer
from citygrid.layers.import_checks import dangling_text
from citygrid.layers.importing import ImportReport, import_file

pass_context = click.make_pass_decorator(CliContext)


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        field, sep, source = value.partition("=")
        if not sep or not field.strip() or not source.strip():
            raise BadInput(
                "--map {value!r} is not FIELD=SOURCE; write it like --map code=编号.",
                value=value,
            )
        mapping[field.strip()] = source.strip()
    return mapping


def _parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    parts = value.split(",")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise BadInput(
            "--bbox {value!r} is not minx,miny,maxx,maxy in degrees; write it like "
            "--bbox 116.3,39.8,116.5,40.0.",
            value=value,
        ) from None
    return minx, miny, maxx, maxy


#: The file format, for import and export alike.
_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(format_names()),
    help="Format, if the extension does not say.",
)


@click.command("import")
@click.argument("layer")
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--crs", metavar="CRS", help="The file's CRS: EPSG code, wgs84, cgcs2000, gcj02, bd09."
)
@click.option(
    "--encoding", metavar="ENC", help="Text encoding (utf-8, gbk, gb18030); detected if not given."
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FIELD=SOURCE",
    help="Fill FIELD (name or label) from the file's column SOURCE; repeatable.",
)
@click.option("--source-layer", metavar="NAME", help="Layer to read in a multi-layer file.")
@_format_option
@click.option(
    "--append", "mode", flag_value="append", default=True, help="Add to the layer (default)."
)
@click.option("--replace", "mode", flag_value="replace", help="Replace all the layer's features.")
@click.option("--dry-run", is_flag=True, help="Check everything, keep nothing.")
@click.option("--strict", is_flag=True, help="Refuse invalid geometries instead of repairing them.")
@click.option(
    "--allow-missing-refs",
    is_flag=True,
    help="Import unit, head and other codes that no feature holds (listed) instead of refusing.",
)
@pass_context
def import_command(
    ctx: CliContext,
    layer: str,
    file: str,
    crs: str | None,
    encoding: str | None,
    mappings: tuple[str, ...],
    source_layer: str | None,
    fmt: str | None,
    mode: str,
    dry_run: bool,
    strict: bool,
    allow_missing_refs: bool,
) -> None:
    """Import FILE into LAYER.

    FILE may be GeoPackage, GeoJSON, Shapefile (or a zip of one), KML,
    FlatGeobuf, GeoParquet or CSV with lon/lat or WKT columns.
    """
    store = ctx.store()
    with progress.steps(_("Importing")) as update:
        report = import_file(
            store,
            layer,
            file,
            crs=crs,
            encoding=encoding,
            mapping=_parse_map(mappings),
            source_layer=source_layer,
            fmt=fmt,
            mode=mode,
            dry_run=dry_run,
            strict=strict,
            allow_missing_refs=allow_missing_refs,
            actor=ctx.config.actor,
            progress=lambda done, total: update(done, total if total >= 0 else None),
        )
    _print_import(report)


def _print_import(report: ImportReport) -> None:
    template = (
        _("Dry run: {count} features of {path} would go into {layer} ({mode}); nothing was kept.")
        if report.dry_run
        else _("Imported {count} features from {path} into {layer} ({mode}).")
    )
    click.echo(
        template.format(
            count=report.features, path=report.path, layer=report.layer, mode=report.mode
        )
    )
    click.echo(
        _("Format {format}, CRS {crs}, encoding {encoding}.").format(
            format=report.format, crs=report.crs, encoding=report.encoding or "-"
        )
    )
    click.echo(
        _("Fields: {mapping}.").format(
            mapping=", ".join(f"{f}←{c}" for f, c in report.mapping.items())
        )
    )
    if report.ignored:
        click.echo(_("Columns not imported: {columns}.").format(columns=", ".join(report.ignored)))
    if report.repaired:
        rows = ", ".join(str(r) for r in report.repaired_rows[:10])
        click.echo(
            _("Repaired {count} invalid geometries (rows {rows}).").format(
                count=report.repaired, rows=rows
            )
        )
    if report.missing_refs:
        click.echo(
            _(
                "Codes that no feature holds, imported anyway (each with its rows): {details}."
            ).format(details=dangling_text(report.missing_refs))
        )


@click.command("export")
@click.argument("layer")
@click.option(
    "--out",
    "out",
    required=True,
    metavar="PATH",
    help="File to write; the extension gives the format.",
)
@_format_option
@click.option(
    "--crs",
    metavar="CRS",
    help="CRS to write in (default EPSG:4326; gcj02/bd09 for Chinese web maps).",
)
@click.option(
    "--bbox", metavar="MINX,MINY,MAXX,MAXY", help="Only features meeting this box (degrees)."
)
@click.option(
    "--where",
    "wheres",
    multiple=True,
    metavar="EXPR",
    help="Filter like status=open or 'status in (open,reopened)'; repeat to combine.",
)
@click.option(
    "--labels",
    type=click.Choice(["name", "zh", "en"]),
    default="name",
    show_default=True,
    help="Column names: field names, or zh/en labels (choices as labels too).",
)
@click.option(
    "--encoding",
    type=click.Choice(["gbk", "utf-8"], case_sensitive=False),
    help="Encoding of a shapefile's .dbf (default gbk, as ArcGIS on a Chinese desktop reads).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing file (in a GeoPackage, only this layer).",
)
@pass_context
def export_command(
    ctx: CliContext,
    layer: str,
    out: str,
    fmt: str | None,
    crs: str | None,
    bbox: str | None,
    wheres: tuple[str, ...],
    labels: str,
    encoding: str | None,
    overwrite: bool,
) -> None:
    """Export LAYER to a file for QGIS, ArcGIS or a report."""
    with progress.steps(_("Exporting {layer}…").format(layer=layer)) as update:
        report = export_layer(
            ctx.store(),
            layer,
            out,
            fmt=fmt,
            crs=crs,
            bbox=_parse_bbox(bbox),
            where=list(wheres),
            labels=labels,  # type: ignore[arg-type]
            encoding=encoding,
            overwrite=overwrite,
            progress=update,
        )
    _print_export(report)


def _print_export(report: ExportReport) -> None:
    click.echo(
        _("Exported {count} features of {layer} to {path} ({format}, {crs}).").format(
            count=report.features,
            layer=report.layer,
            path=report.path,
            format=report.format,
            crs=report.crs,
        )
    )
    if report.shortened:
        click.echo(
            _(
                "Shapefile field names hold 10 bytes; these were shortened (the full names are "
                "in {mapping}, which citygrid import reads back): {names}."
            ).format(
                mapping=mapping_path(report.path).name,
                names=", ".join(f"{full} → {short}" for full, short in report.shortened.items()),
            )
        )


COMMANDS = [import_command, export_command]
