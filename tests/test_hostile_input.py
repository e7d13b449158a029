"""Every hostile request is a clean 4xx: control characters, oversized bodies, deep JSON, huge households,
reused Idempotency-Keys, OPTIONS anywhere, 404 for what one may not see, double bookings."""

import json
import re
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from audit.models import AuditEvent
from cases.models import Case, CaseEvent, Consent, IdempotencyKey, Member
from reception.models import Assistance, KitDelivery
from screening.models import Declaration
from tests.conftest import api_as
from tests.reception_steps import child_alone, departed
from tests.screening_steps import declare, family
from tests.test_registration_api import family as family_body
from tests.test_registration_pages import PRINCIPAL, registration
from tests.travel_steps import convoy, documents_ready
from travel import services as travel_services
from travel.models import Booking

pytestmark = pytest.mark.django_db

NUL = "%00"
PDF = b"%PDF-1.4\n% declaracion firmada\n%%EOF\n"


def translated(language: str, message: str, **values) -> str:
    with translation.override(language):
        text = translation.gettext(message)
    return text % values if values else text


CONTROL = "The request contains control characters (such as a NUL byte), which are never valid here."
TOO_LARGE = "The request is too large: at most %(mb)s MB."
TOO_DEEP = "The request is nested too deeply: at most %(depth)s levels."
TOO_MANY_FIELDS = "The request has too many fields: at most %(count)s."
HOUSEHOLD_TOO_BIG = "A household has at most %(count)s members; register the others as a household of their own."
KEY_REUSED = ("This Idempotency-Key was already used for a different request. Nothing was saved: send a new key for "
              "a new request.")
KEY_TOO_LONG = "An Idempotency-Key has at most %(count)s characters."


def saved_rows() -> tuple:
    """What a refused request must leave as it was."""
    return (Case.objects.count(), Member.objects.count(), CaseEvent.objects.count(), Consent.objects.count(),
            IdempotencyKey.objects.count(), Booking.objects.count(), Assistance.objects.count())


def language_header(language: str) -> dict:
    return {"HTTP_ACCEPT_LANGUAGE": language}


@pytest.fixture
def places(tij, tap, caravan, sps):
    return tij


@pytest.fixture
def signed_in(client, caseworker):
    client.force_login(caseworker)
    return client


# --- control characters ------------------------------------------------------------------------------------------

API_FILTERS = {
    "/api/v1/cases/": ["status", "office", "programme", "nationality", "umc", "incomplete", "vulnerability",
                       "registered_from", "registered_to", "q", "sort", "page_size", "cursor"],
    "/api/v1/movements/": ["reception_centre", "status", "departure_office"],
    "/api/v1/institutions/": ["country", "service", "municipality"],
    "/api/v1/offices/": ["code"],
    "/api/v1/notifications/": ["cursor"],
}
PAGE_FILTERS = {
    "/cases/": ["status", "office", "programme", "nationality", "umc", "incomplete", "vulnerability",
                "registered_from", "registered_to", "q", "sort", "cursor"],
    "/movements/": ["status", "reception_centre"],
    "/reception/referrals/": ["show", "service"],
    "/reception/kits/": ["centre"],
    "/reception/": ["q"],
    "/notifications/": ["before"],
}
CODES_IN_URLS = ["/api/v1/offices/TIJ%00/", "/api/v1/programmes/CARAVAN-2018%00/", "/api/v1/offices/%00/",
                 "/api/v1/cases/%00/", "/cases/%00/", "/movements/1%00/"]


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("path,name", [(path, name) for path, names in API_FILTERS.items() for name in names])
def test_a_nul_byte_in_any_api_filter_is_a_structured_400_in_the_callers_language(caseworker, places, path, name,
                                                                                   language):
    before = saved_rows()

    response = api_as(caseworker).get(f"{path}?{name}=TIJ{NUL}", **language_header(language))

    assert response.status_code == 400
    assert response.json() == {"code": "control_characters", "detail": translated(language, CONTROL), "fields": {}}
    assert saved_rows() == before


