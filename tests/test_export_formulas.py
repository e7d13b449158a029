"""No CSV or spreadsheet the app writes carries a live formula: text a spreadsheet would run is written as text
(names typed at a booth reach airlines' and donors' Excel)."""

import csv
import io

import pytest
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from avr.spreadsheets import csv_cell, csv_writer, looks_like_formula, workbook_bytes
from cases.models import Member
from reports.data import donor_report_data
from reports.formats import render
from tests.test_manifest import child_alone, family, movement  # noqa: F401  (the bus of four passengers)
from tests.test_reports import PERIOD, returned  # noqa: F401  (the known dataset of the donor report)
from travel.manifest import manifest_csv, manifest_xlsx

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tX", "\rY"]


def read_back(value: str) -> str:
    return value.replace("\r", "\n")  # XML turns a carriage return into a line feed when the file is read


def formula_cells(book) -> list[str]:
    return [cell.coordinate for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.data_type == "f"]


# The rule


@pytest.mark.parametrize("value", HOSTILE)
def test_text_that_starts_like_a_formula_is_quoted_in_a_csv(value):
    assert looks_like_formula(value)
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["José", "Núñez-Peña", "", " =1", "F0981234", "<5", -2, -2.5, 0, None])
def test_anything_else_is_written_as_it_is_and_a_negative_number_stays_a_number(value):
    assert not looks_like_formula(value)
    assert csv_cell(value) == value


def test_the_csv_writer_quotes_every_formula_like_cell_and_leaves_numbers_alone():
    out = io.StringIO()

    csv_writer(out).writerows([HOSTILE, ["Ana", -2, 3.5]])

    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["'" + value for value in HOSTILE], ["Ana", "-2", "3.5"]]


def test_a_workbook_stores_formula_like_text_as_text_cells_typed_as_text_and_numbers_as_numbers():
    book = Workbook()
    book.active.append([*HOSTILE, -2, "Ana"])
    book.active["A2"] = "=1+1"  # written cell by cell, not appended: the same rule

    sheet = load_workbook(io.BytesIO(workbook_bytes(book))).active

    cells = sheet[1]
    assert [cell.value for cell in cells] == [*map(read_back, HOSTILE), -2, "Ana"]
    assert [cell.data_type for cell in cells] == ["s"] * 6 + ["n", "s"]
    assert all(cell.quotePrefix for cell in cells[:6]) and not cells[7].quotePrefix
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert formula_cells(sheet.parent) == []


# The manifest


@pytest.fixture
def hostile_passengers(movement):  # noqa: F811
    """The four passengers' names replaced by text a spreadsheet would run (as an old row or an import could hold)."""
    members = sorted(Member.objects.filter(bookings__movement=movement), key=lambda m: m.bookings.get().seat)
    names = iter(HOSTILE + ["=1+1", "-5"])
    for member in members:
        Member.objects.filter(pk=member.pk).update(given_names=next(names), family_names=next(names))
    return movement


@pytest.mark.django_db
def test_the_manifest_csv_writes_every_formula_like_name_as_quoted_text(hostile_passengers):
    with translation.override("en"):
        text = manifest_csv(hostile_passengers)

    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    names = [value for row in rows for value in (row["Given names"], row["Family names"])]
    assert names == ["'" + value for value in HOSTILE + ["=1+1", "-5"]]
    assert [row["Seat"] for row in rows] == ["1", "2", "3", "4"]


@pytest.mark.django_db
def test_the_manifest_spreadsheet_stores_every_formula_like_name_as_a_text_cell(hostile_passengers):
    with translation.override("en"):
        book = load_workbook(io.BytesIO(manifest_xlsx(hostile_passengers)))

    sheet = book.active
    names = [cell for family_name, given_name in sheet.iter_rows(min_row=2, min_col=2, max_col=3)
             for cell in (given_name, family_name)]
    assert [cell.value for cell in names] == [*map(read_back, HOSTILE), "=1+1", "-5"]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in names)
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [1, 2, 3, 4]  # seats stay numbers
    assert formula_cells(book) == []


# The donor report


@pytest.mark.django_db
def test_the_donor_report_writes_an_office_and_a_programme_named_like_a_formula_as_text(
        returned, caravan, tij):  # noqa: F811
    caravan.name = '=HYPERLINK("http://x","y")'
    caravan.suppression_threshold = 2
    caravan.save()
    tij.code = "=1+1"
    tij.save()
    data = donor_report_data(programme=caravan, generated_at=timezone.now(), **PERIOD)

    with translation.override("en"):
        csv_content, _ = render(data, "csv")
        xlsx_content, _ = render(data, "xlsx")

    rows = list(csv.DictReader(io.StringIO(csv_content.decode("utf-8-sig"))))
    offices = [row for row in rows if row["Table"] == "returned_by_office"]
    assert [(row["Value"], row["Count"]) for row in offices] == [("'=1+1", "4"), ("_total", "4")]
    assert not any(value.startswith("=") for row in rows for value in row.values())
    book = load_workbook(io.BytesIO(xlsx_content))
    programme = book["Notes"]["B2"]
    assert programme.value == f'=HYPERLINK("http://x","y") ({caravan.code})' and programme.data_type == "s"
    office_cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
                    if cell.value == "=1+1"]
    assert office_cells and all(cell.data_type == "s" and cell.quotePrefix for cell in office_cells)
    assert formula_cells(book) == []
