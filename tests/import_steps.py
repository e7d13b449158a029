"""Import files built in the test with openpyxl, and the steps of an upload through the service."""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

HOUSEHOLD_HEADERS_EN = ["Household ID", "Country of return", "Intake date", "How they heard of the programme",
                        "Consent to collect data", "Why the consent is not explicit", "Consent date", "Notes"]
MEMBER_HEADERS_EN = ["Household ID", "Relationship to the principal", "Given names", "Family names", "Sex",
                     "Date of birth", "Estimated age", "Nationality", "Document type", "Document number",
                     "Document issued by", "Phone", "Country of residence", "Languages", "Place of origin",
                     "Intended destination"]
LETTERS = "bcdfghjklmnprstvz"
VOWELS = "aeiou"


def name_of(number: int) -> str:
    """A pronounceable surname of its own for each number (no digits: names are matched by their letters)."""
    parts = []
    for _ in range(3):
        parts.append(LETTERS[number % len(LETTERS)] + VOWELS[(number // len(LETTERS)) % len(VOWELS)])
        number //= len(LETTERS) * len(VOWELS)
    return "".join(parts).capitalize() + "nez"


def household_row(number: int, **changes) -> list:
    row = {"id": f"HH-{number}", "country": "HN", "intake": date(2018, 11, 19), "how": "Outreach at a booth",
           "consent": "explicit", "reason": "", "consent_date": date(2018, 11, 19), "notes": ""}
    row.update(changes)
    return list(row.values())


def member_row(number: int, relationship: str = "principal", **changes) -> list:
    row = {"id": f"HH-{number}", "relationship": relationship, "given": "Ana Lucía", "family": name_of(number),
           "sex": "female", "born": date(1990, 5, 2), "age": None, "nationality": "HN", "doc_type": "passport",
           "doc": f"P{number:07d}", "issued": "HN", "phone": "", "residence": "", "languages": "",
           "origin": "Choloma", "destination": ""}
    row.update(changes)
    return list(row.values())


def workbook_bytes(households: list[list], members: list[list], *, sheets=("Households", "Members"),
                   household_headers=None, member_headers=None, empty_rows: int = 0) -> bytes:
    book = Workbook(write_only=True)
    first = book.create_sheet(sheets[0])
    first.append(household_headers or HOUSEHOLD_HEADERS_EN)
    for row in households:
        first.append(row)
    if len(sheets) > 1:
        second = book.create_sheet(sheets[1])
        second.append(member_headers or MEMBER_HEADERS_EN)
        for row in members:
            second.append(row)
    for _ in range(empty_rows):
        first.append([None] * 8)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def households_file(count: int, *, start: int = 1) -> bytes:
    numbers = range(start, start + count)
    return workbook_bytes([household_row(n) for n in numbers], [member_row(n) for n in numbers])


def upload(content: bytes, name: str = "registros.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/vnd.openxmlformats-officedocument."
                                                          "spreadsheetml.sheet")