@pytest.mark.parametrize("path,name", [(path, name) for path, names in PAGE_FILTERS.items() for name in names])
def test_a_nul_byte_in_any_page_filter_is_a_translated_400_page(client, caseworker, reception, places, path, name):
    for user in (caseworker, reception):
        client.force_login(user)
        before = saved_rows()

        spanish = client.get(f"{path}?{name}=x{NUL}", **language_header("es"))
        english = client.get(f"{path}?{name}=x{NUL}", **language_header("en"))

        assert spanish.status_code == english.status_code == 400
        assert translated("es", CONTROL) in spanish.content.decode()
        assert CONTROL in english.content.decode()
        assert saved_rows() == before


@pytest.mark.parametrize("url", CODES_IN_URLS)
def test_a_nul_byte_in_a_code_or_id_in_the_address_is_a_400(client, caseworker, places, url):
    client.force_login(caseworker)

    response = (api_as(caseworker) if url.startswith("/api/") else client).get(url, **language_header("en"))

    assert response.status_code == 400
    assert CONTROL in response.content.decode()


@pytest.mark.parametrize("header", ["HTTP_IDEMPOTENCY_KEY", "HTTP_IF_MATCH"])
def test_a_control_character_in_a_key_header_is_a_400_and_nothing_is_registered(caseworker, places, header):
    response = api_as(caseworker).post("/api/v1/cases/", family_body(), format="json", **{header: "key\x00one"},
                                       **language_header("es"))

    assert response.status_code == 400
    assert response.json()["detail"] == translated("es", CONTROL)
    assert not Case.objects.exists()


@pytest.mark.parametrize("text", ["Ana\x00", "Ana\u0000Lucía", "Ana\x1b[31m", "\x7f"])
def test_a_control_character_inside_a_json_body_is_refused_and_nothing_is_saved(caseworker, places, text):
    body = family_body()
    body["members"][0]["given_names"] = text

    response = api_as(caseworker).post("/api/v1/cases/", body, format="json", **language_header("en"))

    assert response.status_code == 400
    assert response.json() == {"code": "control_characters", "detail": CONTROL, "fields": {}}
    assert saved_rows() == (0, 0, 0, 0, 0, 0, 0)


def test_tabs_and_line_breaks_in_a_json_body_are_kept(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", family_body(caseworker_notes="Viaja\tcon\r\nsus hijos."),
                                       format="json")

    assert response.status_code == 201
    assert Case.objects.get().caseworker_notes == "Viaja\tcon\r\nsus hijos."


def test_a_nul_byte_in_a_form_field_is_a_translated_400_page_and_nothing_is_registered(signed_in, caravan, tij):
    data = registration(caravan, tij, [{**PRINCIPAL, "given_names": "Ana\x00"}])

    spanish = signed_in.post("/cases/register/", data, **language_header("es"))
    english = signed_in.post("/cases/register/", data, **language_header("en"))

    assert spanish.status_code == english.status_code == 400
    assert translated("es", CONTROL) in spanish.content.decode() and CONTROL in english.content.decode()
    assert saved_rows() == (0, 0, 0, 0, 0, 0, 0)


