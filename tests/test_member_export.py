"""A member's right of access: everything held about them, as JSON and a bilingual PDF, through the field policy."""

import io
import json
from datetime import date

import pypdf
import pytest
from django.urls import reverse

from accounts.choices import Role
from accounts.models import User
from audit.models import AuditEvent
from screening import services as screening
from screening.models import ProtectionScreening
from tests.conftest import api_as
from tests.test_consent_withdrawal import employment_service, returned_with_a_call
from tests.factories import staff
from tests.screening_steps import counsel, declare, family, screen

pytestmark = pytest.mark.django_db

NARRATIVE = "Amenazado por la pandilla del barrio"
MEDICAL_DETAIL = "Hipertensión controlada"
SECTIONS = {"format_version", "exported_at", "exported_by", "member", "household", "consents",
            "counselling_sessions", "protection_screening", "vulnerabilities", "fitness_to_travel", "best_interests",
            "declarations", "protection_referrals", "travel_documents", "bookings", "check_ins", "handover",
            "assistance", "referrals", "follow_ups", "follow_up_attempts", "follow_up_answers",
            "follow_up_flags", "safeguarding_tasks", "documents", "case_events", "audit_trail", "audit_trail_truncated"}


@pytest.fixture
def case(caseworker, caravan, tij):
    """A family of Tijuana; Ana Lucía screened with a protection narrative and a medical detail, and her consents."""
    case = family(actor=caseworker, programme=caravan, office=tij)
    counsel(case, caseworker)
    ana = case.members.get(given_names="Ana Lucía")
    for member in case.members.all():
        screen(member, caseworker)
    cleared = staff("sup_cleared", Role.SUPERVISOR, programme=caravan, country="MX")
    cleared.is_protection_cleared = cleared.is_medical_cleared = True
    cleared.save()
    screening.member_screening_save(
        actor=cleared, member_id=ana.pk, expected_version=ProtectionScreening.objects.get(member=ana).version,
        protection={"fear_of_return": False, "narrative": NARRATIVE, "screened_on": date(2018, 11, 22)},
        vulnerabilities=[{"kind": "single_parent", "severity": "low", "note": ""}],
        fitness={"outcome": "fit", "assessed_on": date(2018, 11, 22), "clinician": "Dra. Ruiz",
                 "detail": MEDICAL_DETAIL})
    declare(ana, caseworker)
    screening.member_consent_record(actor=caseworker, member_id=ana.pk, data={
        "scope": "follow_up", "type": "explicit", "given_on": date(2018, 11, 22)})
    return case


@pytest.fixture
def returned(caseworker, supervisor, movement_officer, reception, caravan, tij, sps):
    return returned_with_a_call(caseworker, supervisor, movement_officer, reception, caravan, tij, sps)


@pytest.fixture
def employment(db):
    return employment_service()


@pytest.fixture
def ana(case):
    return case.members.get(given_names="Ana Lucía")


def export_of(user, member, **query):
    return api_as(user).get(f"/api/v1/members/{member.pk}/export/", query)


def exports_of(member):
    return AuditEvent.objects.filter(action="export", object_type="cases.member", object_id=str(member.pk))


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_a_caseworker_of_the_case_exports_every_section_held_about_the_member(caseworker, ana):
    response = export_of(caseworker, ana)

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert set(data) == SECTIONS
    assert data["member"]["given_names"] == "Ana Lucía" and data["member"]["document_number"]
    assert data["household"]["reference"] == ana.case.reference and data["household"]["status"] == "screening"
    assert [c["scope"] for c in data["consents"]] == ["collection", "follow_up"]
    assert data["counselling_sessions"][0]["outcome"] == "wishes_to_return"
    assert data["protection_screening"][0]["fear_of_return"] is False
    assert [v["kind"] for v in data["vulnerabilities"]] == ["single_parent"]
    assert data["fitness_to_travel"][0]["clinician"] == "Dra. Ruiz"
    assert data["declarations"][0]["witness"] == "Sor Juana Inés"
    assert data["case_events"][0]["to_status"] == "registered"
    trail = {(line["actor"], line["action"], line["record"]) for line in data["audit_trail"]}
    assert ("cw_tij", "insert", "cases_member") in trail and ("cw_tij", "insert", "screening_declaration") in trail
    assert all(set(line) == {"at", "actor", "action", "record"} for line in data["audit_trail"])


def test_the_export_holds_nothing_about_the_other_members_of_the_household(caseworker, ana):
    text = export_of(caseworker, ana).content.decode()

    assert "Mejía Cruz" not in text and "Jorge" not in text and "Kevin" not in text


def test_a_caseworker_without_clearance_sees_held_not_shown_for_the_narrative_and_the_medical_detail(caseworker,
                                                                                                   ana):
    data = export_of(caseworker, ana).json()

    screening_row, fitness = data["protection_screening"][0], data["fitness_to_travel"][0]
    assert screening_row["narrative"] is None and screening_row["withheld"] == ["narrative"]
    assert fitness["detail"] is None and fitness["withheld"] == ["detail"]
    assert NARRATIVE not in json.dumps(data) and MEDICAL_DETAIL not in json.dumps(data)


def test_a_protection_cleared_supervisor_reads_the_narrative_but_not_the_medical_detail(supervisor, ana):
    supervisor.is_protection_cleared = True
    supervisor.save()

    data = export_of(supervisor, ana).json()

    assert data["protection_screening"][0]["narrative"] == NARRATIVE
    assert data["protection_screening"][0]["withheld"] == []
    assert data["fitness_to_travel"][0]["withheld"] == ["detail"]


