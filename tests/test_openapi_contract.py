"""Every operation of the OpenAPI document answers a real call with a documented 2xx whose body the document describes.

One representative call per operation, on records made through the services; each answer is held to the document by
schemathesis' checks (status documented, content type, body schema). STAGES lists the operations each test covers,
and a test holds that list to the document, so an endpoint added without a representative call fails here.
"""

import json
from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone

from avr.wsgi import application
from reception.models import Institution
from tests.conftest import api_token_key
from tests.reception_steps import child_alone, departed
from tests.screening_steps import family, screen
from tests.test_schemathesis import CHECKS, connection_kept_across_requests
from tests.travel_steps import approved, convoy, documents_ready
from travel.manifest_builds import manifest_build_run

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

STAGES = {
    "reference": [
        "POST /api/v1/auth/token/", "GET /api/v1/offices/", "GET /api/v1/offices/{code}/", "GET /api/v1/programmes/",
        "GET /api/v1/programmes/{code}/", "GET /api/v1/institutions/", "GET /api/v1/notifications/",
        "POST /api/v1/notifications/read/", "GET /api/v1/auth/tokens/", "DELETE /api/v1/auth/tokens/{public_id}/",
        "DELETE /api/v1/auth/tokens/",
    ],
    "registration": [
        "POST /api/v1/cases/", "GET /api/v1/cases/", "GET /api/v1/cases/{id}/", "PATCH /api/v1/cases/{id}/",
        "POST /api/v1/cases/{id}/members/", "PATCH /api/v1/members/{id}/", "POST /api/v1/cases/{id}/principal/",
        "POST /api/v1/cases/{id}/members/{member_id}/split/", "GET /api/v1/cases/{id}/events/",
        "POST /api/v1/members/{id}/duplicate-decisions/",
    ],
    "screening": [
        "POST /api/v1/cases/{id}/counselling-sessions/", "GET /api/v1/cases/{id}/counselling-sessions/",
        "PUT /api/v1/members/{id}/screening/", "GET /api/v1/members/{id}/screening/",
        "POST /api/v1/members/{id}/protection-flag/resolve/", "POST /api/v1/members/{id}/declarations/",
        "GET /api/v1/members/{id}/declarations/", "GET /api/v1/declarations/{id}/scan/",
        "POST /api/v1/declarations/{id}/withdraw/", "POST /api/v1/members/{id}/consents/",
        "GET /api/v1/members/{id}/consents/", "POST /api/v1/consents/{id}/withdraw/",
        "GET /api/v1/cases/{id}/checklist/", "GET /api/v1/cases/{id}/declaration.pdf",
        "PUT /api/v1/members/{id}/best-interests/", "GET /api/v1/members/{id}/best-interests/",
        "POST /api/v1/cases/{id}/transitions/", "POST /api/v1/cases/bulk-approval/",
    ],
    "travel": [
        "POST /api/v1/members/{id}/travel-documents/", "GET /api/v1/members/{id}/travel-documents/",
        "POST /api/v1/movements/", "GET /api/v1/movements/", "GET /api/v1/movements/{id}/",
        "PATCH /api/v1/movements/{id}/", "POST /api/v1/movements/{id}/escorts/", "POST /api/v1/movements/{id}/bookings/",
        "DELETE /api/v1/movements/{id}/bookings/{case_id}/", "GET /api/v1/movements/{id}/manifest.pdf",
        "GET /api/v1/movements/{id}/manifest-builds/{build_id}/", "GET /api/v1/movements/{id}/manifest.csv", "GET /api/v1/movements/{id}/manifest.xlsx",
        "POST /api/v1/movements/{id}/transitions/", "POST /api/v1/movements/{id}/border-support/",
    ],
    "reception": [
        "POST /api/v1/movements/{id}/check-ins/", "POST /api/v1/members/{id}/handover/",
        "POST /api/v1/members/{id}/assistance/", "POST /api/v1/referrals/", "PATCH /api/v1/referrals/{id}/",
        "POST /api/v1/members/{id}/follow-ups/", "GET /api/v1/follow-ups/", "POST /api/v1/follow-ups/{id}/attempts/",
    ],
    "reports": ["POST /api/v1/reports/", "GET /api/v1/reports/{id}/", "GET /api/v1/reports/{id}/download/"],
    "rights": ["GET /api/v1/members/{id}/export/", "POST /api/v1/members/{id}/erasure-requests/",
               "GET /api/v1/members/{id}/erasure-requests/"],
    "retention": ["POST /api/v1/cases/{id}/anonymise/"],
    "casework": ["GET /api/v1/cases/{id}/transfers/", "POST /api/v1/cases/{id}/transfers/",
                 "GET /api/v1/cases/{id}/documents/", "POST /api/v1/cases/{id}/documents/",
                 "GET /api/v1/cases/{id}/documents/{document_id}/",
                 "POST /api/v1/cases/{id}/documents/{document_id}/delete/"],
    "break_glass": ["POST /api/v1/cases/{id}/break-glass/"],
    "sync": ["GET /api/v1/sync/definitions/", "POST /api/v1/devices/", "GET /api/v1/devices/",
             "GET /api/v1/devices/{id}/key/", "POST /api/v1/devices/{id}/references/", "POST /api/v1/sync/",
             "GET /api/v1/sync/conflicts/", "POST /api/v1/sync/conflicts/{id}/resolve/",
             "POST /api/v1/devices/{id}/revoke/", "POST /api/v1/sync/import/"],
    "imports": ["POST /api/v1/imports/", "GET /api/v1/imports/", "GET /api/v1/imports/{id}/",
                "GET /api/v1/imports/{id}/rows/", "POST /api/v1/imports/{id}/rows/{row_id}/decision/",
                "POST /api/v1/imports/{id}/approve/", "POST /api/v1/imports/{id}/continue/",
                "POST /api/v1/imports/{id}/refuse/"],
    "import_files": ["GET /api/v1/imports/template.xlsx", "GET /api/v1/imports/{id}/errors.xlsx"],
}