def test_a_nul_byte_in_a_form_body_sent_to_the_api_is_refused(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", {"programme": "CARAVAN-2018\x00"}, **language_header("en"))

    assert response.status_code == 400 and response.json()["code"] == "control_characters"
    assert not Case.objects.exists()


# --- sizes ---------------------------------------------------------------------------------------------------------

def test_a_json_body_over_the_request_limit_is_a_413_and_nothing_is_saved(caseworker, places, settings):
    settings.AVR_REQUEST_MAX_MB = 1
    body = family_body(caseworker_notes="x" * (1024 * 1024 + 10))

    spanish = api_as(caseworker).post("/api/v1/cases/", body, format="json", **language_header("es"))
    english = api_as(caseworker).post("/api/v1/cases/", body, format="json", **language_header("en"))

    assert spanish.status_code == english.status_code == 413
    assert spanish.json() == {"code": "too_large", "detail": translated("es", TOO_LARGE, mb=1), "fields": {}}
    assert english.json()["detail"] == "The request is too large: at most 1 MB."
    assert saved_rows() == (0, 0, 0, 0, 0, 0, 0)


def test_a_body_over_djangos_own_memory_limit_is_a_413_not_a_500(caseworker, places, settings):
    # The edge trusts Content-Length; a body read past Django's limit some other way still answers cleanly.
    settings.AVR_REQUEST_MAX_MB = 10
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = api_as(caseworker).post("/api/v1/cases/", family_body(caseworker_notes="x" * 4096), format="json",
                                       **language_header("en"))

    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert not Case.objects.exists()


def test_a_page_form_over_the_limit_is_a_translated_413_page(signed_in, caravan, tij, settings):
    settings.AVR_REQUEST_MAX_MB = 1
    data = urlencode(registration(caravan, tij, [PRINCIPAL], caseworker_notes="x" * (1024 * 1024 + 10)))

    response = signed_in.post("/cases/register/", data, content_type="application/x-www-form-urlencoded",
                              **language_header("es"))

    assert response.status_code == 413
    assert translated("es", TOO_LARGE, mb=1) in response.content.decode()
    assert not Case.objects.exists()


def test_a_scan_up_to_the_upload_limit_still_uploads_when_it_is_bigger_than_the_request_limit(
        caseworker, caravan, tij, settings, tmp_path):
    settings.MEDIA_ROOT, settings.AVR_REQUEST_MAX_MB, settings.AVR_UPLOAD_MAX_MB = tmp_path, 1, 3
    ana = family(actor=caseworker, programme=caravan, office=tij).members.get(given_names="Ana Lucía")
    scan = SimpleUploadedFile("firma.pdf", PDF[:-6] + b"0" * (2 * 1024 * 1024) + b"\n%%EOF\n",
                              content_type="application/pdf")

    response = api_as(caseworker).post(f"/api/v1/members/{ana.pk}/declarations/", {
        "signed_on": ana.case.intake_date.isoformat(), "witness": "Sor Juana Inés", "scan": scan}, format="multipart")

    assert response.status_code == 201
    assert Declaration.objects.get().scan.size > 2 * 1024 * 1024


def test_a_multipart_body_over_upload_and_request_limits_together_is_a_413(caseworker, caravan, tij, settings,
                                                                           tmp_path):
    settings.MEDIA_ROOT, settings.AVR_REQUEST_MAX_MB, settings.AVR_UPLOAD_MAX_MB = tmp_path, 1, 1
    ana = family(actor=caseworker, programme=caravan, office=tij).members.get(given_names="Ana Lucía")
    scan = SimpleUploadedFile("firma.pdf", PDF + b"0" * (2 * 1024 * 1024 + 10), content_type="application/pdf")

    response = api_as(caseworker).post(f"/api/v1/members/{ana.pk}/declarations/", {
        "signed_on": ana.case.intake_date.isoformat(), "witness": "Sor Juana Inés", "scan": scan}, format="multipart",
        **language_header("en"))

    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "detail": "The request is too large: at most 2 MB.", "fields": {}}
    assert not Declaration.objects.exists()


@pytest.mark.parametrize("depth", [21, 100, 100_000])
def test_json_nested_deeper_than_the_limit_is_a_400(caseworker, places, depth):
    body = family_body()
    body["caseworker_notes"] = json.loads("[" * depth + "]" * depth) if depth < 500 else None
    raw = json.dumps(body) if depth < 500 else json.dumps(body).replace("null", "[" * depth + "]" * depth, 1)

    spanish = api_as(caseworker).post("/api/v1/cases/", raw, content_type="application/json",
                                      **language_header("es"))
    english = api_as(caseworker).post("/api/v1/cases/", raw, content_type="application/json",
                                      **language_header("en"))

    assert spanish.status_code == english.status_code == 400
    assert spanish.json() == {"code": "too_deep", "detail": translated("es", TOO_DEEP, depth=20), "fields": {}}
    assert english.json()["detail"] == "The request is nested too deeply: at most 20 levels."
    assert saved_rows() == (0, 0, 0, 0, 0, 0, 0)


