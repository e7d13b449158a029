"""The manifest of a movement: what carriers and authorities need of each passenger, and nothing more.

Name, sex, date of birth, nationality, travel document, seat, the unaccompanied-child marker and a boarding code.
Never counselling, protection, vulnerability or medical detail: the rows are built from an explicit list of columns,
and the query loads only those columns, so nothing else can slip into a PDF, a CSV or a spreadsheet.
"""

import io
from functools import cache
from pathlib import Path

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from accounts.choices import Country
from avr.spreadsheets import csv_writer, workbook_bytes
from cases.choices import DocumentType, Sex
from cases.fields import readable
from cases.people import is_child
from cases.permissions import case_access_batch, case_ids_visible_among
from travel.choices import SEAT_TAKING, EscortKind, MovementMode, TravelDocumentStatus, TravelDocumentType
from travel.models import Booking, Movement, TravelDocument
from travel.qr import boarding_code, boarding_qr_png

MANIFEST_LANGUAGES = ("es", "en")

# (row key, header) for the CSV and the spreadsheet: headers in the language of who downloads them.
EXPORT_COLUMNS = [
    ("seat", _("Seat")), ("family_names", _("Family names")), ("given_names", _("Given names")), ("sex", _("Sex")),
    ("date_of_birth", _("Date of birth")), ("nationality", _("Nationality")), ("document_type", _("Document type")),
    ("document_number", _("Document number")), ("unaccompanied_child", _("Unaccompanied child (UMC)")),
    ("case_reference", _("Case reference")), ("boarding_code", _("Boarding code")),
]
EXPORT_SEX = {Sex.MALE: "M", Sex.FEMALE: "F"}
XLSX_WIDTHS = {"seat": 6, "family_names": 24, "given_names": 22, "sex": 5, "date_of_birth": 13, "nationality": 11,
               "document_type": 28, "document_number": 18, "unaccompanied_child": 12, "case_reference": 18,
               "boarding_code": 62}

# Only these columns are read: the case's notes and flags never leave the database for a manifest. The case's
# scope columns come along so that each household is resolved through the case access rule without a query each.
PASSENGER_FIELDS = (
    "seat", "movement", "member", "case", "case__reference", "case__status", "case__registration_country",
    "case__registering_office", "case__programme", "case__reception_centre",
    "member__given_names", "member__family_names", "member__sex", "member__date_of_birth", "member__nationality",
    "member__document_type", "member__document_number", "member__is_unaccompanied_child",
)


def manifest_bookings(movement: Movement, db: str = "default") -> list[Booking]:
    """Who is on board (booked or boarded), by seat, with their ready travel documents: two queries on `db`."""
    ready = TravelDocument.objects.filter(status=TravelDocumentStatus.READY).only(
        "member_id", "type", "number", "recorded_at").order_by("-recorded_at", "-id")
    # Not `movement.bookings`: that would tie rows read on the replica to a movement read on the primary.
    return list(Booking.objects.using(db).filter(movement_id=movement.pk, status__in=SEAT_TAKING)
                .select_related("member", "case").only(*PASSENGER_FIELDS)
                .prefetch_related(Prefetch("member__travel_documents", queryset=ready, to_attr="ready_documents"))
                .order_by("seat"))


# Each column of a row and the field it reads (through the field policy, cases/fields.py).
ROW_FIELDS = {
    "seat": "travel.Booking.seat", "name": "cases.Member.given_names", "given_names": "cases.Member.given_names",
    "family_names": "cases.Member.family_names", "sex": "cases.Member.sex",
    "date_of_birth": "cases.Member.date_of_birth", "nationality": "cases.Member.nationality",
    "document_type": "travel.TravelDocument.type", "document_number": "travel.TravelDocument.number",
    "is_child": "cases.Member.date_of_birth", "unaccompanied_child": "cases.Member.is_unaccompanied_child",
    "case_reference": "cases.Case.reference", "boarding_code": "travel.Booking.seat",
}
BLANK = {"is_child": False, "unaccompanied_child": False}


