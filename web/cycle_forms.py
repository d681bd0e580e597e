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

from citygrid.errors import BadInput
from citygrid.services.cycle.photos import PhotoFile

MAX_NOTE = 2000
"""Characters of a note or description, at most."""


class TransitionForm(FlaskForm):  # type: ignore[misc]
    """A transition's note, the problem's version as the user saw it, evidence photos
    (rectify), the unit chosen (dispatch; empty for the routed one) and the registration
    condition (register; empty for the item's first)."""

    note = TextAreaField()
    version = HiddenField()
    photos = MultipleFileField()
    unit = StringField()
    condition = StringField()


class ReportForm(FlaskForm):  # type: ignore[misc]
    """A problem found on site: item, where (longitude, latitude), description, photos; and
    the place being inspected with the kind of inspection, when found on a round."""

    catalogue_code = SelectField(validate_choice=False)
    lon = StringField()
    lat = StringField()
    description = TextAreaField()
    photos = MultipleFileField()
    place = StringField()
    kind = StringField()


class RoundForm(FlaskForm):  # type: ignore[misc]
    """A round's kind and note (the places ticked come as the repeated field ``places``)."""

    kind = StringField()
    notes = TextAreaField()


def uploaded_photos(files: Sequence[FileStorage] | None) -> list[PhotoFile]:
    """The files a form's photo field sent, as the services take them (empty parts skipped:
    a browser sends one when no file was picked). The services check what they hold."""
    return [
        PhotoFile(file.filename or "photo", file.read())
        for file in files or ()
        if isinstance(file, FileStorage) and file.filename
    ]


def checked_note(text: str | None) -> str:
    """A note or description as typed, refused when longer than :data:`MAX_NOTE`.

    Raises
    ------
    BadInput
        It is longer.
    """
    value = text or ""
    if len(value) > MAX_NOTE:
        raise BadInput("A note has at most {limit} characters.", limit=MAX_NOTE)
    return value