def test_more_form_fields_than_the_limit_is_a_translated_400_page(signed_in, caravan, tij, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    data = registration(caravan, tij, [PRINCIPAL]) | {f"extra-{i}": "x" for i in range(60)}

    response = signed_in.post("/cases/register/", data, **language_header("es"))

    assert response.status_code == 400
    assert translated("es", TOO_MANY_FIELDS, count=50) in response.content.decode()
    assert not Case.objects.exists()


def test_more_form_fields_than_the_limit_sent_to_the_api_is_a_structured_400(caseworker, places, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50

    response = api_as(caseworker).post("/api/v1/cases/", {f"f{i}": "x" for i in range(60)},
                                       **language_header("en"))

    assert response.status_code == 400
    assert response.json() == {"code": "too_many_fields", "detail": "The request has too many fields: at most 50.",
                               "fields": {}}


# --- household size ------------------------------------------------------------------------------------------------

def members(count: int) -> list[dict]:
    principal, child = family_body()["members"][0], family_body()["members"][1]
    return [principal] + [{**child, "given_names": f"Hijo {i}"} for i in range(count - 1)]


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_household_over_the_limit_is_refused_by_the_api_before_the_duplicate_check(caseworker, places, monkeypatch,
                                                                                      language):
    def no_duplicate_check(**kwargs):
        raise AssertionError("the duplicate check ran for an oversized household")
    monkeypatch.setattr("cases.selectors.possible_duplicates_for_household", no_duplicate_check)

    response = api_as(caseworker).post("/api/v1/cases/", family_body(members=members(2500)), format="json",
                                       **language_header(language))

    assert response.status_code == 400
    assert response.json()["fields"] == {"members": [translated(language, HOUSEHOLD_TOO_BIG, count=30)]}
    assert saved_rows() == (0, 0, 0, 0, 0, 0, 0)


def test_a_household_at_the_limit_is_registered(caseworker, places, settings):
    settings.AVR_HOUSEHOLD_MAX_MEMBERS = 4

    response = api_as(caseworker).post("/api/v1/cases/", family_body(members=members(4)), format="json")

    assert response.status_code == 201 and Member.objects.count() == 4


def test_the_registration_service_refuses_a_household_over_the_configured_limit_at_the_page(signed_in, caravan, tij,
                                                                                           settings):
    settings.AVR_HOUSEHOLD_MAX_MEMBERS = 2
    child = {**PRINCIPAL, "relationship": "child", "given_names": "Brayan", "date_of_birth": "2015-02-10"}

    response = signed_in.post("/cases/register/", registration(caravan, tij, [PRINCIPAL, child, child]))

    assert response.status_code == 200
    assert translated("es", HOUSEHOLD_TOO_BIG, count=2) in response.content.decode()
    assert saved_rows() == (0, 0, 0, 0, 0, 0, 0)


def test_adding_a_member_to_a_full_household_is_refused_and_nothing_is_added(caseworker, caravan, tij, settings):
    settings.AVR_HOUSEHOLD_MAX_MEMBERS = 3
    case = family(actor=caseworker, programme=caravan, office=tij)
    before = saved_rows()

    response = api_as(caseworker).post(f"/api/v1/cases/{case.pk}/members/", members(2)[1], format="json",
                                       **language_header("en"))

    assert response.status_code == 400
    assert response.json()["fields"]["members"] == [HOUSEHOLD_TOO_BIG % {"count": 3}]
    assert saved_rows() == before


# --- Idempotency-Key -----------------------------------------------------------------------------------------------

def test_two_long_keys_sharing_their_first_100_characters_register_two_households(caseworker, places):
    client, prefix = api_as(caseworker), "k" * 100
    second = family_body()
    second["members"][0] |= {"given_names": "Rosa", "document_number": "G7654321", "phone": "+504 9999-0000"}

    first_response = client.post("/api/v1/cases/", family_body(), format="json", HTTP_IDEMPOTENCY_KEY=prefix + "-1")
    second_response = client.post("/api/v1/cases/", second, format="json", HTTP_IDEMPOTENCY_KEY=prefix + "-2")

    assert first_response.status_code == second_response.status_code == 201
    assert first_response.json()["id"] != second_response.json()["id"]
    assert "Idempotent-Replayed" not in second_response
    assert Case.objects.count() == 2
    assert all(len(key) == 64 and "k" not in key for key in IdempotencyKey.objects.values_list("key", flat=True))


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_same_key_with_a_different_body_is_a_422_and_nothing_is_saved(caseworker, places, language):
    client = api_as(caseworker)
    first = client.post("/api/v1/cases/", family_body(), format="json", HTTP_IDEMPOTENCY_KEY="tablet-7-0003")
    before = saved_rows()

    response = client.post("/api/v1/cases/", family_body(destination_country="GT"), format="json",
                           HTTP_IDEMPOTENCY_KEY="tablet-7-0003", **language_header(language))

    assert first.status_code == 201
    assert response.status_code == 422
    assert response.json() == {"code": "idempotency_key_reused", "detail": translated(language, KEY_REUSED),
                               "fields": {}}
    assert saved_rows() == before and Case.objects.get().destination_country == "HN"


def test_the_same_key_and_body_in_another_key_order_replays_the_first_case(caseworker, places):
    client = api_as(caseworker)
    first = client.post("/api/v1/cases/", family_body(), format="json", HTTP_IDEMPOTENCY_KEY="tablet-7-0004")
    reordered = json.dumps(dict(reversed(list(family_body().items()))))

    again = client.post("/api/v1/cases/", reordered, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="tablet-7-0004")

    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and Case.objects.count() == 1


def test_a_key_longer_than_255_characters_is_a_400(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", family_body(), format="json",
                                       HTTP_IDEMPOTENCY_KEY="k" * 256, **language_header("es"))

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_header", "detail": translated("es", KEY_TOO_LONG, count=255),
                               "fields": {}}
    assert saved_rows() == (0, 0, 0, 0, 0, 0, 0)


def test_a_reused_page_token_with_another_household_says_so_on_the_page(signed_in, caravan, tij):
    signed_in.post("/cases/register/", registration(caravan, tij, [PRINCIPAL], idempotency_key="tablet-retry-9"))

    response = signed_in.post("/cases/register/", registration(caravan, tij, [{**PRINCIPAL, "given_names": "Rosa"}],
                                                                idempotency_key="tablet-retry-9"))

    assert response.status_code == 200
    assert translated("es", KEY_REUSED) in response.content.decode()
    assert Case.objects.count() == 1 and not Member.objects.filter(given_names="Rosa").exists()


@pytest.fixture
def arrived_girl(caseworker, supervisor, movement_officer, reception, caravan, tij, sps):
    """A girl travelling alone, on a bus that left Tijuana and is checked in at San Pedro Sula."""
    girl = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij)
    documents_ready(girl, movement_officer)
    bus = convoy(movement_officer, tij, sps)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, movement_officer, [girl])
    KitDelivery.objects.create(centre=sps, quantity=50, received_on=bus.departure_at.date(), recorded_by=reception)
    member = girl.members.get()
    api_as(reception).post(f"/api/v1/movements/{bus.pk}/check-ins/", {"member": member.pk, "arrived": True},
                           format="json")
    return bus, girl, member


