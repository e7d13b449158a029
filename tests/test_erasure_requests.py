"""A member's erasure request: their own records overwritten through the case's anonymisation plan, or the request
refused on a recorded legal ground; either way kept and audited, and the household and donor reports untouched."""

import os
import threading
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts.middleware import LANGUAGE
from audit.models import AuditEvent, CaseKey
from audit.services import audit_values_read
from cases.models import Case, DuplicateDecision, Member
from reception.models import Referral
from retention.models import ErasureCertificate, LegalHold
from retention.plan import MARKER
from rights.models import ErasureRequest
from rights.services import member_erasure_request
from screening.models import Declaration, ProtectionReferral, ProtectionScreening, Vulnerability
from tests.conftest import api_as
from tests.screening_steps import family
from tests.test_reports import returned  # noqa: F401  (the report test's dataset, as a fixture)
from tests.test_retention_anonymise import PDF, personal, places_holding, report_numbers  # noqa: F401
from travel import services as travel_services
from travel.models import Booking, Movement

pytestmark = pytest.mark.django_db

REASON = "No quiere que la agencia guarde sus datos"
JORGES_NOTE = "Tatuaje de un águila en el brazo"


def speaking(client, user, language: str) -> None:
    """Signed in as `user`, reading pages in `language` (the session keeps the language chosen)."""
    client.force_login(user)
    session = client.session
    session[LANGUAGE] = language
    session.save()


def erase(actor, member, reason=REASON, **kwargs):
    return member_erasure_request(actor=actor, member_id=member.pk, reason=reason, **kwargs)


@pytest.fixture
def arrived(personal, movement_officer):  # noqa: F811
    """The report's family and girl, received and closed, their bus arrived; the father with a phone, a scanned
    declaration, a vulnerability note and a duplicate decision about him."""
    the_family, girl, _ = personal
    for movement in Movement.objects.all():
        travel_services.movement_transition(actor=movement_officer, movement_id=movement.pk, to="arrived")
    jorge = the_family.members.get(given_names="Jorge")
    Member.objects.filter(pk=jorge.pk).update(phone="+504 3311 2299")
    Vulnerability.objects.filter(member=jorge).update(note=JORGES_NOTE)
    declaration = Declaration.objects.filter(member=jorge).first()
    declaration.scan.save("firma-jorge.pdf", ContentFile(PDF), save=True)
    DuplicateDecision.objects.create(member=jorge, candidate=girl.members.get(), decision="different",
                                     decided_by=the_family.created_by)
    return the_family, girl, jorge, declaration


def secrets_of(member) -> list[str]:
    member = Member.objects.get(pk=member.pk)
    values = [member.given_names, member.family_names, member.phone, JORGES_NOTE,
              *member.travel_documents.values_list("number", flat=True)]
    return [v for v in values if v]


def household_rows(case, but):
    return list(Member.objects.filter(case=case).exclude(pk=but.pk).order_by("pk").values())


def test_an_erasure_leaves_none_of_the_members_values_anywhere_and_the_household_as_it_was(arrived, supervisor):
    the_family, girl, jorge, declaration = arrived
    secrets = secrets_of(jorge)
    assert {value for _, _, value in places_holding(secrets)} == set(secrets)  # the search finds them before
    others, girls = household_rows(the_family, jorge), list(Member.objects.filter(case=girl).values())
    notes, scan_path = Case.objects.get(pk=the_family.pk).caseworker_notes, declaration.scan.path
    version = Case.objects.get(pk=the_family.pk).version

    outcome = erase(supervisor, jorge)

    assert outcome.status == "completed" and outcome.refusal_code == ""
    assert places_holding(secrets) == []
    erased = Member.objects.get(pk=jorge.pk)
    assert (erased.given_names, erased.family_names, erased.phone, erased.place_of_origin) == (MARKER, MARKER, "",
                                                                                                 "HN")
    assert erased.date_of_birth == date(1988, 1, 1) and erased.erased_at is not None
    declaration.refresh_from_db()
    assert declaration.scan.name == "" and not os.path.exists(scan_path)
    assert not DuplicateDecision.objects.exists()
    assert household_rows(the_family, jorge) == others  # the mother and the son untouched
    assert list(Member.objects.filter(case=girl).values()) == girls
    case = Case.objects.get(pk=the_family.pk)
    assert case.caseworker_notes == notes and case.anonymised_at is None and case.version == version + 1
    assert CaseKey.objects.get(case_id=the_family.pk).key is not None  # it protects the rest of the household


