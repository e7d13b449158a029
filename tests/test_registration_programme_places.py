"""A programme registers only at booths in its countries of registration, while it runs, for its countries of return:
every door (the page, the API, an offline tablet, a bulk import) refuses the same way and creates nothing."""

import uuid
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.choices import OfficeKind, Role
from cases.models import Case, Consent, Member
from cases.registration import ConsentInput, MemberInput, RegistrationInput, registration_errors
from imports import services as import_services
from imports.models import ImportBatch, ImportRow, RowStatus
from tests.conftest import api_as
from tests.factories import OfficeFactory, ProgrammeFactory, staff
from tests.import_steps import household_row, member_row, upload, workbook_bytes
from tests.test_registration_api import family
from tests.test_registration_pages import PRINCIPAL, feedback, registration

pytestmark = pytest.mark.django_db

REGISTER = "/cases/register/"


@pytest.fixture
def sjo(db):
    return OfficeFactory(code="SJO", name="San José", kind=OfficeKind.REGISTRATION_BOOTH, country="CR")


@pytest.fixture
def nic(db):
    return ProgrammeFactory(code="NIC-2019", name="Nicaragua AVR 2019", registration_countries=["MX", "GT", "CR"],
                            return_countries=["NI"], start_date=date(2019, 5, 1), end_date=date(2020, 4, 30))


@pytest.fixture
def caseworker_sjo(sjo):
    return staff("cw_sjo", Role.CASEWORKER, office=sjo)


def nicaraguan(**changes) -> MemberInput:
    person = {"given_names": "Francisco Javier", "family_names": "Sandino Téllez", "sex": "male",
              "date_of_birth": date(1987, 2, 17), "nationality": "NI", "place_of_origin": "León",
              "document_type": "passport", "document_number": "NI0301187"}
    return MemberInput(**{**person, **changes})


def errors_of(actor, programme, office, *, destination="NI", intake=date(2019, 6, 10)) -> dict:
    data = RegistrationInput(programme=programme, office=office, destination_country=destination,
                             consent=ConsentInput(type="explicit"), members=[nicaraguan()],
                             how_heard="booth_outreach", intake_date=intake)
    with translation.override("en"):
        return registration_errors(data, actor=actor)


def nothing_registered():
    assert not Case.objects.exists()
    assert not Member.objects.exists()
    assert not Consent.objects.exists()


def test_a_booth_of_the_programmes_countries_within_its_dates_registers(caseworker_sjo, nic, sjo):
    assert errors_of(caseworker_sjo, nic, sjo) == {}


def test_a_booth_outside_the_programmes_countries_of_registration_is_refused(caseworker_sjo, caravan, sjo):
    errors = errors_of(caseworker_sjo, caravan, sjo, destination="HN", intake=date(2019, 6, 10))

    assert errors == {"office": ["The programme CARAVAN-2018 does not register people in Costa Rica."]}


@pytest.mark.parametrize("intake, message", [
    (date(2019, 4, 30), "The programme NIC-2019 starts on May 1, 2019."),
    (date(2020, 5, 1), "The programme NIC-2019 ended on April 30, 2020."),
])
def test_an_intake_outside_the_programmes_dates_is_refused(caseworker_sjo, nic, sjo, intake, message):
    assert errors_of(caseworker_sjo, nic, sjo, intake=intake) == {"intake_date": [message]}


def test_a_destination_the_programme_does_not_return_to_is_refused(caseworker_sjo, nic, sjo):
    errors = errors_of(caseworker_sjo, nic, sjo, destination="HN")

    assert errors == {"destination_country": ["This programme does not return people to that country."]}


@pytest.mark.parametrize("kind", [OfficeKind.RECEPTION_CENTRE, OfficeKind.HEADQUARTERS])
def test_only_a_registration_booth_or_field_office_registers(nic, kind):
    office = OfficeFactory(code="NI-X", kind=kind, country="CR")
    caseworker = staff("cw_x", Role.CASEWORKER, office=office)

    assert errors_of(caseworker, nic, office)["office"] == ["You cannot register cases at this office."]


def test_the_page_shows_the_refusal_next_to_the_office_in_spanish_and_registers_nothing(client, caseworker_sjo,
                                                                                         caravan, sjo):
    client.force_login(caseworker_sjo)

    response = client.post(REGISTER, registration(caravan, sjo, [PRINCIPAL], intake_date="2019-06-10"))

    assert response.status_code == 200
    assert feedback(response.content.decode(), "id_office") == [
        "El programa CARAVAN-2018 no registra personas en Costa Rica."]
    nothing_registered()


def test_the_page_refuses_an_intake_before_the_programme_began(client, caseworker_sjo, nic, sjo):
    client.force_login(caseworker_sjo)
    body = registration(nic, sjo, [{**PRINCIPAL, "nationality": "NI"}], destination_country="NI",
                        intake_date="2019-04-02")

    response = client.post(REGISTER, body)

    assert feedback(response.content.decode(), "id_intake_date") == [
        "El programa NIC-2019 empieza el 1 de mayo de 2019."]
    nothing_registered()