def test_an_assistance_key_reused_for_another_item_is_a_422_and_a_long_key_is_kept_whole(reception, arrived_girl):
    _bus, _girl, member = arrived_girl
    client, key = api_as(reception), "r" * 150
    first = client.post(f"/api/v1/members/{member.pk}/assistance/", {"kind": "food"}, format="json",
                        HTTP_IDEMPOTENCY_KEY=key + "a")
    other = client.post(f"/api/v1/members/{member.pk}/assistance/", {"kind": "food"}, format="json",
                        HTTP_IDEMPOTENCY_KEY=key + "b")
    before = saved_rows()

    reused = client.post(f"/api/v1/members/{member.pk}/assistance/", {"kind": "lodging"}, format="json",
                         HTTP_IDEMPOTENCY_KEY=key + "a", **language_header("en"))

    assert first.status_code == other.status_code == 201 and first.json()["id"] != other.json()["id"]
    assert reused.status_code == 422 and reused.json()["detail"] == KEY_REUSED
    assert saved_rows() == before and not Assistance.objects.filter(kind="lodging").exists()


# --- OPTIONS and 404 on every route --------------------------------------------------------------------------------

def routes() -> list[str]:
    """Every route of the site as a template ("api/v1/cases/<int:pk>/"), from the URLconf itself."""
    found = []

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(prefix + str(entry.pattern))

    walk(get_resolver().url_patterns, "")
    return [route for route in found if not route.startswith("admin/")]


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def concrete(route: str, ids: dict) -> str:
    """The route with the ids of real objects: a `pk` takes the kind named just before it (cases/<pk>)."""
    def substitute(match):
        name = match.group(1)
        return str(ids[route[:match.start()].rstrip("/").rsplit("/", 1)[-1] if name == "pk" else name])
    return "/" + PARAMETER.sub(substitute, route)