def test_a_completed_erasure_leaves_one_certificate_and_a_kept_audited_request(arrived, caseworker):
    the_family, _, jorge, _ = arrived

    outcome = erase(caseworker, jorge)

    request = ErasureRequest.objects.get()
    certificate = ErasureCertificate.objects.get()
    assert outcome.request == request and request.certificate == certificate
    assert (request.status, request.reason, request.requested_by, request.case) == (
        "completed", REASON, caseworker, the_family)
    assert certificate.policy == f"erasure request #{request.pk}" and certificate.case_ids == [the_family.pk]
    assert certificate.removed["cases.Member"]["rows"] == 1 and certificate.removed["files"] == 1
    assert certificate.removed["audit_keys"] == 0 and certificate.removed["members"] == [jorge.pk]
    assert "screening.CounsellingSession" not in certificate.removed  # the household's records stay
    line = AuditEvent.objects.get(action="erasure")
    assert (line.actor, line.object_type, line.object_id) == (caseworker, "cases.member", str(jorge.pk))
    with pytest.raises(DatabaseError), transaction.atomic():
        ErasureRequest.objects.filter(pk=request.pk).update(reason="otra cosa")


def test_the_erased_members_audit_values_no_longer_open_while_the_households_still_do(arrived, supervisor,
                                                                                       admin_user):
    the_family, _, jorge, _ = arrived
    ana = the_family.members.get(given_names="Ana Lucía")
    vulnerability = Vulnerability.objects.filter(member=jorge).first()
    his = [AuditEvent.objects.filter(object_type="cases_member", object_id=str(jorge.pk),
                                     changes__has_key="sealed").first(),
           AuditEvent.objects.filter(object_type="screening_vulnerability", object_id=str(vulnerability.pk),
                                     changes__has_key="sealed").first()]
    hers = AuditEvent.objects.filter(object_type="cases_member", object_id=str(ana.pk), action="insert",
                                     changes__has_key="sealed").first()
    reason = "checking an erasure request"
    assert all(audit_values_read(actor=admin_user, entry=line, reason=reason) for line in his)

    erase(supervisor, jorge)

    after = AuditEvent.objects.filter(object_type="cases_member", object_id=str(jorge.pk), action="update",
                                      changes__has_key="sealed").order_by("pk").last()  # the overwrite's
    for line in [*his, after]:
        assert audit_values_read(actor=admin_user, entry=line, reason=reason) is None
    assert audit_values_read(actor=admin_user, entry=hers, reason=reason)["after"]["given_names"] == "Ana Lucía"


def test_a_deleted_row_naming_the_erased_member_no_longer_opens_either(arrived, supervisor, admin_user):
    _, _, jorge, _ = arrived
    decision = DuplicateDecision.objects.get()
    reason = "checking an erasure request"
    inserted = AuditEvent.objects.get(object_type="cases_duplicatedecision", object_id=str(decision.pk),
                                      action="insert")
    assert audit_values_read(actor=admin_user, entry=inserted, reason=reason)["after"]["member_id"] == jorge.pk

    erase(supervisor, jorge)

    deleted = AuditEvent.objects.get(object_type="cases_duplicatedecision", object_id=str(decision.pk),
                                     action="delete")
    assert "sealed" in deleted.changes  # found only through the values naming him: the row is gone
    for line in (inserted, deleted):
        assert audit_values_read(actor=admin_user, entry=line, reason=reason) is None


def test_the_donor_report_gives_the_same_numbers_before_and_after(arrived, supervisor, caravan):
    the_family, girl, jorge, _ = arrived
    before = report_numbers(caravan)

    erase(supervisor, jorge)
    erase(supervisor, the_family.members.get(given_names="Ana Lucía"))  # the principal, of a closed case
    erase(supervisor, girl.members.get())

    assert Member.objects.filter(erased_at__isnull=False).count() == 3
    assert report_numbers(caravan) == before


