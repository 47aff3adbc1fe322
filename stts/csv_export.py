"""The one CSV export: streamed row by row, every cell safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Response, stream_with_context
from flask_babel import get_locale

from stts.db import database

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FLUSH_BYTES = 16_384
# Excel in Belgium (fr, nl, de) reads ";" as the list separator; English Excel reads ",".
SEMICOLON_LANGUAGES = ("fr", "nl", "de")


def excel_separator(language: str) -> str:
    """The list separator of Excel in the language's Belgian locale."""
    return ";" if language in SEMICOLON_LANGUAGES else ","


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


def stream_csv(header: list, rows: Iterable, filename: str, *, delimiter: str | None = None,
               bom: bool = True) -> Response:
    """A streamed CSV download: memory stays flat whatever the number of rows. The separator
    is the one the reader's Excel expects (``;`` in fr, nl, de; ``,`` in en) unless given;
    ``bom``: start with the UTF-8 byte order mark, which Excel needs to read UTF-8. A cell
    holding the separator is quoted, so a value like ``Evil;=1+1`` stays one cell and is
    defused there."""
    if delimiter is None:
        delimiter = excel_separator(get_locale().language)

    def generate():
        database.connect(reuse_if_open=True)
        buffer = io.StringIO()
        if bom:
            buffer.write("\ufeff")
        writer = csv.writer(buffer, delimiter=delimiter)
        writer.writerow([csv_cell(value) for value in header])
        for row in rows:
            writer.writerow([csv_cell(value) for value in row])
            if buffer.tell() > FLUSH_BYTES:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
