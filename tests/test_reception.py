"""Arrivals, handovers, assistance, referrals, closure and follow-up at the reception centre."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Case
from reception.models import Assistance, CheckIn, FollowUp, Handover, Institution, KitDelivery, Referral
from tests.conftest import api_as
from tests.reception_steps import approved, child_alone, convoy, departed, documents_ready
from tests.screening_steps import family
from travel import services as travel_services
from travel.models import Booking
from travel.qr import boarding_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrival(caseworker, supervisor, movement_officer, reception, caravan, tij, sps):
    """A family of three and a girl travelling alone, on a bus that left Tijuana for San Pedro Sula."""
    the_family = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    girl = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij)
    for case in (the_family, girl):
        documents_ready(case, movement_officer)
    bus = convoy(movement_officer, tij, sps)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, movement_officer, [the_family, girl])
    KitDelivery.objects.create(centre=sps, quantity=50, received_on=timezone.localdate(), recorded_by=reception)
    return bus, the_family, girl


def check_in(user, movement, **body):
    return api_as(user).post(f"/api/v1/movements/{movement.pk}/check-ins/", body, format="json")


def give(user, member, key, **body):
    return api_as(user).post(f"/api/v1/members/{member.pk}/assistance/", body, format="json",
                             HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def employment(db):
    return Institution.objects.create(name="Servicio Nacional de Empleo de Honduras", country="HN",
                                      municipality="San Pedro Sula", services=["employment", "education"])


def test_reception_sees_the_arriving_movement_with_counts_only(reception, arrival):
    bus, _family, _girl = arrival

    listed = api_as(reception).get("/api/v1/movements/?reception_centre=HN-SPS&status=departed").json()
    detail = api_as(reception).get(f"/api/v1/movements/{bus.pk}/").json()

    assert [m["id"] for m in listed] == [bus.pk]
    assert detail["summary"] == {"passengers": 4, "children": 2, "unaccompanied_children": 1,
                                 "needs_medical_attention": 0}


def test_the_family_arrives_when_everyone_is_checked_in_by_id_or_by_qr(reception, arrival):
    bus, the_family, _girl = arrival
    ana, jorge, kevin = the_family.members.order_by("id")
    kevin_code = boarding_code(Booking.objects.get(member=kevin, movement=bus))

    first = check_in(reception, bus, member=ana.pk)
    retried = check_in(reception, bus, member=ana.pk)
    second = check_in(reception, bus, member=jorge.pk)
    by_qr = check_in(reception, bus, qr=kevin_code)

    assert (first.status_code, retried.status_code, second.status_code, by_qr.status_code) == (201, 200, 201, 201)
    assert retried.json()["replayed"] is True and CheckIn.objects.filter(member=ana).count() == 1
    assert second.json()["case_status"] == "in_transit"
    assert by_qr.json()["case_status"] == "arrived"
    assert Case.objects.get(pk=the_family.pk).status == "arrived"


def test_a_tampered_or_foreign_code_is_refused(reception, arrival):
    bus, the_family, _girl = arrival
    code = boarding_code(Booking.objects.get(member=the_family.members.first(), movement=bus))

    tampered = check_in(reception, bus, qr=code[:-2] + "xx")
    garbage = check_in(reception, bus, qr="HOLA")

    assert tampered.status_code == 400 and "qr" in tampered.json()["fields"]
    assert garbage.status_code == 400
    assert not CheckIn.objects.exists()


def test_a_child_alone_has_not_arrived_until_handed_over(reception, arrival):
    bus, _family, girl = arrival
    dayana = girl.members.get()

    response = check_in(reception, bus, member=dayana.pk)
    handover = api_as(reception).post(f"/api/v1/members/{dayana.pk}/handover/", {
        "authority": "dinaf", "official_name": "Licda. Karla Mejía", "official_position": "Oficial de protección",
        "handed_over_at": timezone.now().isoformat(), "goes_to": "family", "goes_to_name": "Abuela materna"},
        format="json")

    assert response.json()["case_status"] == "in_transit"
    assert [m["code"] for m in response.json()["missing"]] == ["handover_missing"]
    assert handover.status_code == 201
    assert Case.objects.get(pk=girl.pk).status == "arrived"
    assert Handover.objects.get(member=dayana).authority == "dinaf"


def test_a_handover_is_only_for_a_child_alone_who_arrived(reception, arrival):
    bus, the_family, girl = arrival
    body = {"authority": "dinaf", "official_name": "x", "official_position": "y",
            "handed_over_at": timezone.now().isoformat(), "goes_to": "family", "goes_to_name": "z"}

    adult = api_as(reception).post(f"/api/v1/members/{the_family.members.first().pk}/handover/", body, format="json")
    not_yet = api_as(reception).post(f"/api/v1/members/{girl.members.get().pk}/handover/", body, format="json")

    assert adult.status_code == 400 and not_yet.status_code == 400
    assert not Handover.objects.exists()


def test_someone_who_did_not_arrive_needs_a_reason(reception, arrival):
    bus, the_family, _girl = arrival
    jorge = the_family.members.get(given_names="Jorge")

    silent = check_in(reception, bus, member=jorge.pk, arrived=False)
    explained = check_in(reception, bus, member=jorge.pk, arrived=False, reason="Se bajó en Tecún Umán")

    assert silent.status_code == 400 and "reason" in silent.json()["fields"]
    assert explained.status_code == 201 and CheckIn.objects.get(member=jorge).arrived is False


def test_assistance_is_recorded_once_per_request_and_kits_once_per_return(reception, arrival):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()
    check_in(reception, bus, member=ana.pk)

    first = give(reception, ana, "k-1", kind="hygiene_kit")
    retried = give(reception, ana, "k-1", kind="hygiene_kit")
    second_kit = give(reception, ana, "k-2", kind="hygiene_kit")
    money = give(reception, ana, "m-1", kind="transport_money", amount="500.00", currency="HNL")
    no_amount = give(reception, ana, "m-2", kind="transport_money")
    no_key = api_as(reception).post(f"/api/v1/members/{ana.pk}/assistance/", {"kind": "food"}, format="json")

    assert (first.status_code, retried.status_code, second_kit.status_code) == (201, 200, 400)
    assert retried["Idempotent-Replayed"] == "true" and retried.json()["id"] == first.json()["id"]
    assert money.status_code == 201 and Decimal(money.json()["amount"]) == Decimal("500.00")
    assert no_amount.status_code == 400 and {"amount", "currency"} <= set(no_amount.json()["fields"])
    assert no_key.status_code == 428
    assert Assistance.objects.filter(member=ana).count() == 2


def test_assistance_is_for_people_checked_in(reception, arrival):
    bus, the_family, _girl = arrival

    response = give(reception, the_family.members.first(), "k-1", kind="food")

    assert response.status_code == 400 and not Assistance.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_item_record_it_once(caseworker, supervisor, movement_officer, reception, caravan,
                                                       tij, sps):
    the_family = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(the_family, movement_officer)
    bus = convoy(movement_officer, tij, sps)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, movement_officer, [the_family])
    ana = the_family.members.first()
    check_in(reception, bus, member=ana.pk)
    barrier = threading.Barrier(3)
    statuses = []

    def retry():
        try:
            barrier.wait()
            statuses.append(give(reception, ana, "same-key", kind="food").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 200, 201]
    assert Assistance.objects.filter(member=ana).count() == 1


def test_a_referral_needs_the_persons_consent_to_share_for_that_service(reception, arrival, employment):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()
    check_in(reception, bus, member=ana.pk)
    body = {"member": ana.pk, "institution": employment.pk, "service": "employment"}

    refused = api_as(reception).post("/api/v1/referrals/", body, format="json")
    from reception.services import referral_consent_record
    referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="education")
    other_service = api_as(reception).post("/api/v1/referrals/", body, format="json")
    referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    referred = api_as(reception).post("/api/v1/referrals/", body, format="json")

    assert refused.status_code == 409 and refused.json()["code"] == "consent_missing"
    assert other_service.status_code == 409
    assert referred.status_code == 201 and referred.json()["status"] == "sent"
    assert Referral.objects.count() == 1


def test_a_withdrawn_consent_no_longer_allows_a_referral(reception, arrival, employment):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()
    from reception.services import referral_consent_record
    consent = referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk,
                                      service="employment")
    consent.withdrawn_on = timezone.localdate()
    consent.save()

    response = api_as(reception).post("/api/v1/referrals/", {"member": ana.pk, "institution": employment.pk,
                                                             "service": "employment"}, format="json")

    assert response.status_code == 409


def test_a_referral_is_followed_until_the_institution_answers(reception, arrival, employment):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()
    from reception.services import referral_consent_record
    referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    referral = api_as(reception).post("/api/v1/referrals/", {
        "member": ana.pk, "institution": employment.pk, "service": "employment"}, format="json").json()
    url = f"/api/v1/referrals/{referral['id']}/"

    accepted = api_as(reception).patch(url, {"status": "accepted", "version": 1}, format="json")
    stale = api_as(reception).patch(url, {"status": "declined", "version": 1}, format="json")
    backwards = api_as(reception).patch(url, {"status": "sent", "version": 2}, format="json")
    completed = api_as(reception).patch(url, {"status": "completed", "version": 2}, format="json")

    assert accepted.status_code == 200 and accepted.json()["answered_on"]
    assert stale.status_code == 409 and backwards.status_code == 400
    assert completed.json()["status"] == "completed" and completed.json()["completed_on"]


def test_an_overdue_referral_stands_out(reception, arrival, employment):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()
    from reception.services import referral_consent_record, referral_create
    referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    referral = referral_create(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    Referral.objects.filter(pk=referral.pk).update(due_on=timezone.localdate() - timedelta(days=1))

    response = api_as(reception).patch(f"/api/v1/referrals/{referral.pk}/", {"note": "Llamamos", "version": 1},
                                       format="json")

    assert response.json()["is_overdue"] is True


def test_the_institution_directory_filters_by_country_and_service(reception, employment):
    Institution.objects.create(name="Ciudad Mujer", country="SV", services=["protection"])

    rows = api_as(reception).get("/api/v1/institutions/?country=HN&service=employment").json()

    assert [row["name"] for row in rows] == ["Servicio Nacional de Empleo de Honduras"]


def test_the_supervisor_or_the_centre_closes_an_arrived_case_with_a_reason(reception, supervisor, arrival):
    bus, the_family, _girl = arrival
    for member in the_family.members.all():
        check_in(reception, bus, member=member.pk)
    url = f"/api/v1/cases/{the_family.pk}/transitions/"

    no_reason = api_as(supervisor).post(url, {"to": "closed"}, format="json")
    closed = api_as(supervisor).post(url, {"to": "closed", "closure_reason": "completed"}, format="json")

    assert no_reason.status_code == 409 and no_reason.json()["unmet"][0]["code"] == "closure_reason_missing"
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert Case.objects.get(pk=the_family.pk).closure_reason == "completed"


def test_follow_up_is_scheduled_and_recorded_only_with_consent(reception, arrival, caravan, caseworker):
    caravan.follow_up_months = 2
    caravan.save()
    bus, the_family, _girl = arrival
    ana, jorge, _kevin = the_family.members.order_by("id")
    from screening.services import member_consent_record
    Case.objects.filter(pk=the_family.pk).update(status="screening")
    member_consent_record(actor=caseworker, member_id=ana.pk, data={"scope": "follow_up", "type": "explicit",
                                                                    "given_on": timezone.localdate()})
    Case.objects.filter(pk=the_family.pk).update(status="in_transit")
    for member in the_family.members.all():
        check_in(reception, bus, member=member.pk)

    assert list(FollowUp.objects.values_list("member", flat=True)) == [ana.pk]
    refused = api_as(reception).post(f"/api/v1/members/{jorge.pk}/follow-ups/", {"reached": True}, format="json")
    done = api_as(reception).post(f"/api/v1/members/{ana.pk}/follow-ups/", {
        "reached": True, "safe": True, "working": False, "needs": "Empleo", "intends_to_migrate_again": False},
        format="json")
    assert refused.status_code == 400
    assert done.status_code == 201 and FollowUp.objects.get(member=ana).done_on == timezone.localdate()


def test_reception_never_reads_counselling_protection_or_medical_detail(reception, supervisor, arrival):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()

    case = api_as(reception).get(f"/api/v1/cases/{the_family.pk}/").json()
    screening = api_as(reception).get(f"/api/v1/members/{ana.pk}/screening/")
    sessions = api_as(reception).get(f"/api/v1/cases/{the_family.pk}/counselling-sessions/")

    assert "caseworker_notes" not in case and "vulnerability_kinds" not in case
    assert screening.status_code == 404 and sessions.status_code == 404


def test_staff_of_another_centre_can_do_nothing_here(other_reception, arrival, employment):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()

    assert check_in(other_reception, bus, member=ana.pk).status_code == 404
    assert give(other_reception, ana, "k", kind="food").status_code == 404
    assert api_as(other_reception).post("/api/v1/referrals/", {
        "member": ana.pk, "institution": employment.pk, "service": "employment"}, format="json").status_code == 404
    assert not CheckIn.objects.exists() and not Assistance.objects.exists()


def test_no_kit_is_given_from_an_empty_stock(reception, arrival, sps):
    bus, the_family, _girl = arrival
    KitDelivery.objects.all().delete()
    ana = the_family.members.first()
    check_in(reception, bus, member=ana.pk)

    response = give(reception, ana, "k-1", kind="hygiene_kit")

    assert response.status_code == 400 and "kind" in response.json()["fields"]
    assert not Assistance.objects.exists()


def test_a_consent_still_allows_the_referral_after_the_institution_is_renamed_or_read_in_another_language(
        reception, arrival, employment):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()
    check_in(reception, bus, member=ana.pk)
    from django.utils import translation

    from reception.services import referral_consent_record
    with translation.override("es"):
        referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    Institution.objects.filter(pk=employment.pk).update(name="SENAEH — Empleo")

    referred = api_as(reception).post("/api/v1/referrals/", {"member": ana.pk, "institution": employment.pk,
                                                             "service": "employment"}, format="json")

    assert referred.status_code == 201
    assert Referral.objects.get().consent.institution_id == employment.pk


def test_a_consent_for_an_institution_of_the_same_name_does_not_allow_the_referral(reception, arrival, employment):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()
    namesake = Institution.objects.create(name=employment.name, country="HN", services=["employment"])
    from reception.services import referral_consent_record
    referral_consent_record(actor=reception, member_id=ana.pk, institution_id=namesake.pk, service="employment")

    refused = api_as(reception).post("/api/v1/referrals/", {"member": ana.pk, "institution": employment.pk,
                                                            "service": "employment"}, format="json")

    assert refused.status_code == 409 and not Referral.objects.exists()


def test_no_assistance_or_referral_is_recorded_once_the_case_is_closed(reception, supervisor, arrival, employment):
    bus, the_family, _girl = arrival
    ana = the_family.members.first()
    for member in the_family.members.all():
        check_in(reception, bus, member=member.pk)
    from reception.services import referral_consent_record
    referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk, service="employment")
    given = give(reception, ana, "before", kind="food")
    api_as(supervisor).post(f"/api/v1/cases/{the_family.pk}/transitions/", {"to": "closed",
                                                                             "closure_reason": "completed"},
                            format="json")

    food = give(reception, ana, "after", kind="food")
    retried = give(reception, ana, "before", kind="food")
    referral = api_as(reception).post("/api/v1/referrals/", {"member": ana.pk, "institution": employment.pk,
                                                             "service": "employment"}, format="json")

    assert Case.objects.get(pk=the_family.pk).status == "closed"
    assert food.status_code == 400 and food.json()["detail"].startswith("Este caso está cerrado")
    assert retried.status_code == 200 and retried.json()["id"] == given.json()["id"]
    assert referral.status_code == 400
    assert Assistance.objects.filter(member=ana).count() == 1 and not Referral.objects.exists()
