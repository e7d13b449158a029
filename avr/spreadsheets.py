"""Every CSV and spreadsheet the app writes goes through here, so no cell is ever run as a formula.

A name such as `=HYPERLINK("http://x","y")` typed at a registration booth would otherwise become a live formula when
an airline or a donor opens the file (CSV injection). The rule, OWASP's: a string that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return is text. In a CSV it is written with a single quote in front; in a spreadsheet it is
a string cell with the quote-prefix style (Excel's own way of saying "typed as text"), never a formula. Only strings
are touched: a negative number stays a number.
"""

import csv
import io

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value):
    """The value as a CSV cell that no spreadsheet evaluates."""
    return "'" + value if looks_like_formula(value) else value


class SafeCsvWriter:
    """csv.writer with every cell passed through `csv_cell`."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out, **options) -> SafeCsvWriter:
    return SafeCsvWriter(out, **options)


def xlsx_text_cell(cell) -> None:
    """Make a cell holding formula-like text a plain string cell (openpyxl types any "=..." string as a formula)."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def workbook_bytes(book: Workbook) -> bytes:
    """The workbook as .xlsx bytes, every formula-like string made text first, whichever way it was written."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                xlsx_text_cell(cell)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
