"""The booking and departure rules a mutation run of travel/rules.py could change unnoticed, each held by a
behaviour: seats, documents, escorts, the programme's flights-only rule and the time of departure."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cases.models import CaseEvent
from cases.services import TransitionRefused
from tests.travel_steps import approved, convoy, documents_ready
from travel import services as travel
from travel.models import Booking, TravelDocument

pytestmark = pytest.mark.django_db


def movement_with_child_escort(officer, tij, centre, **kwargs):
    from tests.travel_steps import convoy, with_child_escort

    return with_child_escort(convoy(officer, tij, centre, **kwargs), officer)


def snapshot(case) -> tuple:
    case.refresh_from_db()
    return case.status, case.version, CaseEvent.objects.filter(case=case).count(), Booking.objects.filter(
        case=case).count()


def booking_refused(case, movement, officer) -> list[str]:
    before = snapshot(case)
    with pytest.raises(TransitionRefused) as refused:
        travel.case_book(actor=officer, movement_id=movement.pk, case_id=case.pk)
    assert snapshot(case) == before
    return [u.code for u in refused.value.unmet]


def booked(case, movement, officer) -> bool:
    travel.case_book(actor=officer, movement_id=movement.pk, case_id=case.pk)
    case.refresh_from_db()
    return case.status == "booked"


def test_the_seats_another_household_holds_are_not_free(ready_family, caseworker, supervisor, movement_officer,
                                                        caravan, tij, sps):
    from cases.registration import MemberInput
    from tests.factories import household

    movement = movement_with_child_escort(movement_officer, tij, sps, capacity=3)
    other = household(actor=caseworker, programme=caravan, office=tij, people=[MemberInput(
        given_names="Rosa", family_names="Ávila", sex="female", date_of_birth=date(1985, 6, 1), nationality="HN",
        place_of_origin="Omoa", relationship="principal", document_type="passport", document_number="HROSA0001")])
    approved(other, caseworker, supervisor)
    documents_ready(other, movement_officer)
    assert booked(other, movement, movement_officer)

    assert booking_refused(ready_family, movement, movement_officer) == ["capacity_exceeded"]


def test_a_travel_document_that_expires_the_day_before_departure_keeps_its_traveller_home(
        ready_family, movement_officer, tij, sps):
    movement = movement_with_child_escort(movement_officer, tij, sps)
    departure_day = timezone.localtime(movement.departure_at).date()
    son = ready_family.members.order_by("id").last()
    TravelDocument.objects.filter(member=son).update(expires_on=departure_day - timedelta(days=1))

    assert booking_refused(ready_family, movement, movement_officer) == ["travel_document_missing"]


def test_a_member_fit_to_travel_only_with_a_medical_escort_is_booked_once_the_movement_has_one(
        ready_family, movement_officer, caseworker, tij, sps):
    from cases.models import Member
    from screening.models import FitnessToTravel

    movement = movement_with_child_escort(movement_officer, tij, sps)
    father = ready_family.members.order_by("id")[1]
    Member.objects.filter(pk=father.pk).update(needs_medical_attention=True)
    FitnessToTravel.objects.create(member=father, outcome="fit_with_escort", assessed_on=date(2018, 11, 21),
                                   clinician="Dra. Núñez", recorded_by=caseworker)

    assert booking_refused(ready_family, movement, movement_officer) == ["medical_escort_missing"]
    travel.escort_add(actor=movement_officer, movement_id=movement.pk, data={"name": "Dr. Paz", "kind": "medical"})
    assert booked(ready_family, movement, movement_officer)


@pytest.mark.parametrize("mode, refused", [("flight", False), ("bus", True)])
def test_a_programme_that_flies_its_children_books_a_household_with_a_child_on_a_flight_only(
        ready_family, movement_officer, caravan, tij, sps, mode, refused):
    caravan.children_fly_only = True
    caravan.save()
    movement = movement_with_child_escort(movement_officer, tij, sps, mode=mode)

    if refused:
        assert booking_refused(ready_family, movement, movement_officer) == ["children_fly_only"]
    else:
        assert booked(ready_family, movement, movement_officer)


def test_a_household_with_a_child_is_not_booked_on_a_movement_without_a_child_escort(
        ready_family, movement_officer, tij, sps):
    movement = convoy(movement_officer, tij, sps)

    assert booking_refused(ready_family, movement, movement_officer) == ["child_escort_missing"]


def test_adults_travelling_alone_need_no_child_escort(caseworker, supervisor, movement_officer, caravan, tij, sps):
    from tests.factories import household

    case = approved(household(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(case, movement_officer)

    assert booked(case, convoy(movement_officer, tij, sps), movement_officer)


def test_a_movement_that_was_cancelled_takes_no_booking(ready_family, movement_officer, tij, sps):
    movement = movement_with_child_escort(movement_officer, tij, sps)
    travel.movement_transition(actor=movement_officer, movement_id=movement.pk, to="cancelled")

    assert booking_refused(ready_family, movement, movement_officer) == ["movement_closed"]


def test_a_confirmed_movement_still_takes_bookings(ready_family, movement_officer, tij, sps):
    movement = movement_with_child_escort(movement_officer, tij, sps)
    travel.movement_transition(actor=movement_officer, movement_id=movement.pk, to="confirmed")

    assert booked(ready_family, movement, movement_officer)


def test_a_household_goes_only_to_a_reception_centre_of_its_country_of_return(
        ready_family, movement_officer, tij, la_chacra):
    movement = movement_with_child_escort(movement_officer, tij, la_chacra)

    assert booking_refused(ready_family, movement, movement_officer) == ["reception_centre_mismatch"]


@pytest.mark.parametrize("minutes_early, refused", [(119, False), (120, False), (121, True)])
def test_a_departure_is_recorded_at_most_the_tolerance_before_its_scheduled_time(
        movement_officer, tij, sps, settings, minutes_early, refused):
    from travel.rules import departure_time_reached

    settings.AVR_DEPARTURE_EARLY_MINUTES = 120
    movement = convoy(movement_officer, tij, sps)
    now = movement.departure_at - timedelta(minutes=minutes_early)

    assert [u.code for u in departure_time_reached(movement, now=now)] == (["departure_too_early"] if refused else [])