def nicaraguan_family(**overrides) -> dict:
    body = family(programme="NIC-2019", office="SJO", destination_country="NI", intake_date="2019-06-10")
    for member in body["members"]:
        member["nationality"] = "NI"
    return {**body, **overrides}


def test_the_api_refuses_with_a_structured_400_and_registers_nothing(caseworker_sjo, nic, caravan, sjo):
    client = api_as(caseworker_sjo)

    wrong_country = client.post("/api/v1/cases/", nicaraguan_family(programme="CARAVAN-2018", destination_country="HN"),
                                format="json", HTTP_ACCEPT_LANGUAGE="en")
    too_early = client.post("/api/v1/cases/", nicaraguan_family(intake_date="2019-01-15"), format="json",
                            HTTP_ACCEPT_LANGUAGE="es")

    assert wrong_country.status_code == 400
    assert wrong_country.json()["fields"] == {
        "office": ["The programme CARAVAN-2018 does not register people in Costa Rica."]}
    assert too_early.status_code == 400
    assert too_early.json()["fields"] == {"intake_date": ["El programa NIC-2019 empieza el 1 de mayo de 2019."]}
    nothing_registered()
    assert client.post("/api/v1/cases/", nicaraguan_family(), format="json").status_code == 201


def test_an_offline_registration_is_rejected_the_same_way_and_registers_nothing(caseworker_sjo, caravan, nic, sjo):
    client = api_as(caseworker_sjo)
    tablet = client.post("/api/v1/devices/", {"label": "Tableta San José"}, format="json").json()
    operation = {"id": str(uuid.uuid4()), "sequence": 1, "kind": "register", "form_version": "registration-1",
                 "captured_at": "2019-06-10T10:00:00Z",
                 "payload": nicaraguan_family(programme="CARAVAN-2018", destination_country="HN")}

    response = client.post("/api/v1/sync/", {"device": tablet["id"], "operations": [operation]}, format="json",
                           HTTP_ACCEPT_LANGUAGE="en")

    result = response.json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "invalid")
    assert result["errors"] == {"office": ["The programme CARAVAN-2018 does not register people in Costa Rica."]}
    nothing_registered()


def test_an_import_for_a_booth_outside_the_programmes_countries_is_refused_at_upload(caseworker_sjo, caravan, sjo,
                                                                                      settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    content = workbook_bytes([household_row(1)], [member_row(1)])

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        import_services.batch_upload(actor=caseworker_sjo, programme=caravan, office=sjo, file=upload(content))

    assert refused.value.message_dict == {
        "office": ["The programme CARAVAN-2018 does not register people in Costa Rica."]}
    assert not ImportBatch.objects.exists()


def test_imported_rows_outside_the_programmes_dates_are_quarantined_and_never_merged(
        caseworker_sjo, nic, sjo, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    content = workbook_bytes(
        [household_row(1, country="NI", intake=date(2019, 6, 10), consent_date=date(2019, 6, 10)),
         household_row(2, country="NI", intake=date(2019, 3, 1), consent_date=date(2019, 3, 1))],
        [member_row(1, nationality="NI", issued="NI"), member_row(2, nationality="NI", issued="NI")])

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        batch = import_services.batch_upload(actor=caseworker_sjo, programme=nic, office=sjo, file=upload(content))

    rows = {row.household_key: row for row in ImportRow.objects.filter(batch=batch)}
    assert rows["HH-1"].status == RowStatus.VALID
    assert rows["HH-2"].status == RowStatus.INVALID
    assert rows["HH-2"].errors["households"]["intake_date"] == ["The programme NIC-2019 starts on May 1, 2019."]
    nothing_registered()


def test_an_edit_moving_the_intake_outside_the_programmes_dates_is_refused_and_changes_nothing(caseworker_sjo, nic,
                                                                                                sjo):
    client = api_as(caseworker_sjo)
    case = client.post("/api/v1/cases/", nicaraguan_family(), format="json").json()

    refused = client.patch(f"/api/v1/cases/{case['id']}/", {"version": case["version"], "intake_date": "2019-04-30"},
                           format="json", HTTP_ACCEPT_LANGUAGE="en")
    moved = client.patch(f"/api/v1/cases/{case['id']}/", {"version": case["version"], "intake_date": "2019-05-02"},
                         format="json")

    assert refused.status_code == 400
    assert refused.json()["fields"]["intake_date"] == ["The programme NIC-2019 starts on May 1, 2019."]
    assert moved.status_code == 200 and Case.objects.get().intake_date == date(2019, 5, 2)


def test_an_import_for_headquarters_is_refused_at_upload_like_a_registration(nic, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hq = OfficeFactory(code="HQ-CR", kind=OfficeKind.HEADQUARTERS, country="CR")
    caseworker = staff("cw_hq", Role.CASEWORKER, office=hq)
    content = workbook_bytes([household_row(1, country="NI")], [member_row(1, nationality="NI")])

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        import_services.batch_upload(actor=caseworker, programme=nic, office=hq, file=upload(content))

    assert refused.value.message_dict == {"office": ["You cannot register cases at this office."]}
    assert not ImportBatch.objects.exists()