def manifest_passengers(movement: Movement, viewer=None, db: str = "default") -> tuple[list[dict], int]:
    """The rows of the households the viewer may see (everyone, for no viewer) and how many passengers are left out.

    Each household is resolved through the case access rule, and each column read through the field policy.
    """
    day = timezone.localtime(movement.departure_at).date()
    bookings = manifest_bookings(movement, db)
    if viewer is None:
        return [passenger_row(booking, day) for booking in bookings], 0
    cases = list({booking.case_id: booking.case for booking in bookings}.values())
    access = case_access_batch(viewer, [c for c in cases if c.pk in case_ids_visible_among(viewer, cases)])
    rows = [passenger_row(booking, day, access[booking.case_id]) for booking in bookings
            if booking.case_id in access]
    return rows, len(bookings) - len(rows)


def manifest_rows(movement: Movement, viewer=None, db: str = "default") -> list[dict]:
    """One row per passenger on board, by seat, with only what carriers and authorities need."""
    return manifest_passengers(movement, viewer, db)[0]


def passenger_row(booking: Booking, day, access=None) -> dict:
    member = booking.member
    document_type, document_number = travel_document_of(member)
    born = member.date_of_birth
    row = {
        "seat": booking.seat, "name": member.full_name,
        "given_names": member.given_names, "family_names": member.family_names,
        "sex": member.sex, "date_of_birth": born, "nationality": member.nationality,
        "document_type": document_type, "document_number": document_number,
        "is_child": is_child(member, on=day),
        "unaccompanied_child": member.is_unaccompanied_child,
        "case_reference": booking.case.reference, "boarding_code": boarding_code(booking),
        "case_id": booking.case_id,
    }
    if access is not None:
        row |= {key: BLANK.get(key, "") for key, field in ROW_FIELDS.items() if not readable(access, field)}
    return row


def travel_document_of(member) -> tuple[str, str]:
    """The latest ready travel document, else the identity document the member registered with."""
    if member.ready_documents:
        document = member.ready_documents[0]
        return document.type, document.number
    return member.document_type, member.document_number


def manifest_case_ids(movement: Movement, viewer=None, db: str = "default") -> list[int]:
    """The cases on the viewer's manifest, for the audit log of a download."""
    return sorted({row["case_id"] for row in manifest_rows(movement, viewer, db)})


def manifest_filename(movement: Movement, extension: str) -> str:
    return f"manifest-{movement.reference}.{extension}"


# PDF


QR_SCHEME = "boarding-qr:"


PRINT_UA_CSS = Path(__file__).parent / "templates" / "travel" / "manifest" / "print_ua.css"


@cache
def print_ua_stylesheet() -> CSS:
    """The manifest's own user-agent stylesheet, parsed once per process."""
    return CSS(filename=str(PRINT_UA_CSS))


class LeanHTML(HTML):
    """WeasyPrint's HTML with a user-agent stylesheet of the few elements the manifest uses: matching the full HTML
    one against every cell of 300 rows costs about a second (`_ua_stylesheets` is WeasyPrint 70's own hook)."""

    def _ua_stylesheets(self, forms=False):
        return [print_ua_stylesheet()]


class BoardingQrOnly(URLFetcher):
    """Serve the passengers' QR codes, drawn as the layout asks for them; refuse every other URL."""

    def fetch(self, url, headers=None):
        if not url.startswith(QR_SCHEME):
            raise ValueError(f"The manifest fetches nothing but its QR codes: {url}")
        return URLFetcherResponse(url, body=boarding_qr_png(url.removeprefix(QR_SCHEME)),
                                  headers={"Content-Type": "image/png"})