def test_a_dry_run_says_what_would_go_and_writes_nothing(arrived, caseworker):
    _, _, jorge, declaration = arrived
    rows, lines = list(Member.objects.order_by("pk").values()), AuditEvent.objects.count()

    outcome = erase(caseworker, jorge, dry_run=True)

    assert outcome.dry_run and outcome.status == "completed" and outcome.request is None
    assert outcome.removed["cases.Member"] == {"rows": 1, "fields": outcome.removed["cases.Member"]["fields"]}
    assert "given_names" in outcome.removed["cases.Member"]["fields"] and outcome.removed["files"] == 1
    assert list(Member.objects.order_by("pk").values()) == rows
    assert not ErasureRequest.objects.exists() and not ErasureCertificate.objects.exists()
    assert AuditEvent.objects.count() == lines
    declaration.refresh_from_db()
    assert declaration.scan.name


def test_the_same_request_twice_is_refused_the_second_time_as_already_erased_with_one_certificate(arrived,
                                                                                                  caseworker):
    _, _, jorge, _ = arrived

    first, second = erase(caseworker, jorge), erase(caseworker, jorge)

    assert (first.status, second.status, second.refusal_code) == ("completed", "refused", "already_erased")
    assert ErasureCertificate.objects.count() == 1
    assert list(ErasureRequest.objects.order_by("pk").values_list("status", "refusal_code")) == [
        ("completed", ""), ("refused", "already_erased")]
    assert AuditEvent.objects.filter(action="erasure").count() == 2


# -- refusals on legal grounds -------------------------------------------------------------------------------------

@pytest.fixture
def registered(caseworker, caravan, tij):
    return family(actor=caseworker, programme=caravan, office=tij)


def kevin_of(case):
    return case.members.get(given_names="Kevin")


def with_legal_hold(case, user):
    LegalHold.objects.create(case=case, reason="Fiscalía: investigación abierta", placed_by=user)
    return kevin_of(case)


def with_protection_referral(case, user):
    ProtectionReferral.objects.create(case=case, referred_to="unhcr", referred_by=user)
    return kevin_of(case)


def with_fear_of_return(case, user):
    kevin = kevin_of(case)
    ProtectionScreening.objects.update_or_create(member=kevin, defaults={
        "fear_of_return": True, "screened_on": date(2018, 11, 20), "screened_by": user})
    return kevin


def anonymised(case, user):
    Case.objects.filter(pk=case.pk).update(anonymised_at=timezone.now())
    return kevin_of(case)


def principal(case, user):
    return case.members.get(relationship="principal")


@pytest.mark.parametrize("ground, code", [
    (anonymised, "already_erased"), (with_legal_hold, "legal_hold"),
    (with_protection_referral, "protection_referral"), (with_fear_of_return, "fear_of_return"),
    (principal, "principal_of_open_case"),
])
def test_each_legal_ground_refuses_records_audits_and_changes_nothing(registered, caseworker, ground, code):
    member = ground(registered, caseworker)
    rows = list(Member.objects.filter(case=registered).order_by("pk").values())

    outcome = erase(caseworker, member)

    assert (outcome.status, outcome.refusal_code) == ("refused", code)
    with translation.override("es"):
        spanish = ErasureRequest.objects.get().refusal_reason
    with translation.override("en"):
        english = ErasureRequest.objects.get().refusal_reason
    assert spanish and english and spanish != english  # the stored code, read in each reader's language
    request = ErasureRequest.objects.get()
    assert (request.status, request.refusal_code, request.certificate) == ("refused", code, None)
    assert AuditEvent.objects.filter(action="erasure", object_id=str(member.pk), reason__contains=code).exists()
    assert list(Member.objects.filter(case=registered).order_by("pk").values()) == rows
    assert not ErasureCertificate.objects.exists()


def test_a_member_on_a_movement_not_yet_arrived_is_refused_because_the_manifest_needs_them(returned, caseworker):  # noqa: F811
    the_family, _ = returned
    kevin = kevin_of(the_family)
    assert Booking.objects.filter(member=kevin, movement__status="departed").exists()

    outcome = erase(caseworker, kevin)

    assert outcome.refusal_code == "return_under_way"
    assert Member.objects.get(pk=kevin.pk).given_names == "Kevin"