def undocumented_keys(body, schema: dict, components: dict, where: str = "") -> list[str]:
    """Keys of the body the schema does not name (the document allows extra keys, a client cannot know them)."""
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            return min((undocumented_keys(body, option, components, where) for option in schema[keyword]), key=len)
    if "allOf" in schema:
        return [key for part in schema["allOf"] for key in undocumented_keys(body, part, components, where)]
    if isinstance(body, list) and "items" in schema:
        return [key for item in body for key in undocumented_keys(item, schema["items"], components, where + "[]")]
    if isinstance(body, dict) and "properties" in schema:
        extra = [f"{where}.{key}" for key in body if key not in schema["properties"]]
        return extra + [key for name, value in body.items() if name in schema["properties"]
                        for key in undocumented_keys(value, schema["properties"][name], components,
                                                     f"{where}.{name}")]
    return []


class Contract:
    """Calls operations of the document as a user and holds each answer to the document."""

    def __init__(self, schema):
        self.schema = schema
        self.answered: set[str] = set()

    def documented_body(self, template: str, method: str, status: int) -> dict:
        responses = self.schema.raw_schema["paths"][template][method.lower()]["responses"]
        return responses[str(status)]["content"]["application/json"]["schema"]

    def __call__(self, user, label: str, *, path=None, query=None, body=None, headers=None, media_type=None,
                 status: int | None = None):
        method, template = label.split(" ", 1)
        operation = self.schema[template][method]
        extra = {"body": body} if body is not None else {}
        if body is not None and media_type is None:
            media_type = "application/json"
        case = operation.Case(path_parameters=path or {}, query=query, headers=headers, media_type=media_type,
                              **extra)
        auth = {"Authorization": f"Token {api_token_key(user)}"} if user else {}
        response = case.call(headers=auth)
        assert 200 <= response.status_code < 300, (label, response.status_code, response.content[:800])
        if status is not None:
            assert response.status_code == status, (label, response.status_code)
        case.validate_response(response, checks=CHECKS)
        self.answered.add(label)
        content_type = response.headers.get("content-type", [""])
        if "json" in (content_type[0] if isinstance(content_type, list) else content_type):
            body = json.loads(response.content)
            components = self.schema.raw_schema["components"]["schemas"]
            documented = self.documented_body(template, method, response.status_code)
            assert not undocumented_keys(body, documented, components), (label, undocumented_keys(
                body, documented, components))
            return body
        return response


@pytest.fixture
def contract():
    with connection_kept_across_requests():
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application,
                                                headers={"Accept": "application/vnd.oai.openapi+json"})
        yield Contract(schema)


