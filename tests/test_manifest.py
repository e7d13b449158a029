"""The manifest of a movement: bilingual PDF with a boarding QR code per passenger, CSV and XLSX for airlines;
only what carriers need, downloaded by those who run or receive the movement, every download audited."""

import csv
import io
from datetime import date

import openpyxl
import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.choices import Role
from audit.models import AuditAction, AuditEvent
from cases.registration import MemberInput
from cases.services import case_transition
from screening import services as screening
from screening.models import ProtectionScreening
from tests.conftest import api_as
from tests.factories import household, staff
from tests.screening_steps import counsel, lone_child, screen
from tests.travel_steps import approved, convoy, documents_ready
from travel import services
from travel.manifest import manifest_csv, manifest_pdf, manifest_rows, manifest_xlsx
from travel.models import TravelDocument
from travel.qr import BadBoardingCode, boarding_code, boarding_code_read

pytestmark = pytest.mark.django_db

# Written into the cases before the manifest is made; none may reach a manifest in any format.
SECRETS = {
    "counselling notes": "Teme a la pandilla de su colonia",
    "counselling questions": "¿Perderé mi audiencia de asilo?",
    "protection narrative": "Amenazada por la MS-13 en Choloma",
    "vulnerability note": "Víctima de trata en Tapachula",
    "vulnerability kind": "Victim of trafficking",
    "medical detail": "Diabetes tipo 1, insulina cada 8 horas",
    "clinician": "Dra. Hernández Clínica",
    "caseworker notes": "Tiene miedo de regresar a su colonia",
}
FORMATS = ["pdf", "csv", "xlsx"]


def accented_family(caseworker, caravan, tij):
    return household(actor=caseworker, programme=caravan, office=tij, people=[
        MemberInput(given_names="José Ángel", family_names="Núñez Peña", sex="male", date_of_birth=date(1985, 6, 9),
                    nationality="HN", place_of_origin="Choloma", relationship="principal", document_type="passport",
                    document_number="F0981234"),
        MemberInput(given_names="María Inés", family_names="Ibáñez Sánchez", sex="female",
                    date_of_birth=date(1987, 3, 14), nationality="HN", place_of_origin="Choloma",
                    relationship="spouse"),
        MemberInput(given_names="Sofía", family_names="Núñez Ibáñez", sex="female", date_of_birth=date(2015, 8, 30),
                    nationality="HN", place_of_origin="Choloma", relationship="child"),
    ])


def approved_lone_child(caseworker, supervisor, caravan, tij):
    """Brayan, 8, travelling alone: counselled, screened, best interests determined with the guardian's consent."""
    case = lone_child(actor=caseworker, programme=caravan, office=tij)
    counsel(case, caseworker)
    child = case.members.get()
    screen(child, caseworker)
    screening.best_interests_save(actor=caseworker, member_id=child.pk, expected_version=None, data={
        "responsible_authority": "DIF Tijuana", "guardian_name": "PPNNA", "child_views": "Quiere volver",
        "options_considered": "Albergue", "outcome": "return", "decided_on": date(2018, 11, 19),
        "guardian_consent": True, "guardian_consent_on": date(2018, 11, 19)})
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    case_transition(case_id=case.pk, to="approved", actor=supervisor)
    return case


@pytest.fixture
def family(caseworker, supervisor, movement_officer, caravan, tij):
    case = approved(accented_family(caseworker, caravan, tij), caseworker, supervisor)
    documents_ready(case, movement_officer)
    return case


@pytest.fixture
def child_alone(caseworker, supervisor, movement_officer, caravan, tij):
    case = approved_lone_child(caseworker, supervisor, caravan, tij)
    documents_ready(case, movement_officer)
    return case


@pytest.fixture
def movement(movement_officer, tij, sps, family, child_alone):
    """A bus convoy Tijuana -> San Pedro Sula with a child escort, the family (seats 1-3) and Brayan (seat 4)."""
    bus = convoy(movement_officer, tij, sps)
    services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía Gómez Ibáñez",
                                                                          "kind": "child"})
    services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Raúl Castillo",
                                                                          "kind": "operational"})
    for case in (family, child_alone):
        services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=case.pk)
    bus.refresh_from_db()
    return bus


@pytest.fixture
def confirmed(movement, movement_officer):
    return services.movement_transition(actor=movement_officer, movement_id=movement.pk, to="confirmed")


