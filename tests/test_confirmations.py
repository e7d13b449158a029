"""Irreversible moves ask first on the pages (withdraw, close, record the departure, cancel a movement): a POST
without `confirmed=1` shows the confirmation step, carrying what was sent, and changes nothing."""

import re

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent
from reception import services as reception_services
from tests.reception_steps import departed
from tests.screening_steps import family
from tests.travel_steps import approved, convoy, documents_ready
from travel import services as travel_services
from travel.models import Booking, Movement

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def hidden(response) -> dict:
    form = re.search(r'data-testid="confirmation".*?</form>', html(response), re.S).group(0)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def case_state(case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return case.status, case.version, CaseEvent.objects.filter(case=case).count()


def movement_state(movement) -> tuple:
    movement = Movement.objects.get(pk=movement.pk)
    return movement.status, movement.version, sorted(Booking.objects.filter(movement=movement)
                                                     .values_list("status", flat=True))


@pytest.fixture
def household(caseworker, caravan, tij):
    return family(actor=caseworker, programme=caravan, office=tij)


@pytest.fixture
def ready(household, caseworker, supervisor, movement_officer):
    approved(household, caseworker, supervisor)
    documents_ready(household, movement_officer)
    return household


@pytest.fixture
def booked_bus(ready, movement_officer, tij, sps):
    bus = convoy(movement_officer, tij, sps, days_ahead=0.02)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    travel_services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready.pk)
    travel_services.movement_transition(actor=movement_officer, movement_id=bus.pk, to="confirmed")
    return bus


def test_withdrawing_a_case_asks_first_and_changes_nothing_until_confirmed(client, caseworker, household):
    client.force_login(caseworker)
    url = reverse("case_transition", args=[household.pk])
    before = case_state(household)

    asked = client.post(url, {"to": "withdrawn", "note": "Se queda con su hermana", "tab": "overview"})

    assert asked.status_code == 200 and 'data-testid="confirmation"' in html(asked)
    assert hidden(asked) == {"to": "withdrawn", "note": "Se queda con su hermana", "tab": "overview", "confirmed": "1"}
    assert case_state(household) == before

    client.post(url, hidden(asked))

    assert Case.objects.get(pk=household.pk).status == "withdrawn"


def test_closing_from_the_reception_tab_asks_first(client, reception, supervisor, ready, movement_officer, tij, sps):
    bus = convoy(movement_officer, tij, sps)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, movement_officer, [ready])
    for member in ready.members.all():
        reception_services.check_in(actor=reception, movement_id=bus.pk, member_id=member.pk)
    client.force_login(supervisor)
    url = reverse("reception_case_close", args=[ready.pk])
    before = case_state(ready)

    asked = client.post(url, {"reason": "completed", "note": ""})

    assert before[0] == "arrived" and 'data-testid="confirmation"' in html(asked)
    assert hidden(asked)["reason"] == "completed" and case_state(ready) == before

    client.post(url, {"reason": "completed", "note": "", "confirmed": "1"})

    assert Case.objects.get(pk=ready.pk).status == "closed"


def test_recording_the_departure_asks_first_and_keeps_who_was_ticked(client, movement_officer, booked_bus, ready):
    client.force_login(movement_officer)
    url = reverse("movement_transition", args=[booked_bus.pk])
    members = [str(pk) for pk in ready.members.values_list("pk", flat=True)]
    before, case_before = movement_state(booked_bus), case_state(ready)

    asked = client.post(url, {"to": "departed", "boarded": members})

    form = re.search(r'data-testid="confirmation".*?</form>', html(asked), re.S).group(0)
    assert sorted(re.findall(r'name="boarded" value="(\d+)"', form)) == sorted(members)
    assert movement_state(booked_bus) == before and case_state(ready) == case_before

    client.post(url, {"to": "departed", "boarded": members, "confirmed": "1"})

    assert Movement.objects.get(pk=booked_bus.pk).status == "departed"


def test_cancelling_a_movement_asks_first(client, movement_officer, booked_bus, ready):
    client.force_login(movement_officer)
    url = reverse("movement_transition", args=[booked_bus.pk])
    before, case_before = movement_state(booked_bus), case_state(ready)

    asked = client.post(url, {"to": "cancelled"})
    gone_back = client.get(re.search(r'href="([^"]+)" data-testid="confirm-no"', html(asked)).group(1))

    assert 'data-testid="confirmation"' in html(asked) and gone_back.status_code == 200
    assert movement_state(booked_bus) == before and case_state(ready) == case_before

    client.post(url, {"to": "cancelled", "confirmed": "1"})

    assert Movement.objects.get(pk=booked_bus.pk).status == "cancelled"
    assert Case.objects.get(pk=ready.pk).status == "approved"


def test_a_reversible_move_is_made_at_once(client, movement_officer, ready, tij, sps):
    bus = convoy(movement_officer, tij, sps)
    travel_services.escort_add(actor=movement_officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    travel_services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready.pk)
    client.force_login(movement_officer)

    response = client.post(reverse("movement_transition", args=[bus.pk]), {"to": "confirmed"})

    assert response.status_code == 302 and Movement.objects.get(pk=bus.pk).status == "confirmed"


def test_who_may_not_see_the_case_gets_404_not_a_question(client, outsider, household):
    client.force_login(outsider)
    before = case_state(household)

    response = client.post(reverse("case_transition", args=[household.pk]), {"to": "withdrawn", "note": "x"})

    assert response.status_code == 404 and case_state(household) == before
