"""Movements, bookings and departures: every booking guard, seats under concurrency, who may see a movement."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseEvent
from tests.conftest import api_as
from tests.factories import OfficeFactory, staff
from tests.reception_steps import day_of_travel
from tests.screening_steps import family, lone_child
from tests.travel_steps import approved, convoy, documents_ready
from travel.models import Booking, Movement

pytestmark = pytest.mark.django_db


@pytest.fixture
def bus(movement_officer, tij, sps):
    return convoy(movement_officer, tij, sps)


def book(user, movement, case):
    return api_as(user).post(f"/api/v1/movements/{movement.pk}/bookings/", {"case": case.pk}, format="json")


def codes(response) -> list[str]:
    return [u["code"] for u in response.json()["unmet"]]


def child_escort(officer, movement):
    return api_as(officer).post(f"/api/v1/movements/{movement.pk}/escorts/",
                                {"name": "Lucía Gómez", "kind": "child"}, format="json")


def test_a_movement_officer_plans_a_convoy_through_the_api(movement_officer, tij, sps):
    response = api_as(movement_officer).post("/api/v1/movements/", {
        "mode": "bus", "carrier": "Transportes del Pacífico", "departure_office": "TIJ", "reception_centre": "HN-SPS",
        "departure_at": (timezone.now() + timedelta(days=2)).isoformat(), "capacity": 40,
        "legs": [{"crossing_point": "Tecún Umán", "expected_at": (timezone.now() + timedelta(days=4)).isoformat()}]},
        format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["reference"].startswith("MOV-TIJ-") and body["status"] == "planned" and body["seats_taken"] == 0
    assert body["legs"][0]["crossing_point"] == "Tecún Umán" and body["passengers"] == []


def test_bad_movement_input_is_a_structured_400(movement_officer, tij, sps, tum):
    response = api_as(movement_officer).post("/api/v1/movements/", {
        "mode": "boat", "carrier": "x", "departure_office": "HN-SPS", "reception_centre": "TIJ",
        "departure_at": (timezone.now() - timedelta(days=1)).isoformat(), "capacity": 0}, format="json")
    foreign = api_as(movement_officer).post("/api/v1/movements/", {
        "mode": "bus", "carrier": "x", "departure_office": "TUM", "reception_centre": "HN-SPS",
        "departure_at": (timezone.now() + timedelta(days=1)).isoformat(), "capacity": 10}, format="json")
    past = api_as(movement_officer).post("/api/v1/movements/", {
        "mode": "bus", "carrier": "x", "departure_office": "TIJ", "reception_centre": "TIJ",
        "departure_at": (timezone.now() - timedelta(days=1)).isoformat(), "capacity": 10}, format="json")

    assert response.status_code == 400 and "mode" in response.json()["fields"]
    assert foreign.status_code == 400 and "departure_office" in foreign.json()["fields"]
    assert past.status_code == 400 and {"departure_at", "reception_centre"} <= set(past.json()["fields"])
    assert not Movement.objects.exists()


def test_booking_a_ready_household_takes_a_seat_per_member(movement_officer, bus, ready_family):
    response = book(movement_officer, bus, ready_family)

    assert codes(response) == ["child_escort_missing"]
    assert child_escort(movement_officer, bus).status_code == 201
    response = book(movement_officer, bus, ready_family)

    assert response.status_code == 201
    body = response.json()
    assert body["seats_taken"] == 3 and [p["seat"] for p in body["passengers"]] == [1, 2, 3]
    assert [p["is_child"] for p in body["passengers"]] == [False, False, True]
    ready_family.refresh_from_db()
    assert ready_family.status == "booked"
    assert ready_family.reception_centre is None  # the centre sees it once the movement is confirmed


def test_every_member_needs_a_ready_travel_document_valid_on_the_day(caseworker, supervisor, movement_officer,
                                                                     caravan, tij, bus):
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    child_escort(movement_officer, bus)
    documents_ready(case, movement_officer, expires_in_days=1)  # expires before the departure

    response = book(movement_officer, bus, case)

    assert codes(response) == ["travel_document_missing"] * 3
    case.refresh_from_db()
    assert case.status == "approved" and not Booking.objects.exists()


def test_a_medical_flag_needs_fitness_and_an_escort_when_so_assessed(ready_family, movement_officer, caseworker,
                                                                     bus, tij):
    child_escort(movement_officer, bus)
    jorge = ready_family.members.get(given_names="Jorge")
    jorge.needs_medical_attention = True
    jorge.save()
    assert codes(book(movement_officer, bus, ready_family)) == ["fitness_missing"]

    from screening.models import FitnessToTravel
    FitnessToTravel.objects.create(member=jorge, outcome="fit_with_escort", assessed_on=timezone.localdate(),
                                   clinician="Dra. Núñez", recorded_by=caseworker)
    assert codes(book(movement_officer, bus, ready_family)) == ["medical_escort_missing"]
    api_as(movement_officer).post(f"/api/v1/movements/{bus.pk}/escorts/", {"name": "Dr. Paz", "kind": "medical"},
                                  format="json")
    assert book(movement_officer, bus, ready_family).status_code == 201


def test_the_movement_must_go_to_the_country_of_return_and_have_the_seats(ready_family, movement_officer, tij,
                                                                          la_chacra):
    small_to_el_salvador = convoy(movement_officer, tij, la_chacra, capacity=2)
    child_escort(movement_officer, small_to_el_salvador)

    response = book(movement_officer, small_to_el_salvador, ready_family)

    assert codes(response) == ["capacity_exceeded", "reception_centre_mismatch"]


def test_a_programme_may_fly_its_children_only(ready_family, movement_officer, bus, caravan):
    caravan.children_fly_only = True
    caravan.save()
    child_escort(movement_officer, bus)

    assert codes(book(movement_officer, bus, ready_family)) == ["children_fly_only"]


def test_only_an_approved_case_is_booked_and_only_from_a_movement(caseworker, movement_officer, supervisor, caravan,
                                                                  tij, bus, ready_family):
    screening = family(actor=caseworker, programme=caravan, office=tij)
    response = book(movement_officer, bus, screening)
    direct = api_as(movement_officer).post(f"/api/v1/cases/{ready_family.pk}/transitions/", {"to": "booked"},
                                           format="json")

    assert response.status_code == 404  # a movement officer does not see cases before approval
    assert direct.status_code == 409 and codes(direct) == ["movement_missing"]


def test_the_case_team_cannot_book(caseworker, bus, ready_family):
    assert book(caseworker, bus, ready_family).status_code == 404  # caseworkers do not see movements


def test_unbooking_gives_the_seats_back_and_approves_the_case_again(movement_officer, bus, ready_family):
    child_escort(movement_officer, bus)
    book(movement_officer, bus, ready_family)

    response = api_as(movement_officer).delete(f"/api/v1/movements/{bus.pk}/bookings/{ready_family.pk}/")

    assert response.status_code == 200 and response.json()["seats_taken"] == 0
    ready_family.refresh_from_db()
    assert ready_family.status == "approved"
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}


def test_departure_moves_boarded_households_in_transit_and_the_rest_to_no_show(
        movement_officer, caseworker, supervisor, caravan, tij, sps, bus, ready_family):
    child_escort(movement_officer, bus)
    alone = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(alone, movement_officer)
    book(movement_officer, bus, ready_family)
    book(movement_officer, bus, alone)
    url = f"/api/v1/movements/{bus.pk}/transitions/"
    assert api_as(movement_officer).post(url, {"to": "confirmed"}, format="json").status_code == 200
    on_board = list(ready_family.members.values_list("pk", flat=True))
    day_of_travel(bus)

    partial = api_as(movement_officer).post(url, {"to": "departed", "boarded": on_board[:1]}, format="json")
    departed = api_as(movement_officer).post(url, {"to": "departed", "boarded": on_board}, format="json")

    assert partial.status_code == 409 and partial.json()["code"] == "partially_boarded"
    assert departed.status_code == 200 and departed.json()["status"] == "departed"
    statuses = dict(Case.objects.filter(pk__in=[ready_family.pk, alone.pk]).values_list("pk", "status"))
    assert statuses == {ready_family.pk: "in_transit", alone.pk: "no_show"}
    assert Case.objects.get(pk=ready_family.pk).reception_centre == sps
    no_show_back = api_as(movement_officer).post(f"/api/v1/cases/{alone.pk}/transitions/", {"to": "approved"},
                                                 format="json")
    assert no_show_back.status_code == 200


def test_cancelling_a_movement_approves_its_households_again(movement_officer, bus, ready_family):
    child_escort(movement_officer, bus)
    book(movement_officer, bus, ready_family)

    response = api_as(movement_officer).post(f"/api/v1/movements/{bus.pk}/transitions/", {"to": "cancelled"},
                                             format="json")
    again = api_as(movement_officer).post(f"/api/v1/movements/{bus.pk}/transitions/", {"to": "confirmed"},
                                          format="json")

    assert response.status_code == 200
    assert Case.objects.get(pk=ready_family.pk).status == "approved"
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_reception_sees_a_movement_to_its_centre_once_confirmed_and_other_centres_never(
        movement_officer, reception, other_reception, bus, ready_family):
    url = f"/api/v1/movements/{bus.pk}/"
    before = api_as(reception).get(url).status_code
    api_as(movement_officer).post(f"/api/v1/movements/{bus.pk}/transitions/", {"to": "confirmed"}, format="json")

    assert before == 404
    assert api_as(reception).get(url).status_code == 200
    assert api_as(other_reception).get(url).status_code == 404
    assert api_as(reception).get("/api/v1/movements/?reception_centre=HN-SPS&status=confirmed").json()[0]["id"] \
        == bus.pk
    assert api_as(reception).patch(url, {"capacity": 10, "version": 2}, format="json").status_code == 403


def test_an_officer_of_another_country_sees_nothing_and_changes_nothing(bus, ready_family, tum):
    other = staff("mov_gt", "movement_officer", country="GT")

    assert api_as(other).get(f"/api/v1/movements/{bus.pk}/").status_code == 404
    assert book(other, bus, ready_family).status_code == 404
    assert api_as(other).get("/api/v1/movements/").json() == []
    assert Case.objects.get(pk=ready_family.pk).status == "approved"


def test_a_stale_movement_edit_is_refused(movement_officer, bus):
    url = f"/api/v1/movements/{bus.pk}/"
    first = api_as(movement_officer).patch(url, {"capacity": 45, "version": 1}, format="json")
    stale = api_as(movement_officer).patch(url, {"capacity": 30, "version": 1}, format="json")

    assert first.status_code == 200 and stale.status_code == 409
    assert Movement.objects.get(pk=bus.pk).capacity == 45


def test_border_support_is_counted_per_crossing(movement_officer, bus):
    url = f"/api/v1/movements/{bus.pk}/border-support/"
    body = {"crossing_point": "Tecún Umán", "kind": "food", "count": 38, "given_at": timezone.now().isoformat()}

    too_early = api_as(movement_officer).post(url, body, format="json")
    api_as(movement_officer).post(f"/api/v1/movements/{bus.pk}/transitions/", {"to": "confirmed"}, format="json")
    recorded = api_as(movement_officer).post(url, body, format="json")

    assert too_early.status_code == 400 and recorded.status_code == 201


def test_a_travel_document_is_ready_only_with_its_number(movement_officer, ready_family, outsider):
    member = ready_family.members.first()
    url = f"/api/v1/members/{member.pk}/travel-documents/"

    refused = api_as(movement_officer).post(url, {"type": "passport", "status": "ready"}, format="json")
    hidden = api_as(outsider).post(url, {"type": "passport", "status": "requested"}, format="json")

    assert refused.status_code == 400 and "number" in refused.json()["fields"]
    assert hidden.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_officers_racing_for_the_last_seats_exactly_one_wins(caseworker, supervisor, caravan, tij, sps):
    second_officer = staff("mov_mx2", "movement_officer", country="MX")
    first_officer = staff("mov_mx1", "movement_officer", country="MX")
    households = []
    for _ in range(2):
        case = approved(lone_adult(caseworker, caravan, tij), caseworker, supervisor)
        documents_ready(case, first_officer)
        households.append(case)
    bus = convoy(first_officer, tij, sps, capacity=1)
    barrier = threading.Barrier(2)
    results = []

    def race(officer, case):
        try:
            barrier.wait()
            results.append(book(officer, bus, case).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=args)
               for args in ((first_officer, households[0]), (second_officer, households[1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [201, 409]
    assert Booking.objects.filter(movement=bus, status="booked").count() == 1
    assert sorted(Case.objects.filter(pk__in=[c.pk for c in households]).values_list("status", flat=True)) == [
        "approved", "booked"]
    assert CaseEvent.objects.filter(to_status="booked").count() == 1


def lone_adult(caseworker, caravan, tij):
    from datetime import date

    from cases.registration import MemberInput
    from tests.factories import household

    return household(actor=caseworker, programme=caravan, office=tij, people=[MemberInput(
        given_names="Wilmer", family_names=f"Pineda {Case.objects.count()}", sex="male", date_of_birth=date(1990, 1, 1),
        nationality="HN", place_of_origin="Choloma", relationship="principal")])


def test_an_unaccompanied_child_travels_with_a_child_escort(caseworker, supervisor, movement_officer, caravan, tij,
                                                            bus):
    from datetime import date

    from cases.services import case_transition
    from screening.services import best_interests_save
    from tests.screening_steps import counsel, screen

    case = lone_child(actor=caseworker, programme=caravan, office=tij)
    counsel(case, caseworker)
    child = case.members.get()
    screen(child, caseworker)
    best_interests_save(actor=caseworker, member_id=child.pk, expected_version=None, data={
        "responsible_authority": "DIF", "guardian_name": "PPNNA", "child_views": "Volver", "options_considered": "x",
        "outcome": "return", "decided_on": date(2018, 11, 19), "guardian_consent": True,
        "guardian_consent_on": date(2018, 11, 19)})
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    case_transition(case_id=case.pk, to="approved", actor=supervisor)
    documents_ready(case, movement_officer)

    assert codes(book(movement_officer, bus, case)) == ["child_escort_missing"]
    child_escort(movement_officer, bus)
    assert book(movement_officer, bus, case).status_code == 201
    _ = OfficeFactory


def test_nobody_leaves_a_booked_household_until_it_is_unbooked(movement_officer, supervisor, bus, ready_family):
    child_escort(movement_officer, bus)
    book(movement_officer, bus, ready_family)
    jorge = ready_family.members.get(given_names="Jorge")

    response = api_as(supervisor).post(f"/api/v1/cases/{ready_family.pk}/members/{jorge.pk}/split/",
                                       {"note": "Se queda", "withdraw": True}, format="json")

    assert response.status_code == 400 and "member" in response.json()["fields"]
    assert ready_family.members.count() == 3


def test_a_household_already_booked_is_not_booked_again(movement_officer, tij, sps, bus, ready_family):
    child_escort(movement_officer, bus)
    book(movement_officer, bus, ready_family)
    other = convoy(movement_officer, tij, sps)
    child_escort(movement_officer, other)

    response = book(movement_officer, other, ready_family)

    assert response.status_code == 409 and response.json()["code"] == "already_booked"
    assert "case" in response.json()["fields"]
    assert set(Booking.objects.filter(status="booked").values_list("movement", flat=True)) == {bus.pk}


def test_a_leg_expected_before_the_departure_is_refused_when_planning_or_moving_the_departure(movement_officer, tij,
                                                                                               sps):
    departure = timezone.now() + timedelta(days=3)
    body = {"mode": "bus", "carrier": "Transportes del Pacífico", "departure_office": "TIJ",
            "reception_centre": "HN-SPS", "departure_at": departure.isoformat(), "capacity": 40}
    early = {"crossing_point": "Tecún Umán", "expected_at": (departure - timedelta(hours=2)).isoformat()}
    on_time = {"crossing_point": "Tecún Umán", "expected_at": (departure + timedelta(hours=20)).isoformat()}

    refused = api_as(movement_officer).post("/api/v1/movements/", {**body, "legs": [early]}, format="json")
    planned = api_as(movement_officer).post("/api/v1/movements/", {**body, "legs": [on_time]}, format="json").json()
    moved = api_as(movement_officer).patch(f"/api/v1/movements/{planned['id']}/", {
        "version": planned["version"], "departure_at": (departure + timedelta(days=2)).isoformat()}, format="json")

    assert refused.status_code == 400 and "legs" in refused.json()["fields"]
    assert moved.status_code == 400 and "legs" in moved.json()["fields"]
    assert Movement.objects.count() == 1 and Movement.objects.get().departure_at == departure