@pytest.fixture
def ids(arrived_girl, caseworker, supervisor, caravan, settings, tmp_path):
    """Real objects for every parameter: the girl's case, her declaration-less member, the bus, a report."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.services import document_upload

    bus, girl, member = arrived_girl
    settings.MEDIA_ROOT = tmp_path / "media"
    document = document_upload(actor=caseworker, case_id=girl.pk, kind="identity_document", member_id=member.pk,
                               file=SimpleUploadedFile("pasaporte.pdf", b"%PDF-1.4\n%%EOF\n"))
    api_as(supervisor).post("/api/v1/reports/", {"kind": "donor", "programme": "CARAVAN-2018",
                                                 "period_start": "2018-01-01", "period_end": "2018-12-31",
                                                 "format": "csv"}, format="json")
    from accounts.services import api_token_create
    from notifications.models import Notification
    from reports.models import Report
    from travel.models import ManifestBuild
    adult = family(actor=caseworker, programme=caravan, office=girl.registering_office).members.order_by("id")[0]
    declaration = declare(adult, caseworker)
    assistance = Assistance.objects.filter(member=member).first()
    tablet, conflict = tablet_with_conflict(caseworker, girl, member)
    batch, row = import_batch_with_row(caseworker, caravan, girl.registering_office)
    follow_up, task = follow_up_with_task(member)
    return {"follow-ups": follow_up.pk, "safeguarding": task.pk,"devices": tablet.pk, "conflicts": conflict.pk, "imports": batch.pk, "row_id": row.pk,
            "cases": girl.pk, "case_id": girl.pk, "members": member.pk, "member_id": member.pk,
            "movements": bus.pk, "declarations": declaration.pk, "declaration_id": declaration.pk,
            "consents": Consent.objects.filter(case=girl).first().pk,
            "consent_id": Consent.objects.filter(case=girl).first().pk,
            "referrals": 1, "reports": Report.objects.first().pk, "code": "TIJ", "offices": "TIJ",
            "programmes": "CARAVAN-2018", "assistance": assistance.pk if assistance else 1,
            "notifications": (Notification.objects.first() or Notification(pk=1)).pk,
            "public_id": api_token_create(user=caseworker, request=None)[0].public_id,
            "break-glass": 1, "document_id": document.pk,
            "build_id": ManifestBuild.objects.create(movement=bus, requested_by=supervisor,
                                                     passengers_version="hostile-input").pk}


def follow_up_with_task(member):
    """A follow-up of the member, due, with a safeguarding flag and its open task."""
    from reception.models import FollowUp, FollowUpFlag, SafeguardingTask

    follow_up = FollowUp.objects.create(member=member, due_on=timezone.localdate(), status="due")
    flag = FollowUpFlag.objects.create(follow_up=follow_up, member=member, kind="not_safe", raised_at=timezone.now())
    return follow_up, SafeguardingTask.objects.create(flag=flag, member=member, due_on=timezone.localdate())


def import_batch_with_row(caseworker, programme, office):
    """An import batch of the office, checked and waiting for approval, with one possible duplicate to decide."""
    from imports.models import BatchStatus, ImportBatch, ImportRow, RowStatus

    batch = ImportBatch.objects.create(programme=programme, office=office, uploaded_by=caseworker,
                                       file_digest="hostile-input", status=BatchStatus.VALIDATED)
    return batch, ImportRow.objects.create(batch=batch, household_key="HH-1", sheet_row=2,
                                           status=RowStatus.DUPLICATE)


def tablet_with_conflict(caseworker, case, member):
    """A booth tablet of the case's office and a conflict its upload left on the case."""
    import uuid

    from sync.models import SyncConflict, SyncOperation
    from sync.services import device_enrol

    tablet = device_enrol(actor=caseworker, label="Tableta", office=case.registering_office)
    operation = SyncOperation.objects.create(id=uuid.uuid4(), device=tablet, user=caseworker, sequence=1,
                                             kind="member_edit", payload_digest="x", status="conflict", case=case)
    return tablet, SyncConflict.objects.create(operation=operation, case=case, member=member, field="phone",
                                               base_value="", server_value="1", device_value="2")


