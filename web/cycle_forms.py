"""The problem cycle's forms (Flask-WTF, with the CSRF token): a transition and a report.

The forms only carry what the user typed; every check of meaning (a note
the transition needs, an item that exists, a place in the user's scope, a
photo that is an image) is the services', whose messages the pages show.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, TextAreaField

from citygrid.services.cycle.photos import PhotoFile

MAX_NOTE = 2000
"""Characters of a note or description, at most."""


class TransitionForm(FlaskForm):  # type: ignore[misc]
    """A transition's note, the problem's version as the user saw it, and evidence photos."""

    note = TextAreaField()
    version = HiddenField()
    photos = MultipleFileField()


class ReportForm(FlaskForm):  # type: ignore[misc]
    """A problem found on site: item, place (longitude, latitude), description, photos."""

    catalogue_code = SelectField(validate_choice=False)
    lon = StringField()
    lat = StringField()
    description = TextAreaField()
    photos = MultipleFileField()


def uploaded_photos(files: Sequence[FileStorage] | None) -> list[PhotoFile]:
    """The files a form's photo field sent, as the services take them (empty parts skipped:
    a browser sends one when no file was picked). The services check what they hold."""
    return [
        PhotoFile(file.filename or "photo", file.read())
        for file in files or ()
        if isinstance(file, FileStorage) and file.filename
    ]