def test_an_open_referral_to_a_protection_service_refuses_and_a_completed_one_does_not(returned, caseworker):  # noqa: F811
    the_family, _ = returned
    ana = the_family.members.get(given_names="Ana Lucía")
    Referral.objects.filter(member=ana).update(service="protection")

    assert erase(caseworker, ana).refusal_code == "protection_service_referral"
    Referral.objects.filter(member=ana).update(status="completed")
    assert erase(caseworker, ana).refusal_code == "return_under_way"  # the next ground, not this one


def test_a_child_of_an_open_case_with_no_ground_against_it_is_erased(registered, caseworker):
    kevin = kevin_of(registered)

    assert erase(caseworker, kevin).status == "completed"
    assert Member.objects.get(pk=kevin.pk).given_names == MARKER
    assert Member.objects.filter(case=registered, given_names="Ana Lucía").exists()


# -- who may ask, and bad input ------------------------------------------------------------------------------------

def test_a_caseworker_and_a_supervisor_of_the_case_may_ask_through_the_api(registered, caseworker, supervisor):
    kevin, jorge = kevin_of(registered), registered.members.get(given_names="Jorge")

    by_caseworker = api_as(caseworker).post(f"/api/v1/members/{kevin.pk}/erasure-requests/", {"reason": REASON},
                                            format="json")
    by_supervisor = api_as(supervisor).post(f"/api/v1/members/{jorge.pk}/erasure-requests/", {"reason": REASON},
                                            format="json")

    assert by_caseworker.status_code == by_supervisor.status_code == 201
    body = by_caseworker.json()
    assert (body["status"], body["member"], body["case"], body["dry_run"]) == ("completed", kevin.pk,
                                                                                registered.reference, False)
    assert body["certificate"]["run_id"] and body["removed"]["cases.Member"]["rows"] == 1
    assert body["id"] == ErasureRequest.objects.get(member=kevin).pk and body["requested_by"] == caseworker.username


def test_reception_staff_who_see_the_case_get_403_and_an_outsider_404_and_nothing_changes(
        returned, reception, outsider, movement_officer):  # noqa: F811
    the_family, _ = returned
    kevin = kevin_of(the_family)

    answers = [api_as(user).post(f"/api/v1/members/{kevin.pk}/erasure-requests/", {"reason": REASON},
                                 format="json").status_code for user in (reception, outsider, movement_officer)]
    listed = [api_as(user).get(f"/api/v1/members/{kevin.pk}/erasure-requests/").status_code
              for user in (reception, outsider)]

    assert answers[:2] == [403, 404] and answers[2] in (403, 404)
    assert listed == [403, 404]
    assert not ErasureRequest.objects.exists()
    assert Member.objects.get(pk=kevin.pk).given_names == "Kevin"


def test_an_unknown_member_is_404(caseworker, db):
    assert api_as(caseworker).post("/api/v1/members/999999/erasure-requests/", {"reason": REASON},
                                   format="json").status_code == 404


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  no  "}, {"reason": 42},
                                  {"reason": "x" * 3_000_000}, {"reason": "Quiere\x00borrar sus datos"}])
def test_a_missing_short_huge_or_nul_reason_is_a_structured_4xx_and_nothing_is_written(registered, caseworker,
                                                                                        body):
    kevin = kevin_of(registered)

    response = api_as(caseworker).post(f"/api/v1/members/{kevin.pk}/erasure-requests/", body, format="json")

    assert 400 <= response.status_code < 500
    assert {"code", "detail", "fields"} <= set(response.json())
    assert not ErasureRequest.objects.exists()
    assert Member.objects.get(pk=kevin.pk).given_names == "Kevin"


def test_an_api_dry_run_answers_200_with_what_would_go_and_writes_nothing(registered, caseworker):
    kevin = kevin_of(registered)

    response = api_as(caseworker).post(f"/api/v1/members/{kevin.pk}/erasure-requests/?dry_run=1",
                                       {"reason": REASON}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] and body["id"] is None and body["certificate"] is None
    assert body["removed"]["cases.Member"]["rows"] == 1
    assert not ErasureRequest.objects.exists() and Member.objects.get(pk=kevin.pk).given_names == "Kevin"