def test_options_answers_without_a_server_error_on_every_api_route_for_two_roles(ids, caseworker, reception):
    failures = []
    for user in (caseworker, reception):
        client = api_as(user)
        client.raise_request_exception = False
        for route in routes():
            if route.startswith("api/"):
                response = client.options(concrete(route, ids), **language_header("es"))
                if response.status_code != 200 and not (route.startswith("api/v1/") and response.status_code == 404):
                    failures.append((user.username, route, response.status_code))
    assert failures == []


def test_options_on_screening_and_best_interests_describes_the_fields(ids, caseworker):
    for route in ("screening", "best-interests"):
        response = api_as(caseworker).options(f"/api/v1/members/{ids['members']}/{route}/")

        assert response.status_code == 200
        assert "PUT" in response.json()["actions"]


def test_an_object_outside_the_users_scope_answers_404_never_403_on_every_route(ids, outsider, other_reception,
                                                                                 other_supervisor, admin_user):
    before = saved_rows()
    failures = []
    for user in (outsider, other_reception, other_supervisor, admin_user):
        page, api = Client(raise_request_exception=False), api_as(user)
        page.force_login(user)
        api.raise_request_exception = False
        for route in routes():
            if "<" not in route or route.startswith(("api/v1/reports/", "reports/")) and user == admin_user:
                continue  # an admin sees every report
            client = api if route.startswith("api/") else page
            for method in ("get", "post", "put", "patch", "delete"):
                response = getattr(client, method)(concrete(route, ids), {})
                if response.status_code == 403 or response.status_code >= 500:
                    failures.append((user.username, method, route, response.status_code))
    assert failures == []
    assert saved_rows() == before


# --- double booking ------------------------------------------------------------------------------------------------

@pytest.fixture
def booked_family(ready_family, movement_officer, tij, sps):
    bus, other = convoy(movement_officer, tij, sps), convoy(movement_officer, tij, sps)
    for movement in (bus, other):
        travel_services.escort_add(actor=movement_officer, movement_id=movement.pk,
                                   data={"name": "Lucía", "kind": "child"})
    travel_services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready_family.pk)
    return bus, other, ready_family


