"""Writing a file without losing another: stage it beside the target, then rename it in.

Every file citygrid writes goes through :func:`staged_file`:

- the target is checked first: a folder (``.`` too) is refused, so is a
  missing or unwritable folder, the store's own database (a path in
  ``protected``, or any SQLite file holding a citygrid schema), and an
  existing file unless ``overwrite`` is given;
- the writer writes into a new staging folder beside the target (the same
  file system, so the rename is atomic); when it succeeds each staged file
  is renamed onto its target with :func:`os.replace`; when it fails the
  staged files are removed and the target is left as it was;
- an existing GeoPackage that is overwritten keeps its other layers: it is
  copied into the staging folder first, and only the layers written change;
- files that belong together (a shapefile's ``.shx``, ``.dbf``, ``.prj``,
  ``.cpg`` and field-name mapping, the *companions*) are checked and
  replaced together; companions left from an earlier write that this one
  does not produce are removed, one named file at a time.

Nothing is ever removed recursively.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from citygrid.errors import BadInput, Conflict

_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class StagedFile:
    """A file being written: where to write it now and where it goes when done.

    Attributes
    ----------
    target
        The file the user named (absolute).
    path
        Where the writer writes the main file, in the staging folder.
    folder
        The staging folder beside the target; companions are written here
        under their final names.
    written
        After a successful write: the files put in place, main file first.
    """

    target: Path
    path: Path
    folder: Path
    written: list[Path] = field(default_factory=list)


def check_target(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    protected: Collection[str | os.PathLike[str]] = (),
    companions: Sequence[Path] = (),
) -> Path:
    """Return ``path`` made absolute if a file may be written there.

    Parameters
    ----------
    path
        The file to write.
    overwrite
        Replace an existing file (and its companions).
    protected
        Files never to write, whatever ``overwrite`` says (the store's own
        database and its journal files).
    companions
        Other files the write puts beside ``path`` (a shapefile's parts).

    Raises
    ------
    BadInput
        ``path`` is a folder, its folder is missing, or it is protected.
    Conflict
        ``path`` or a companion exists and ``overwrite`` is not given.
    """
    target = Path(path).expanduser().absolute()
    if Path(path).name in ("", ".", "..") or target.is_dir():
        raise BadInput(
            "{path} is a folder; give the name of a file to write, e.g. {example}.",
            path=str(path),
            example=str(Path(path) / "export.gpkg"),
        )
    if not target.parent.is_dir():
        raise BadInput(
            "The folder {folder} does not exist; create it or choose another --out.",
            folder=str(target.parent),
        )
    guarded = {Path(p).expanduser().resolve() for p in protected}
    if target.resolve() in guarded or _is_citygrid_database(target):
        raise BadInput("{path} is citygrid's own database; write to another file.", path=str(path))
    existing = [p for p in (target, *companions) if p.exists()]
    if existing and not overwrite:
        raise Conflict(
            "{path} exists already; give --overwrite to replace it, or choose another file.",
            path=str(existing[0]),
        )
    return target


@contextmanager
def staged_file(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    protected: Collection[str | os.PathLike[str]] = (),
    companions: Sequence[Path] = (),
    keep_layers: bool = False,
) -> Iterator[StagedFile]:
    """Stage a file beside ``path`` and rename it into place when the block succeeds.

    Parameters
    ----------
    path, overwrite, protected, companions
        As for :func:`check_target`, which runs first.
    keep_layers
        ``path`` is a GeoPackage: start from a copy of the existing file,
        so that layers the block does not write are kept.

    Yields
    ------
    StagedFile
        Write to ``staged.path`` (and companions into ``staged.folder``).

    Raises
    ------
    BadInput
        Anything :func:`check_target` refuses, or the folder cannot be
        written (``/proc``, no permission, disk full): nothing changed.
    """
    target = check_target(path, overwrite=overwrite, protected=protected, companions=companions)
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise _unwritable(target, exc) from None
    staged = StagedFile(target, folder / target.name, folder)
    try:
        if keep_layers and target.exists() and _is_sqlite(target):
            shutil.copy2(target, staged.path)
        yield staged
        _commit(staged, companions)
    except OSError as exc:
        raise _unwritable(target, exc) from None
    finally:
        _discard(folder)


def _commit(staged: StagedFile, companions: Sequence[Path]) -> None:
    """Rename the staged files onto their targets; remove stale companions."""
    produced = [(staged.path, staged.target)] + [
        (staged.folder / c.name, c) for c in companions if (staged.folder / c.name).exists()
    ]
    for source, target in produced:
        os.replace(source, target)
        staged.written.append(target)
    for stale in set(companions) - set(staged.written):
        stale.unlink(missing_ok=True)


def _discard(folder: Path) -> None:
    """Remove what a failed write left in its staging folder, file by file."""
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()


def _unwritable(target: Path, exc: OSError) -> BadInput:
    return BadInput(
        "Cannot write {path}: {reason}. Choose a folder you can write to.",
        path=str(target),
        reason=exc.strerror or str(exc),
    )


def _is_sqlite(path: Path) -> bool:
    """Whether ``path`` is a SQLite file (GeoPackages are)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


def _is_citygrid_database(path: Path) -> bool:
    """Whether ``path`` is a SQLite file holding a citygrid schema (Alembic's version table)."""
    if not _is_sqlite(path):
        return False
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
    except sqlite3.Error:
        return False
    return found is not None