@pytest.fixture
def confidential(movement, family, supervisor, caseworker):
    """Counselling notes, a protection narrative, a vulnerability and medical detail on the booked mother."""
    supervisor.is_medical_cleared = True
    supervisor.save()
    mother = family.members.get(given_names="María Inés")
    screening.counselling_session_record(actor=caseworker, case_id=family.pk, data={
        "held_on": date(2018, 11, 22), "language": "español", "topics": ["alternatives"],
        "outcome": "wishes_to_return", "questions": SECRETS["counselling questions"],
        "notes": SECRETS["counselling notes"]})
    screening.member_screening_save(
        actor=supervisor, member_id=mother.pk, expected_version=ProtectionScreening.objects.get(member=mother).version,
        protection={"fear_of_return": False, "narrative": SECRETS["protection narrative"],
                    "screened_on": date(2018, 11, 22)},
        vulnerabilities=[{"kind": "trafficking", "severity": "high", "note": SECRETS["vulnerability note"]}],
        fitness={"outcome": "fit", "assessed_on": date(2018, 11, 22), "clinician": SECRETS["clinician"],
                 "detail": SECRETS["medical detail"]})
    mother.refresh_from_db()
    assert mother.protection.narrative == SECRETS["protection narrative"]
    assert mother.fitness.detail == SECRETS["medical detail"]
    assert mother.vulnerabilities.get().note == SECRETS["vulnerability note"]
    assert family.counselling_sessions.filter(notes=SECRETS["counselling notes"]).exists()
    assert SECRETS["caseworker notes"] in type(family).objects.get(pk=family.pk).caseworker_notes
    return movement


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_images(content: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def xlsx_sheet(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def xlsx_text(content: bytes) -> str:
    return " ".join(str(v) for row in xlsx_sheet(content).iter_rows(values_only=True) for v in row if v is not None)


def manifest_text(kind: str, movement) -> str:
    if kind == "pdf":
        return pdf_text(manifest_pdf(movement))
    if kind == "csv":
        return manifest_csv(movement)
    return xlsx_text(manifest_xlsx(movement))


def exports_of(movement) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="travel.movement",
                                          object_id=str(movement.pk)))


def api_url(movement, kind: str) -> str:
    return reverse(f"api-movement-manifest-{kind}", args=[movement.pk])


def page_url(movement, kind: str) -> str:
    return reverse(f"movement_manifest_{kind}", args=[movement.pk])