def test_a_refusal_through_the_api_is_201_with_its_code_and_the_reason_in_the_callers_language(registered,
                                                                                                caseworker):
    ana = principal(registered, caseworker)

    response = api_as(caseworker).post(f"/api/v1/members/{ana.pk}/erasure-requests/", {"reason": REASON},
                                       format="json", HTTP_ACCEPT_LANGUAGE="es")
    listed = api_as(caseworker).get(f"/api/v1/members/{ana.pk}/erasure-requests/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["refusal_code"], body["certificate"]) == ("refused", "principal_of_open_case", None)
    assert "solicitante principal" in body["refusal_detail"]
    assert [r["refusal_code"] for r in listed.json()] == ["principal_of_open_case"]
    assert "principal applicant" in listed.json()[0]["refusal_detail"]


# -- the page ------------------------------------------------------------------------------------------------------

def test_the_case_page_offers_the_form_to_the_case_team_and_says_what_came_of_it_in_both_languages(
        client, registered, caseworker):
    kevin, ana = kevin_of(registered), principal(registered, caseworker)
    speaking(client, caseworker, "es")
    page = client.get(reverse("case_detail", args=[registered.pk])).content.decode()
    assert f'data-testid="erasure-{kevin.pk}"' in page

    done = client.post(reverse("member_erasure", args=[registered.pk, kevin.pk]),
                       {"reason": REASON, "confirm": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="es")
    speaking(client, caseworker, "en")
    refused = client.post(reverse("member_erasure", args=[registered.pk, ana.pk]),
                          {"reason": REASON, "confirm": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "llevada a cabo" in done.content.decode()
    assert f'data-testid="erased-{kevin.pk}"' in done.content.decode()
    assert "refused" in refused.content.decode() and "principal applicant" in refused.content.decode()
    assert list(ErasureRequest.objects.order_by("pk").values_list("status", flat=True)) == ["completed", "refused"]


def test_the_page_refuses_an_unconfirmed_or_short_request_with_a_message_and_writes_nothing(client, registered,
                                                                                           caseworker):
    kevin = kevin_of(registered)
    speaking(client, caseworker, "en")
    url = reverse("member_erasure", args=[registered.pk, kevin.pk])

    unconfirmed = client.post(url, {"reason": REASON}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    speaking(client, caseworker, "es")
    short = client.post(url, {"reason": "no", "confirm": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="es")
    nul = client.post(url, {"reason": "Quiere\x00borrar", "confirm": "1"}, HTTP_ACCEPT_LANGUAGE="en")

    assert "Tick the box" in unconfirmed.content.decode()
    assert "al menos 10" in short.content.decode()
    assert 400 <= nul.status_code < 500 or nul.status_code == 302
    assert not ErasureRequest.objects.exists() and Member.objects.get(pk=kevin.pk).given_names == "Kevin"


def test_the_page_answers_404_to_an_outsider_and_refuses_reception_staff(client, returned, outsider, reception):  # noqa: F811
    the_family, _ = returned
    kevin = kevin_of(the_family)
    url = reverse("member_erasure", args=[the_family.pk, kevin.pk])

    client.force_login(outsider)
    assert client.post(url, {"reason": REASON, "confirm": "1"}).status_code == 404
    speaking(client, reception, "en")
    refused = client.post(url, {"reason": REASON, "confirm": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Your role cannot make this change." in refused.content.decode()
    assert f'data-testid="erasure-{kevin.pk}"' not in refused.content.decode()
    assert not ErasureRequest.objects.exists()


# -- two at once ---------------------------------------------------------------------------------------------------

def test_two_requests_at_once_for_one_member_one_completes_and_the_other_is_refused(transactional_db, caseworker,
                                                                                   supervisor, caravan, tij):
    kevin = kevin_of(family(actor=caseworker, programme=caravan, office=tij))
    barrier = threading.Barrier(2)
    outcomes = []

    def race(actor):
        try:
            barrier.wait()
            outcomes.append(erase(actor, kevin).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(actor,)) for actor in (caseworker, supervisor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["completed", "refused"]
    assert ErasureCertificate.objects.count() == 1
    assert ErasureRequest.objects.filter(status="refused", refusal_code="already_erased").count() == 1
