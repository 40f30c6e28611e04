"""Excel exports without formula injection: text that a spreadsheet would run stays text.

openpyxl writes a string that starts with "=" as a live formula, and Excel or WPS turns a cell beginning with
"+", "-" or "@" (or a tab/CR before them) into one as soon as it is edited (OWASP "CSV injection"). Such a
value is written as a string cell with the quote-prefix style (Excel's leading apostrophe, which is not part
of the value): it shows and re-imports exactly as typed, and editing it never runs it.
"""
from io import BytesIO

from flask import send_file
from openpyxl.cell import Cell

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def is_risky(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def safe_cell(ws, value):
    """The value to put in a row of `ws`: risky text as an inert string cell, anything else unchanged."""
    if not is_risky(value):
        return value
    # placed at A1 until the row is written (append moves it): a write-only sheet (the import error files) formats
    # the cell's coordinate while taking it in, and one without a place failed there (a TypeError, a 500)
    cell = Cell(ws, row=1, column=1, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def append_row(ws, values) -> None:
    """`ws.append(values)`, with every risky text written as text."""
    ws.append([safe_cell(ws, v) for v in values])


def send_workbook(wb, name: str):
    """A workbook as a download named `name` (every Excel export of the site answers through this)."""
    buf = BytesIO()
    wb.save(buf)
    buf.seek(0)
    return send_file(buf, download_name=name, as_attachment=True, mimetype=XLSX_MIME)