def test_a_caseworker_of_another_booth_gets_404_and_no_export_is_written(outsider, ana):
    response = export_of(outsider, ana)
    missing = api_as(outsider).get("/api/v1/members/999999/export/")

    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert missing.status_code == 404
    assert not exports_of(ana).exists()


def test_every_export_is_audited_with_the_member_id(caseworker, ana):
    export_of(caseworker, ana)
    export_of(caseworker, ana, format="pdf")

    lines = list(exports_of(ana).order_by("id"))
    assert [(line.actor_id, line.object_ids, line.reason) for line in lines] == [
        (caseworker.pk, [ana.pk], "member data export (json)"), (caseworker.pk, [ana.pk], "member data export (pdf)")]


def test_the_pdf_is_a_pdf_with_every_heading_in_spanish_and_english(caseworker, ana):
    by_query = export_of(caseworker, ana, format="pdf")
    by_accept = api_as(caseworker).get(f"/api/v1/members/{ana.pk}/export/", HTTP_ACCEPT="application/pdf")

    assert by_query.status_code == 200 and by_query["Content-Type"] == "application/pdf"
    assert by_query.content.startswith(b"%PDF") and by_accept.content.startswith(b"%PDF")
    text = pdf_text(by_query.content)
    for heading in ("Datos personales que tenemos sobre usted", "Personal data held about you",
                    "Datos personales", "Personal details", "Consentimientos", "Consents",
                    "Quién leyó o cambió sus datos", "Who read or changed your data"):
        assert heading in text, heading
    assert "Registrado, no visible para su función" in text and "Held, not shown to your role" in text
    assert "Ana Lucía" in text and NARRATIVE not in text


def test_an_unknown_format_is_refused_with_a_clear_message_and_no_export_is_written(caseworker, ana):
    response = export_of(caseworker, ana, format="xml")

    assert response.status_code == 400
    assert response.json()["fields"] == {"format": ["Elija json o pdf."]}
    assert not exports_of(ana).exists()


def signed_in(client, user):
    """The client as `user`, reading the pages in English so the labels can be quoted."""
    User.objects.filter(pk=user.pk).update(language="en")
    client.force_login(user)
    return client


def test_the_case_page_offers_each_members_export_and_the_button_downloads_the_pdf(client, caseworker, case, ana):
    signed_in(client, caseworker)

    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    download = client.get(reverse("member_export", args=[case.pk, ana.pk]))
    as_json = client.get(reverse("member_export", args=[case.pk, ana.pk]), {"format": "json"})

    for member in case.members.all():
        assert reverse("member_export", args=[case.pk, member.pk]) in page
    assert f'data-testid="export-member-{ana.pk}"' in page and "Export this person" in page
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert as_json.json()["member"]["id"] == ana.pk
    assert exports_of(ana).count() == 2


def test_the_page_door_answers_404_outside_the_case_and_for_a_member_of_another_case(client, outsider, caseworker,
                                                                                  case, ana, caravan, tij):
    other = family(actor=caseworker, programme=caravan, office=tij)

    outside = signed_in(client, outsider).get(reverse("member_export", args=[case.pk, ana.pk]))
    mismatched = signed_in(client, caseworker).get(reverse("member_export", args=[other.pk, ana.pk]))

    assert outside.status_code == 404 and mismatched.status_code == 404
    assert not exports_of(ana).exists()


def test_an_arrived_members_export_holds_the_journey_and_the_reception_records_in_both_formats(
        caseworker, reception, returned, employment):
    from decimal import Decimal

    from reception.services import assistance_give, referral_consent_record, referral_create

    ana = returned.members.get(given_names="Ana Lucía")
    referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    referral_create(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    assistance_give(actor=reception, member_id=ana.pk, kind="transport_money", request_key="k-1",
                    amount=Decimal("500.00"), currency="HNL")

    data = export_of(caseworker, ana).json()
    pdf = export_of(caseworker, ana, format="pdf")

    assert [d["status"] for d in data["travel_documents"]] == ["ready"]
    assert data["bookings"][0]["status"] == "boarded" and data["bookings"][0]["boarded_at"]
    assert data["check_ins"][0]["arrived"] is True
    assert (data["assistance"][0]["amount"], data["assistance"][0]["currency"]) == ("500.00", "HNL")
    assert data["referrals"][0]["institution"] == "Servicio Nacional de Empleo de Honduras"
    assert [f["cancelled_on"] for f in data["follow_ups"]] == [None]
    assert [c["scope"] for c in data["consents"]] == ["collection", "follow_up", "sharing"]
    text = pdf_text(pdf.content)
    assert "Dinero para transporte" in text and "Transport money" in text and "Empleo" in text


def test_staff_who_see_the_case_in_another_role_are_refused_the_export(reception, returned):
    ana = returned.members.get(given_names="Ana Lucía")

    response = export_of(reception, ana)

    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not exports_of(ana).exists()


def test_a_long_audit_trail_is_cut_in_the_pdf_and_says_so(caseworker, ana):
    AuditEvent.objects.bulk_create([AuditEvent(actor=caseworker, actor_username="cw_tij", action="view",
                                               object_type="cases.member", object_id=str(ana.pk))
                                    for _ in range(201)])

    data = export_of(caseworker, ana).json()
    text = pdf_text(export_of(caseworker, ana, format="pdf").content)

    assert len(data["audit_trail"]) > 201 and data["audit_trail_truncated"] is False
    assert "Only the newest lines are shown here" in text and "Aquí solo se muestran las líneas más recientes" in text
