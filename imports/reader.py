"""Reading an import XLSX, streamed (openpyxl read-only: memory stays flat whatever the file's length): the two
sheets found by name in Spanish or English (or by position), headers matched by label or key, each cell parsed by
its column's kind. A formula is never evaluated: its cell is refused. A file that cannot be read at all raises
ImportFileInvalid with one message for the batch."""

import re
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from imports.columns import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLDS_SHEET,
    MEMBER_COLUMNS,
    MEMBERS_SHEET,
    Column,
)
from imports.staging import StagedHousehold

LANGUAGES = ("es", "en")
EMPTY_ROWS_STOP = 1000  # this many empty rows in a row end a sheet (a file "formatted" down to row 1,048,576)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# How the file's XML writes a control character (Excel's _xHHHH_), which openpyxl leaves as it is in some cells.
ESCAPED_CONTROL = re.compile(r"_x00(0[0-8BCEF]|1[0-9A-F]|7F)_", re.IGNORECASE)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class ImportFileInvalid(Exception):
    """The file as a whole cannot be read; `message` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def not_xlsx_message() -> str:
    return _("This file is not an XLSX spreadsheet. Save it as an Excel workbook (.xlsx) and upload it again.")


def is_xlsx(file) -> bool:
    """By its bytes: a zip (PK) holding a workbook, whatever the file is called."""
    file.seek(0)
    head = file.read(4)
    file.seek(0)
    if head != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        file.seek(0)
    return "xl/workbook.xml" in names


def normal(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join(text.replace("*", " ").casefold().split())


def translated(label) -> set[str]:
    names = set()
    for language in LANGUAGES:
        with translation.override(language):
            names.add(normal(str(label)))
    return names


def column_names(columns) -> dict[str, Column]:
    names = {}
    for column in columns:
        names[normal(column.key)] = column
        for name in translated(column.label):
            names[name] = column
    return names


def code_lookup(column: Column) -> dict[str, str]:
    lookup = {}
    for value, label in column.choices.choices:
        for language in LANGUAGES:
            with translation.override(language):
                lookup[normal(str(label))] = value
        lookup[normal(value)] = value
    return lookup


_CODES: dict[str, dict[str, str]] = {}


def codes_of(column: Column) -> dict[str, str]:
    if column.key not in _CODES:
        _CODES[column.key] = code_lookup(column)
    return _CODES[column.key]


def sheet_of(book, label, position: int):
    names = translated(label)
    for sheet in book.worksheets:
        if normal(sheet.title) in names:
            return sheet
    titles = {normal(s.title) for s in book.worksheets}
    known = translated(HOUSEHOLDS_SHEET) | translated(MEMBERS_SHEET)
    if not titles & known and len(book.worksheets) >= 2:
        return book.worksheets[position]
    raise ImportFileInvalid(_("The file has no “%(sheet)s” sheet.") % {"sheet": label})


def header_map(sheet, columns, label) -> dict[int, Column]:
    """Column position -> Column, from the first row; a missing required column refuses the file."""
    names = column_names(columns)
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    found = {i: names[normal(v)] for i, v in enumerate(first) if v is not None and normal(v) in names}
    missing = [str(c.label) for c in columns if c.required and c not in found.values()]
    if missing:
        raise ImportFileInvalid(_("The “%(sheet)s” sheet lacks these columns: %(columns)s.") % {
            "sheet": label, "columns": ", ".join(missing)})
    return found


def cell_value(cell, column: Column):
    """(value, error): the cell parsed by its column's kind; a formula or control characters are refused."""
    value = getattr(cell, "value", None)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.lstrip().startswith("=")):
        return None, _("This cell holds a formula. Type the value itself: formulas are never run.")
    if isinstance(value, str):
        if CONTROL.search(value) or ESCAPED_CONTROL.search(value):
            return None, _("This cell holds control characters. Type the text again.")
        value = value.strip()
    parse = {"date": _date_value, "int": _int_value, "code": _code_value}.get(column.kind, _text_value)
    return parse(value, column)


def _text_value(value, column: Column):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value).strip()
    if len(text) > column.max_length:
        return None, _("At most %(count)s characters.") % {"count": column.max_length}
    return text, None