def get_ready(client, url: str, **extra):
    """GET a manifest; the PDF is made in the background: ask (the build runs at commit, eagerly), then fetch it."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.get(url, **extra)
    if response.status_code in (202, 302):
        response = client.get(url, **extra)
    return response


# What the manifest says


def test_the_pdf_lists_each_passenger_with_seat_name_and_document_in_both_languages(movement, family):
    content = manifest_pdf(movement)
    text = pdf_text(content)

    assert "Manifiesto de pasajeros / Passenger manifest" in text and movement.reference in text
    for label in ("Asiento / Seat", "Sexo / Sex", "Fecha de nacimiento / Date of birth", "Nacionalidad / Nationality",
                  "Número de documento / Document number", "Escoltas / Escorts", "Transportista / Carrier",
                  "Centro de recepción / Reception centre", "Menores no acompañados / Unaccompanied children"):
        assert label in text
    for member in family.members.all():
        assert f"{member.family_names}, {member.given_names}" in text
        assert f"CE-{member.pk:06d}" in text  # the ready consular document, not the passport registered with
    assert "F0981234" not in text
    assert "José Ángel" in text and "Núñez Peña" in text and "Ibáñez" in text and "María Inés" in text
    assert "1985-06-09" in text and "Hombre / Male" in text and "Mujer / Female" in text
    assert "Lucía Gómez Ibáñez" in text and "Raúl Castillo" in text
    assert "Transportes del Pacífico" in text and "Tecún Umán" in text and "CAMR San Pedro Sula" in text
    assert "Página / Page 1 / 1" in text


def test_the_pdf_carries_a_qr_code_and_a_seat_for_every_passenger(movement):
    content = manifest_pdf(movement)
    text = pdf_text(content)

    assert pdf_images(content) == 4
    for seat in range(1, 5):
        assert f" {seat} " in f" {text} "


def test_the_unaccompanied_child_is_marked_and_counted(movement, child_alone):
    rows = manifest_rows(movement)
    text = pdf_text(manifest_pdf(movement))
    brayan = child_alone.members.get()

    assert [(r["seat"], r["unaccompanied_child"], r["is_child"]) for r in rows] == [
        (1, False, False), (2, False, False), (3, False, True), (4, True, True)]
    assert rows[3]["name"] == brayan.full_name
    # "UMC" heads the column and opens the legend; one passenger adds one marker.
    assert text.count("UMC") == 3
    assert "Menores de edad / Children 2" in text and "Menores no acompañados / Unaccompanied children 1" in text
    assert "Pasajeros / Passengers 4" in text


def test_nobody_without_a_seat_is_on_the_manifest(movement, movement_officer, child_alone):
    services.case_unbook(actor=movement_officer, movement_id=movement.pk, case_id=child_alone.pk)

    rows = manifest_rows(movement)

    assert [r["seat"] for r in rows] == [1, 2, 3]
    assert "Brayan" not in pdf_text(manifest_pdf(movement))


def test_without_a_ready_travel_document_the_identity_document_is_listed(movement, family):
    father = family.members.get(given_names="José Ángel")
    TravelDocument.objects.filter(member=father).update(status="cancelled")

    row = next(r for r in manifest_rows(movement) if r["name"] == father.full_name)

    assert (row["document_type"], row["document_number"]) == ("passport", "F0981234")


def test_the_rows_are_read_in_two_queries_however_many_passengers(movement, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = manifest_rows(movement)

    assert len(rows) == 4


@pytest.mark.parametrize("kind", FORMATS)
def test_no_format_carries_counselling_protection_vulnerability_medical_or_caseworker_notes(confidential, kind):
    text = manifest_text(kind, confidential)

    assert "Núñez Peña" in text  # the passengers are there...
    for what, secret in SECRETS.items():
        assert secret not in text, what  # ...and nothing else
    assert "trafficking" not in text.lower() and "Víctima de trata" not in text


def test_the_csv_opens_in_excel_with_an_english_header_and_iso_dates(movement, family, child_alone):
    with translation.override("en"):
        text = manifest_csv(movement)
    rows = csv_rows(text)

    assert text.startswith("\ufeffSeat,Family names,Given names,Sex,Date of birth,Nationality,Document type,")
    assert [r["Seat"] for r in rows] == ["1", "2", "3", "4"]
    father = family.members.get(given_names="José Ángel")
    assert rows[0] == {
        "Seat": "1", "Family names": "Núñez Peña", "Given names": "José Ángel", "Sex": "M",
        "Date of birth": "1985-06-09", "Nationality": "HN", "Document type": "Consular emergency document",
        "Document number": f"CE-{father.pk:06d}", "Unaccompanied child (UMC)": "N",
        "Case reference": family.reference, "Boarding code": rows[0]["Boarding code"]}
    assert boarding_code_read(rows[0]["Boarding code"]) == (movement.pk, father.pk)
    assert rows[3]["Unaccompanied child (UMC)"] == "Y" and rows[3]["Case reference"] == child_alone.reference


def test_the_spreadsheet_has_one_sheet_a_bold_header_and_real_dates(movement):
    with translation.override("en"):
        sheet = xlsx_sheet(manifest_xlsx(movement))
    rows = list(sheet.iter_rows(values_only=True))

    assert len(sheet.parent.worksheets) == 1
    assert rows[0][:3] == ("Seat", "Family names", "Given names") and all(c.font.bold for c in sheet[1])
    assert [r[0] for r in rows[1:]] == [1, 2, 3, 4]
    assert rows[1][1:5] == ("Núñez Peña", "José Ángel", "M", rows[1][4]) and rows[1][4].date() == date(1985, 6, 9)
    assert sheet.column_dimensions["B"].width > 20


# The boarding code


def test_a_boarding_code_names_the_movement_and_the_member_and_nothing_else(movement, family):
    booking = movement.bookings.get(seat=1)

    code = boarding_code(booking)

    assert boarding_code_read(code) == (movement.pk, booking.member_id)
    assert "Núñez" not in code and family.reference not in code and code.startswith("AVR1:")


@pytest.mark.parametrize("tamper", [
    lambda code: code.replace(":", ":9", 2),                    # another member, same signature
    lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"),  # a smudged signature
    lambda code: code.rsplit(":", 1)[0],                        # no signature
    lambda code: "https://example.org/",
    lambda code: "",
])
def test_a_tampered_or_garbled_boarding_code_is_refused(movement, tamper):
    code = boarding_code(movement.bookings.get(seat=1))

    with pytest.raises(BadBoardingCode):
        boarding_code_read(tamper(code))


def test_a_code_signed_for_something_else_is_refused(movement):
    from django.core.signing import Signer

    forged = Signer(salt="avr.other").sign(f"AVR1:{movement.pk}:1")

    with pytest.raises(BadBoardingCode):
        boarding_code_read(forged)


# Downloads


@pytest.mark.parametrize("kind, content_type", [
    ("pdf", "application/pdf"), ("csv", "text/csv; charset=utf-8"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_the_movement_officer_downloads_each_format_as_an_uncached_audited_attachment(
        client, movement_officer, movement, family, child_alone, kind, content_type):
    client.force_login(movement_officer)

    response = get_ready(client, page_url(movement, kind))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="manifest-{movement.reference}.{kind}"'
    assert response["Cache-Control"] == "no-store"
    [event] = exports_of(movement)
    assert event.actor == movement_officer and event.object_ids == sorted([family.pk, child_alone.pk])
    assert event.path == page_url(movement, kind)


@pytest.mark.parametrize("kind", FORMATS)
def test_the_api_answers_with_the_file_whatever_the_client_accepts(supervisor, movement, kind):
    response = get_ready(api_as(supervisor), api_url(movement, kind), HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="manifest-{movement.reference}.{kind}"'
    assert response["Cache-Control"] == "no-store"
    assert len(exports_of(movement)) == 1
    if kind == "pdf":
        assert "Núñez Peña, José Ángel" in pdf_text(response.content)


@pytest.mark.parametrize("persona, expected", [
    ("movement_officer", 200),
    ("supervisor", 200),         # a supervisor of the movement's country
    ("reception", 200),          # the destination centre, once the movement is confirmed
    ("other_reception", 404),    # another centre
    ("officer_of_guatemala", 404),
    ("caseworker", 404),
    ("outsider", 404),
    ("admin_user", 404),
])
def test_only_those_who_run_or_receive_the_movement_may_download_its_manifest(request, persona, expected, confirmed):
    user = (staff("mov_gt", Role.MOVEMENT_OFFICER, country="GT") if persona == "officer_of_guatemala"
            else request.getfixturevalue(persona))

    responses = [get_ready(api_as(user), api_url(confirmed, kind)).status_code for kind in FORMATS]

    assert responses == [expected] * 3
    assert len(exports_of(confirmed)) == (3 if expected == 200 else 0)


def test_reception_sees_no_manifest_before_the_movement_is_confirmed(client, reception, movement):
    client.force_login(reception)

    assert client.get(page_url(movement, "pdf")).status_code == 404
    assert api_as(reception).get(api_url(movement, "csv")).status_code == 404
    assert exports_of(movement) == []


def test_an_unknown_movement_is_not_found(movement_officer):
    assert api_as(movement_officer).get(reverse("api-movement-manifest-pdf", args=[999999])).status_code == 404


def test_the_departure_is_printed_in_local_time(movement):
    local = timezone.localtime(movement.departure_at)

    assert local.strftime("%Y-%m-%d %H:%M") in pdf_text(manifest_pdf(movement))


@pytest.mark.parametrize("language, header", [
    ("es", ["Asiento", "Apellidos", "Nombres", "Sexo", "Fecha de nacimiento", "Nacionalidad"]),
    ("en", ["Seat", "Family names", "Given names", "Sex", "Date of birth", "Nationality"])])
def test_the_csv_and_spreadsheet_headers_are_in_the_language_of_who_downloads_them(
        client, movement_officer, movement, language, header):
    from accounts.models import User
    User.objects.filter(pk=movement_officer.pk).update(language=language)
    client.force_login(movement_officer)

    from_page = client.get(page_url(movement, "csv")).content.decode("utf-8-sig")
    from_api = api_as(User.objects.get(pk=movement_officer.pk)).get(api_url(movement, "xlsx"))

    assert next(csv.reader(io.StringIO(from_page)))[:6] == header
    assert list(next(xlsx_sheet(from_api.content).iter_rows(values_only=True)))[:6] == header