def test_the_stages_cover_every_operation_of_the_document_once(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    documented = [f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")]
    covered = [label for labels in STAGES.values() for label in labels]

    assert sorted(covered) == sorted(documented)


def test_reference_data_and_notifications_answer_as_documented(contract, caseworker, supervisor, tij, caravan, db):
    from tests.factories import PASSWORD
    from tests.mfa_steps import current_code, enrolled

    caseworker.set_password("s3cret-pass")
    caseworker.save()
    Institution.objects.create(name="Servicio Nacional de Empleo", country="HN", services=["employment"])
    enrolled(supervisor)

    contract(None, "POST /api/v1/auth/token/", body={"username": caseworker.username, "password": "s3cret-pass"})
    contract(None, "POST /api/v1/auth/token/", body={"username": supervisor.username, "password": PASSWORD,
                                                     "otp": current_code(supervisor)})
    contract(caseworker, "GET /api/v1/offices/")
    contract(caseworker, "GET /api/v1/offices/{code}/", path={"code": "TIJ"})
    contract(caseworker, "GET /api/v1/programmes/")
    contract(caseworker, "GET /api/v1/programmes/{code}/", path={"code": caravan.code})
    contract(caseworker, "GET /api/v1/institutions/")
    contract(caseworker, "GET /api/v1/notifications/")
    contract(caseworker, "POST /api/v1/notifications/read/")
    tokens = contract(caseworker, "GET /api/v1/auth/tokens/")["results"]
    contract(caseworker, "DELETE /api/v1/auth/tokens/{public_id}/", path={"public_id": tokens[-1]["id"]}, status=204)
    contract(caseworker, "DELETE /api/v1/auth/tokens/", status=204)

    assert contract.answered == set(STAGES["reference"])


def registration_body(programme, number: str) -> dict:
    return {"programme": programme.code, "destination_country": "HN", "consent": {"type": "explicit"},
            "how_heard": "booth_outreach", "intake_date": str(timezone.localdate()), "members": [
                {"given_names": "Ana Lucía", "family_names": "Reyes Paz", "sex": "female",
                 "date_of_birth": "1991-05-02", "nationality": "HN", "document_type": "passport",
                 "document_number": number, "place_of_origin": "Choloma"},
                {"given_names": "Jorge", "family_names": "Mejía Cruz", "sex": "male", "date_of_birth": "1988-01-20",
                 "nationality": "HN", "relationship": "spouse", "place_of_origin": "Choloma"}]}


def test_registration_answers_as_documented(contract, caseworker, tij, caravan):
    case = contract(caseworker, "POST /api/v1/cases/", body=registration_body(caravan, "H0001"), status=201)
    twin = contract(caseworker, "POST /api/v1/cases/", body=registration_body(caravan, "H0002"), status=201)
    ana, jorge = (m["id"] for m in case["members"])
    contract(caseworker, "GET /api/v1/cases/")
    contract(caseworker, "GET /api/v1/cases/{id}/", path={"id": case["id"]})
    case = contract(caseworker, "PATCH /api/v1/cases/{id}/", path={"id": case["id"]},
                    body={"version": case["version"], "caseworker_notes": "Llegó con su esposo."})
    kevin = contract(caseworker, "POST /api/v1/cases/{id}/members/", path={"id": case["id"]}, status=201, body={
        "given_names": "Kevin", "family_names": "Mejía Reyes", "sex": "male", "date_of_birth": "2017-07-09",
        "nationality": "HN", "relationship": "child", "place_of_origin": "Choloma"})
    version = contract(caseworker, "GET /api/v1/cases/{id}/", path={"id": case["id"]})["version"]
    contract(caseworker, "PATCH /api/v1/members/{id}/", path={"id": kevin["id"]},
             body={"version": version, "place_of_origin": "Choloma"})
    version = contract(caseworker, "GET /api/v1/cases/{id}/", path={"id": case["id"]})["version"]
    contract(caseworker, "POST /api/v1/cases/{id}/principal/", path={"id": case["id"]}, body={
        "member": jorge, "relationships": {str(ana): "spouse", str(kevin["id"]): "child"}, "version": version})
    contract(caseworker, "POST /api/v1/cases/{id}/members/{member_id}/split/",
             path={"id": case["id"], "member_id": ana}, body={"withdraw": False, "note": "Viaja más tarde."},
             status=201)
    contract(caseworker, "GET /api/v1/cases/{id}/events/", path={"id": case["id"]})
    twin_ana = twin["members"][0]["id"]
    candidate = next(c for c in twin["possible_duplicates"] if c["for_member"] == twin_ana)
    contract(caseworker, "POST /api/v1/members/{id}/duplicate-decisions/", path={"id": twin_ana},
             body={"candidate": candidate["member_id"], "decision": "different"}, status=201)

    assert contract.answered == set(STAGES["registration"])


def test_screening_and_approval_answer_as_documented(contract, caseworker, supervisor, tij, caravan):
    case = family(actor=caseworker, programme=caravan, office=tij)
    ana, jorge, kevin = case.members.order_by("id")
    girl = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij)
    dayana = girl.members.get()
    day = str(case.intake_date + timedelta(days=1))

    contract(caseworker, "POST /api/v1/cases/{id}/counselling-sessions/", path={"id": case.pk}, status=201, body={
        "held_on": day, "language": "español", "topics": ["country_situation", "alternatives", "consequences",
                                                          "assistance"], "outcome": "wishes_to_return"})
    contract(caseworker, "GET /api/v1/cases/{id}/counselling-sessions/", path={"id": case.pk})
    for member in (ana, jorge, kevin):
        contract(caseworker, "PUT /api/v1/members/{id}/screening/", path={"id": member.pk}, body={
            "protection": {"fear_of_return": member == jorge, "screened_on": day},
            "vulnerabilities": [{"kind": "single_parent", "severity": "low"}] if member == ana else []})
    contract(caseworker, "GET /api/v1/members/{id}/screening/", path={"id": ana.pk})
    contract(supervisor, "POST /api/v1/members/{id}/protection-flag/resolve/", path={"id": jorge.pk},
             body={"note": "Entrevista de protección: no teme regresar."})
    scanned = contract(caseworker, "POST /api/v1/members/{id}/declarations/", path={"id": ana.pk}, status=201,
                       media_type="multipart/form-data",
                       body={"signed_on": day, "witness": "Sor Juana", "scan": PDF})
    contract(caseworker, "POST /api/v1/members/{id}/declarations/", path={"id": jorge.pk}, status=201,
             body={"signed_on": day, "witness": "Sor Juana"})
    contract(caseworker, "GET /api/v1/members/{id}/declarations/", path={"id": ana.pk})
    contract(caseworker, "GET /api/v1/declarations/{id}/scan/", path={"id": scanned["id"]})
    contract(caseworker, "POST /api/v1/members/{id}/consents/", path={"id": ana.pk}, status=201,
             body={"scope": "follow_up", "type": "explicit", "given_on": day})
    extra = contract(caseworker, "POST /api/v1/members/{id}/consents/", path={"id": jorge.pk}, status=201,
                     body={"scope": "follow_up", "type": "explicit", "given_on": day})
    contract(caseworker, "GET /api/v1/members/{id}/consents/", path={"id": ana.pk})
    contract(caseworker, "POST /api/v1/consents/{id}/withdraw/", path={"id": extra["id"]})
    contract(caseworker, "GET /api/v1/cases/{id}/checklist/", path={"id": case.pk})
    contract(caseworker, "GET /api/v1/cases/{id}/declaration.pdf", path={"id": case.pk}, query={"member": ana.pk})
    contract(caseworker, "PUT /api/v1/members/{id}/best-interests/", path={"id": dayana.pk}, body={
        "version": 1, "responsible_authority": "DIF Tijuana", "guardian_name": "PPNNA", "child_views": "Volver",
        "options_considered": "Retorno", "family_tracing_result": "Abuela en Choloma", "outcome": "return",
        "decided_on": str(girl.intake_date), "guardian_consent": True, "guardian_consent_on": str(girl.intake_date)})
    contract(caseworker, "GET /api/v1/members/{id}/best-interests/", path={"id": dayana.pk})
    contract(caseworker, "POST /api/v1/cases/{id}/transitions/", path={"id": case.pk},
             body={"to": "pending_approval"})
    contract(supervisor, "POST /api/v1/cases/bulk-approval/", body={"cases": [case.pk]})
    contract(caseworker, "POST /api/v1/declarations/{id}/withdraw/", path={"id": scanned["id"]},
             body={"reason": "Cambió de opinión."})

    assert contract.answered == set(STAGES["screening"])


def test_transfers_and_documents_answer_as_documented(contract, caseworker, outsider, supervisor, tij, tap, caravan,
                                                     settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    case = family(actor=caseworker, programme=caravan, office=tij)
    ana = case.members.order_by("id").first()

    document = contract(caseworker, "POST /api/v1/cases/{id}/documents/", path={"id": case.pk}, status=201,
                        media_type="multipart/form-data",
                        body={"kind": "identity_document", "member": ana.pk, "file": PDF, "note": "pasaporte"})
    contract(caseworker, "GET /api/v1/cases/{id}/documents/", path={"id": case.pk})
    contract(caseworker, "GET /api/v1/cases/{id}/documents/{document_id}/",
             path={"id": case.pk, "document_id": document["id"]})
    contract(caseworker, "POST /api/v1/cases/{id}/documents/{document_id}/delete/", status=204,
             path={"id": case.pk, "document_id": document["id"]}, body={"reason": "era de otra persona"})
    case.refresh_from_db()
    moved = contract(supervisor, "POST /api/v1/cases/{id}/transfers/", path={"id": case.pk}, status=201, body={
        "kind": "transfer", "office": tap.pk, "caseworker": outsider.pk, "reason": "se mudó", "version": case.version})
    listed = contract(supervisor, "GET /api/v1/cases/{id}/transfers/", path={"id": case.pk})

    assert moved["to_office"] == "TAP" and [row["id"] for row in listed] == [moved["id"]]
    assert contract.answered == set(STAGES["casework"])


def test_the_member_export_answers_as_documented_as_json_and_as_pdf(contract, caseworker, tij, caravan):
    case = family(actor=caseworker, programme=caravan, office=tij)
    ana = case.members.order_by("id").first()
    screen(ana, caseworker)

    exported = contract(caseworker, "GET /api/v1/members/{id}/export/", path={"id": ana.pk})
    pdf = contract(caseworker, "GET /api/v1/members/{id}/export/", path={"id": ana.pk}, query={"format": "pdf"})

    assert exported["member"]["id"] == ana.pk and pdf.content.startswith(b"%PDF")

    kevin = case.members.get(given_names="Kevin")
    erasure = "POST /api/v1/members/{id}/erasure-requests/"
    dry = contract(caseworker, erasure, path={"id": kevin.pk}, query={"dry_run": "1"},
                   body={"reason": "No quiere que guarden sus datos"}, status=200)
    done = contract(caseworker, erasure, path={"id": kevin.pk}, body={"reason": "No quiere que guarden sus datos"},
                    status=201)
    refused = contract(caseworker, erasure, path={"id": ana.pk}, body={"reason": "Pide borrar sus datos"},
                       status=201)
    listed = contract(caseworker, "GET /api/v1/members/{id}/erasure-requests/", path={"id": kevin.pk})

    assert dry["id"] is None and done["certificate"]["run_id"] and refused["refusal_code"] == "principal_of_open_case"
    assert [r["status"] for r in listed] == ["completed"]
    assert contract.answered == set(STAGES["rights"])


def test_movements_answer_as_documented(contract, caseworker, supervisor, movement_officer, caravan, tij, sps):
    the_family = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    ana = the_family.members.order_by("id").first()
    documents_ready(the_family, movement_officer)
    departure = timezone.now() + timedelta(days=3)

    contract(movement_officer, "POST /api/v1/members/{id}/travel-documents/", path={"id": ana.pk}, status=201, body={
        "type": "passport", "number": "P123456", "issuing_consulate": "Consulado de Honduras en Tijuana",
        "requested_on": str(timezone.localdate()), "status": "requested"})
    contract(movement_officer, "GET /api/v1/members/{id}/travel-documents/", path={"id": ana.pk})
    bus = contract(movement_officer, "POST /api/v1/movements/", status=201, body={
        "mode": "bus", "carrier": "Transportes del Pacífico", "departure_office": "TIJ",
        "departure_place": "Garita El Chaparral", "departure_at": departure.isoformat(), "reception_centre": "HN-SPS",
        "capacity": 40, "legs": [{"crossing_point": "Tecún Umán", "expected_at": (departure + timedelta(days=2))
                                  .isoformat()}]})
    path = {"id": bus["id"]}
    contract(movement_officer, "GET /api/v1/movements/")
    contract(movement_officer, "GET /api/v1/movements/{id}/", path=path)
    contract(movement_officer, "PATCH /api/v1/movements/{id}/", path=path,
             body={"version": bus["version"], "vehicle": "Autobús 14"})
    contract(movement_officer, "POST /api/v1/movements/{id}/escorts/", path=path, status=201,
             body={"name": "Lucía Gómez", "kind": "child", "phone": "+52 664 000 0000"})
    contract(movement_officer, "POST /api/v1/movements/{id}/bookings/", path=path, body={"case": the_family.pk},
             status=201)
    contract(movement_officer, "DELETE /api/v1/movements/{id}/bookings/{case_id}/",
             path={"id": bus["id"], "case_id": the_family.pk})
    contract(movement_officer, "POST /api/v1/movements/{id}/bookings/", path=path, body={"case": the_family.pk})
    build = contract(movement_officer, "GET /api/v1/movements/{id}/manifest.pdf", path=path, status=202)
    build_path = {"id": bus["id"], "build_id": build["id"]}
    contract(movement_officer, "GET /api/v1/movements/{id}/manifest-builds/{build_id}/", path=build_path)
    manifest_build_run(build["id"])  # what the worker does once the request commits
    assert contract(movement_officer, "GET /api/v1/movements/{id}/manifest-builds/{build_id}/",
                    path=build_path)["status"] == "ready"
    for kind in ("pdf", "csv", "xlsx"):
        contract(movement_officer, f"GET /api/v1/movements/{{id}}/manifest.{kind}", path=path, status=200)
    contract(movement_officer, "POST /api/v1/movements/{id}/transitions/", path=path, body={"to": "confirmed"})
    contract(movement_officer, "POST /api/v1/movements/{id}/border-support/", path=path, status=201, body={
        "crossing_point": "Tecún Umán", "kind": "water", "count": 3, "given_at": timezone.now().isoformat()})

    assert contract.answered == set(STAGES["travel"])


def test_reception_answers_as_documented(contract, caseworker, supervisor, movement_officer, reception, caravan, tij,
                                         sps):
    from reception.services import referral_consent_record
    from screening.services import member_consent_record

    the_family = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    ana = the_family.members.order_by("id").first()
    member_consent_record(actor=caseworker, member_id=ana.pk, data={"scope": "follow_up", "type": "explicit",
                                                                    "given_on": timezone.localdate()})
    girl = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij)
    for case in (the_family, girl):
        documents_ready(case, movement_officer)
    bus = convoy(movement_officer, tij, sps)
    from travel import services as travel_services
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, movement_officer, [the_family, girl])
    employment = Institution.objects.create(name="Servicio Nacional de Empleo", country="HN",
                                            municipality="San Pedro Sula", services=["employment"])
    referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")

    for member in [*the_family.members.all(), *girl.members.all()]:
        contract(reception, "POST /api/v1/movements/{id}/check-ins/", path={"id": bus.pk}, body={"member": member.pk},
                 status=201)
    contract(reception, "POST /api/v1/members/{id}/handover/", path={"id": girl.members.get().pk}, status=201, body={
        "authority": "dinaf", "official_name": "Licda. Karla Mejía", "official_position": "Oficial de protección",
        "handed_over_at": timezone.now().isoformat(), "goes_to": "family", "goes_to_name": "Abuela materna"})
    contract(reception, "POST /api/v1/members/{id}/assistance/", path={"id": ana.pk}, status=201,
             headers={"Idempotency-Key": "food-ana-1"}, body={"kind": "food"})
    referral = contract(reception, "POST /api/v1/referrals/", status=201, body={
        "member": ana.pk, "institution": employment.pk, "service": "employment",
        "due_on": str(timezone.localdate() + timedelta(days=14))})
    contract(reception, "PATCH /api/v1/referrals/{id}/", path={"id": referral["id"]},
             body={"status": "accepted", "version": referral["version"]})
    from reception.models import FollowUp
    call = FollowUp.objects.create(member=ana, due_on=timezone.localdate(), opens_on=timezone.localdate(),
                                   status="due")
    contract(reception, "GET /api/v1/follow-ups/", query={"tab": "due"})
    contract(reception, "POST /api/v1/follow-ups/{id}/attempts/", path={"id": call.pk}, status=201,
             headers={"Idempotency-Key": "call-ana-1"},
             body={"channel": "phone", "outcome": "call_back", "version": call.version,
                   "call_back_on": str(timezone.localdate() + timedelta(days=2))})
    contract(reception, "POST /api/v1/members/{id}/follow-ups/", path={"id": ana.pk}, status=201, body={
        "reached": True, "safe": True, "working": False, "needs": "Empleo", "intends_to_migrate_again": False})

    assert contract.answered == set(STAGES["reception"])


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_reports_answer_as_documented(contract, supervisor, caravan, fmt, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = contract(supervisor, "POST /api/v1/reports/", status=202, body={
            "kind": "donor", "programme": caravan.code, "period_start": "2018-11-01", "period_end": "2018-11-30",
            "format": fmt})
    report = contract(supervisor, "GET /api/v1/reports/{id}/", path={"id": report["id"]})
    assert report["status"] == "ready"
    contract(supervisor, "GET /api/v1/reports/{id}/download/", path={"id": report["id"]})

    assert contract.answered == set(STAGES["reports"])


def test_a_screening_read_before_anything_is_recorded_is_documented_with_nulls(contract, caseworker, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    screen(case.members.order_by("id").first(), caseworker)

    body = contract(caseworker, "GET /api/v1/members/{id}/screening/", path={"id": case.members.order_by("id")[1].pk})

    assert body["protection"] is None and body["fitness"] is None


def test_anonymisation_answers_as_documented(contract, caseworker, supervisor, caravan, tij):
    from cases.models import Case

    case = family(actor=caseworker, programme=caravan, office=tij)
    Case.objects.filter(pk=case.pk).update(status="withdrawn")

    dry = contract(supervisor, "POST /api/v1/cases/{id}/anonymise/", path={"id": case.pk}, query={"dry_run": "1"})
    done = contract(supervisor, "POST /api/v1/cases/{id}/anonymise/", path={"id": case.pk})

    assert dry["certificate"] is None and done["certificate"]["run_id"]
    assert contract.answered == set(STAGES["retention"])
def test_break_glass_answers_as_documented(contract, caseworker, other_supervisor, caravan, tij):
    from tests.factories import PASSWORD, household
    from tests.mfa_steps import current_code, enrolled

    case = household(actor=caseworker, programme=caravan, office=tij)

    contract(other_supervisor, "POST /api/v1/cases/{id}/break-glass/", path={"id": case.pk}, status=201,
             body={"reason": "Urgencia médica: la supervisora del caso no responde.", "password": PASSWORD})
    enrolled(other_supervisor)
    another = household(actor=caseworker, programme=caravan, office=tij)
    contract(other_supervisor, "POST /api/v1/cases/{id}/break-glass/", path={"id": another.pk}, status=201,
             body={"reason": "Urgencia médica: la supervisora del caso no responde.",
                   "otp": current_code(other_supervisor)})

    assert contract.answered == set(STAGES["break_glass"])


def test_offline_booth_sync_answers_as_documented(contract, caseworker, supervisor, tij, caravan):
    from cases.models import Member
    from sync.models import SyncConflict
    from tests.test_sync_api import sealed_export

    contract(caseworker, "GET /api/v1/sync/definitions/")
    tablet = contract(caseworker, "POST /api/v1/devices/", body={"label": "Tableta 1"}, status=201)
    contract(caseworker, "GET /api/v1/devices/")
    contract(caseworker, "GET /api/v1/devices/{id}/key/", path={"id": tablet["id"]})
    contract(caseworker, "POST /api/v1/devices/{id}/references/", path={"id": tablet["id"]}, status=201)
    register = {"id": "0192f0c4-0000-7000-8000-000000000001", "sequence": 1, "kind": "register",
                "form_version": "registration-1", "captured_at": "2026-12-01T10:00:00Z",
                "payload": {**registration_body(caravan, "H0001"),
                            "provisional_reference": f"{tablet['reference_block']['prefix']}0001"}}
    applied = contract(caseworker, "POST /api/v1/sync/", body={"device": tablet["id"], "pending": 1,
                                                               "operations": [register]})
    member = applied["results"][0]["case"]["members"][0]["id"]
    Member.objects.filter(pk=member).update(date_of_birth="1980-01-01")
    edit = {**register, "id": "0192f0c4-0000-7000-8000-000000000002", "sequence": 2, "kind": "member_edit",
            "payload": {"member": member, "base_version": 0, "base": {"date_of_birth": "1990-01-01"},
                        "changes": {"date_of_birth": "1991-01-01"}}}
    contract(caseworker, "POST /api/v1/sync/", body={"device": tablet["id"], "operations": [edit]})
    contract(caseworker, "GET /api/v1/sync/conflicts/")
    contract(caseworker, "POST /api/v1/sync/conflicts/{id}/resolve/", path={"id": SyncConflict.objects.get().pk},
             body={"choice": "server"})
    contract(supervisor, "POST /api/v1/devices/{id}/revoke/", path={"id": tablet["id"]}, body={"reason": "lost"})
    contract(supervisor, "POST /api/v1/sync/import/", media_type="multipart/form-data", body={
        "file": sealed_export(tablet, caseworker, [{**register, "id": "0192f0c4-0000-7000-8000-000000000003",
                                                    "sequence": 3}])})

    assert contract.answered == set(STAGES["sync"])


def test_bulk_import_answers_as_documented(contract, caseworker, supervisor, tij, caravan, settings, tmp_path,
                                           django_capture_on_commit_callbacks):
    from tests.import_steps import household_row, member_row, workbook_bytes

    settings.MEDIA_ROOT = tmp_path
    members = [member_row(1), member_row(2, doc="P0000001"), member_row(3, sex="robot")]
    with django_capture_on_commit_callbacks(execute=True):
        batch = contract(caseworker, "POST /api/v1/imports/", media_type="multipart/form-data", status=202, body={
            "file": workbook_bytes([household_row(n) for n in (1, 2, 3)], members), "programme": caravan.code,
            "office": tij.code})
    contract(caseworker, "GET /api/v1/imports/")
    assert contract(caseworker, "GET /api/v1/imports/{id}/", path={"id": batch["id"]})["status"] == "validated"
    duplicate = contract(caseworker, "GET /api/v1/imports/{id}/rows/", path={"id": batch["id"]},
                         query={"status": "duplicate"})["results"][0]
    contract(caseworker, "POST /api/v1/imports/{id}/rows/{row_id}/decision/",
             path={"id": batch["id"], "row_id": duplicate["id"]}, body={"decision": "skip"})
    with django_capture_on_commit_callbacks(execute=True):
        merged = contract(supervisor, "POST /api/v1/imports/{id}/approve/", path={"id": batch["id"]})
    assert merged["status"] == "merging"
    with django_capture_on_commit_callbacks(execute=True):
        again = contract(caseworker, "POST /api/v1/imports/", media_type="multipart/form-data", status=202, body={
            "file": workbook_bytes([household_row(1, notes="otra vez")], [member_row(1)]),
            "programme": caravan.code, "office": tij.code})
    contract(caseworker, "POST /api/v1/imports/{id}/continue/", path={"id": again["id"]})
    contract(supervisor, "POST /api/v1/imports/{id}/refuse/", path={"id": again["id"]},
             body={"reason": "Es la misma lista de ayer."})

    assert contract.answered == set(STAGES["imports"])


def test_the_import_files_answer_as_documented(contract, caseworker, tij, caravan, settings, tmp_path,
                                               django_capture_on_commit_callbacks):
    from tests.import_steps import household_row, member_row, workbook_bytes

    settings.MEDIA_ROOT = tmp_path
    contract(caseworker, "GET /api/v1/imports/template.xlsx", query={"programme": caravan.code, "language": "en"})
    with django_capture_on_commit_callbacks(execute=True):
        batch = contract(caseworker, "POST /api/v1/imports/", media_type="multipart/form-data", status=202, body={
            "file": workbook_bytes([household_row(1), household_row(2)], [member_row(1), member_row(2, sex="robot")]),
            "programme": caravan.code, "office": tij.code})
    contract(caseworker, "GET /api/v1/imports/{id}/errors.xlsx", path={"id": batch["id"]})

    assert contract.answered - {"POST /api/v1/imports/"} == set(STAGES["import_files"])