def manifest_pdf(movement: Movement, viewer=None, progress=None) -> bytes:
    """A4 landscape, Spanish and English side by side, a QR code per passenger; fetches nothing from anywhere.

    `progress(percent)` is told as the rows are read and the pages laid out (a background build shows it)."""
    progress = progress or (lambda percent: None)
    html = render_to_string("travel/manifest/manifest.html", manifest_context(movement, viewer))
    progress(15)
    # PNG, not inline SVG: WeasyPrint draws an SVG path in Python, ~4 ms a code, more than a whole table row.
    document = LeanHTML(string=html, base_url=None, url_fetcher=BoardingQrOnly()).render()
    progress(80)
    return document.write_pdf()


def manifest_context(movement: Movement, viewer=None) -> dict:
    rows, not_shown = manifest_passengers(movement, viewer)
    label = BilingualLabels()
    for row in rows:
        row["sex_label"] = label(Sex, row["sex"])
        row["nationality_label"] = label(Country, row["nationality"])
        row["document_type_label"] = label(document_choices(row["document_type"]), row["document_type"])
        row["qr_url"] = QR_SCHEME + row["boarding_code"]
    escorts = [{"name": e.name, "kind": label(EscortKind, e.kind)} for e in movement.escorts.all()]
    return {
        "movement": movement, "rows": rows, "escorts": escorts, "legs": list(movement.legs.all()),
        "mode": label(MovementMode, movement.mode),
        "departure_at": timezone.localtime(movement.departure_at),
        "generated_at": timezone.localtime(),
        "counts": {"passengers": len(rows), "children": sum(r["is_child"] for r in rows),
                   "unaccompanied_children": sum(r["unaccompanied_child"] for r in rows), "not_shown": not_shown},
    }


def document_choices(value: str):
    return TravelDocumentType if value in TravelDocumentType.values else DocumentType


class BilingualLabels:
    """A choice's label as "Spanish / English" (once when both read alike), each label translated once per manifest."""

    def __init__(self):
        self.seen = {}

    def __call__(self, choices, value: str) -> str:
        if not value:
            return ""
        key = (choices, value)
        if key not in self.seen:
            labels = []
            for language in MANIFEST_LANGUAGES:
                with translation.override(language):
                    text = str(choices(value).label) if value in choices.values else value
                if text not in labels:
                    labels.append(text)
            self.seen[key] = " / ".join(labels)
        return self.seen[key]


# CSV and spreadsheet


def export_values(rows: list[dict]) -> list[list]:
    """The rows as airlines read them: English labels, M/F, ISO country codes and dates."""
    with translation.override("en"):
        return [[export_value(key, row) for key, _header in EXPORT_COLUMNS] for row in rows]


def export_value(key: str, row: dict):
    value = row[key]
    if key == "sex":
        return EXPORT_SEX.get(value, "")
    if key == "document_type":
        choices = document_choices(value)
        return str(choices(value).label) if value in choices.values else value
    if key == "unaccompanied_child":
        return "Y" if value else "N"
    return value


def manifest_csv(movement: Movement, viewer=None, db: str = "default") -> str:
    """The manifest as CSV for Excel: UTF-8 with a byte-order mark, header in the active language, ISO dates."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_writer(out)
    writer.writerow([str(header) for _key, header in EXPORT_COLUMNS])
    for values in export_values(manifest_rows(movement, viewer, db)):
        writer.writerow(["" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v) for v in values])
    return out.getvalue()


def manifest_xlsx(movement: Movement, viewer=None, db: str = "default") -> bytes:
    """The manifest as one spreadsheet: bold header, widths to fit, real dates."""
    book = Workbook()
    sheet = book.active
    sheet.title = movement.reference[:31]
    sheet.append([str(header) for _key, header in EXPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in export_values(manifest_rows(movement, viewer, db)):
        sheet.append(values)
    for index, (key, _header) in enumerate(EXPORT_COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = XLSX_WIDTHS[key]
        if key == "date_of_birth":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    return workbook_bytes(book)