@pytest.mark.parametrize("language", ["es", "en"])
def test_booking_a_household_already_booked_is_a_409_and_no_seat_is_taken(movement_officer, booked_family, language):
    bus, other, case = booked_family
    before = saved_rows()

    response = api_as(movement_officer).post(f"/api/v1/movements/{other.pk}/bookings/", {"case": case.pk},
                                             format="json", **language_header(language))

    message = translated(language, "This household is already booked on a movement.")
    assert response.status_code == 409
    assert response.json() == {"code": "already_booked", "detail": message, "fields": {"case": [message]}}
    assert saved_rows() == before
    assert set(Booking.objects.filter(status="booked").values_list("movement", flat=True)) == {bus.pk}


def test_booking_a_household_already_booked_shows_a_message_on_the_page(client, movement_officer, booked_family):
    bus, other, case = booked_family
    client.force_login(movement_officer)
    before = saved_rows()

    response = client.post(reverse("movement_book", args=[other.pk]), {"case": case.pk})

    assert response.status_code == 200
    assert translated("es", "This household is already booked on a movement.") in response.content.decode()
    assert saved_rows() == before


def test_a_refused_request_writes_no_audit_event(caseworker, places):
    before = AuditEvent.objects.count()

    api_as(caseworker).get(f"/api/v1/cases/?q={NUL}")

    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("header,value", [("HTTP_AUTHORIZATION", "Token abc\x00def"),
                                          ("HTTP_COOKIE", "sessionid=abcdefgh\x00"),
                                          ("HTTP_X_CSRFTOKEN", "token\x01")])
def test_a_control_character_in_any_other_header_is_a_400_not_a_database_error(caseworker, places, header, value):
    response = api_as(caseworker).get("/api/v1/cases/", **{header: value}, **language_header("en"))

    assert response.status_code == 400 and response.json()["code"] == "control_characters"


def test_a_nul_byte_in_a_form_body_sent_with_patch_is_refused_and_the_case_is_unchanged(caseworker, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    notes, version = case.caseworker_notes, case.version

    response = api_as(caseworker).patch(f"/api/v1/cases/{case.pk}/", urlencode(
        {"version": case.version, "caseworker_notes": "nota\x00"}), content_type="application/x-www-form-urlencoded",
        **language_header("en"))

    assert response.status_code == 400 and response.json()["code"] == "control_characters"
    case.refresh_from_db()
    assert (case.caseworker_notes, case.version) == (notes, version)


def test_a_household_form_of_2500_rows_is_refused_at_once_as_too_many_fields(signed_in, caravan, tij):
    rows = [{**PRINCIPAL, "given_names": f"Persona {i}"} for i in range(2500)]

    response = signed_in.post("/cases/register/", urlencode(registration(caravan, tij, rows)),
                              content_type="application/x-www-form-urlencoded", **language_header("en"))

    assert response.status_code == 400
    assert "The request has too many fields: at most 1000." in response.content.decode()
    assert saved_rows() == (0, 0, 0, 0, 0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_two_officers_booking_one_household_on_two_movements_at_once_book_it_once(caseworker, supervisor,
                                                                                  movement_officer, caravan, tij, sps):
    import threading

    from django.db import connection
    from tests.travel_steps import approved
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(case, movement_officer)
    movements = [convoy(movement_officer, tij, sps) for _ in range(2)]
    for movement in movements:
        travel_services.escort_add(actor=movement_officer, movement_id=movement.pk,
                                   data={"name": "Lucía", "kind": "child"})
    statuses = []

    def book(movement):
        try:
            statuses.append(api_as(movement_officer).post(f"/api/v1/movements/{movement.pk}/bookings/",
                                                          {"case": case.pk}, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(movement,)) for movement in movements]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409]
    assert Booking.objects.filter(status="booked").values("movement").distinct().count() == 1
    assert Booking.objects.filter(status="booked").count() == case.members.count()