def _date_value(value, column: Column):
    if isinstance(value, datetime):
        return value.date().isoformat(), None
    if isinstance(value, date):
        return value.isoformat(), None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 2958466:
        return from_excel(value).date().isoformat(), None
    text = str(value).strip()
    try:
        if ISO_DATE.match(text):
            return date.fromisoformat(text[:10]).isoformat(), None
        if match := DMY_DATE.match(text):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day).isoformat(), None
    except ValueError:
        pass
    return None, _("Write a date as YYYY-MM-DD (or DD/MM/YYYY).")


def _int_value(value, column: Column):
    if isinstance(value, bool):
        return None, _("Write a whole number.")
    if isinstance(value, (int, float)) and float(value).is_integer():
        return int(value), None
    text = str(value).strip()
    return (int(text), None) if text.isdigit() else (None, _("Write a whole number."))


def _code_value(value, column: Column):
    code = codes_of(column).get(normal(value))
    if code is None:
        return None, _("“%(value)s” is not one of this column’s choices.") % {"value": str(value)[:60]}
    return code, None


def sheet_rows(sheet, headers: dict[int, Column]) -> Iterator[tuple[int, dict, dict]]:
    """(row number, {key: value}, {key: [error]}) of each row that is not empty; a long run of empty rows ends it."""
    empty_run = 0
    for number, row in enumerate(sheet.iter_rows(min_row=2), start=2):
        if all(getattr(cell, "value", None) in (None, "") for cell in row):
            empty_run += 1
            if empty_run >= EMPTY_ROWS_STOP:
                return
            continue
        empty_run = 0
        values, errors = {}, {}
        for index, column in headers.items():
            cell = row[index] if index < len(row) else None
            value, error = cell_value(cell, column) if cell is not None else (None, None)
            if error:
                errors[column.key] = [error]
            elif value in (None, "") and column.required:
                errors[column.key] = [_("This field is required.")]
            values[column.key] = value
        yield number, values, errors


def member_body(values: dict) -> dict:
    body = {c.key: values.get(c.key) for c in MEMBER_COLUMNS if c.key != "household_id"}
    return {k: ("" if v is None and k not in ("date_of_birth", "estimated_age") else v) for k, v in body.items()}


def household_body(values: dict, members: list[dict]) -> dict:
    text = {k: values.get(k) or "" for k in ("destination_country", "how_heard", "caseworker_notes")}
    consent = {"type": values.get("consent_type") or "", "reason": values.get("consent_reason") or "",
               "date": values.get("consent_date")}
    return {**text, "intake_date": values.get("intake_date"), "consent": consent, "members": members}


def workbook_households(file) -> tuple[int, Iterator[StagedHousehold]]:
    """The households of the file (an estimate of how many, for progress), each joined to its members by id."""
    if not is_xlsx(file):
        raise ImportFileInvalid(not_xlsx_message())
    try:
        book = load_workbook(file, read_only=True, data_only=False)
    except Exception as exc:
        raise ImportFileInvalid(not_xlsx_message()) from exc
    households = sheet_of(book, HOUSEHOLDS_SHEET, 0)
    members_sheet = sheet_of(book, MEMBERS_SHEET, 1)
    household_headers = header_map(households, HOUSEHOLD_COLUMNS, HOUSEHOLDS_SHEET)
    member_headers = header_map(members_sheet, MEMBER_COLUMNS, MEMBERS_SHEET)
    members: dict[str, list[tuple[int, dict, dict]]] = {}
    for number, values, errors in sheet_rows(members_sheet, member_headers):
        members.setdefault(str(values.get("household_id") or ""), []).append((number, values, errors))
    total = max(0, (households.max_row or 1) - 1)
    return total, _households(book, households, household_headers, members)


def _households(book, sheet, headers, members) -> Iterator[StagedHousehold]:
    count = 0
    try:
        for number, values, errors in sheet_rows(sheet, headers):
            count += 1
            if count > settings.IMPORT_MAX_HOUSEHOLDS:
                raise ImportFileInvalid(_("The file has more than %(count)s households: split it into several "
                                          "files.") % {"count": settings.IMPORT_MAX_HOUSEHOLDS})
            key = str(values.get("household_id") or f"#{number}")
            people = members.get(key, []) if values.get("household_id") else []
            yield StagedHousehold(
                household_key=key, sheet_row=number, member_rows=[n for n, _v, _e in people],
                data=household_body(values, [member_body(v) for _n, v, _e in people]),
                cell_errors={"households": errors, "members": {n: e for n, _v, e in people if e}})
    finally:
        book.close()
