"""A fear of return disclosed after the household is booked: the case stops at once, and its flight leaves without it.

Pages are in Spanish (es-MX), as the booths work; the tests find things by data-testid and data-* attributes.
"""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.models import Office, Programme, User
from cases.choices import CaseStatus
from cases.models import Case
from tests.browser.conftest import sign_in, sign_out
from tests.screening_steps import family
from tests.travel_steps import approved, convoy, documents_ready
from travel import services as travel
from travel.models import Booking, Movement


def label(status: str) -> str:
    with translation.override("es"):
        return str(CaseStatus(status).label)


def booked_on_a_flight_leaving_within_the_hour() -> tuple[Case, Movement]:
    """A Tijuana family approved, documents ready, booked on a confirmed flight to San Pedro Sula (the services)."""
    caseworker, officer = User.objects.get(username="caseworker_tij"), User.objects.get(username="movement_mx")
    case = approved(family(actor=caseworker, programme=Programme.objects.get(code="CARAVAN-2018"),
                           office=Office.objects.get(code="TIJ")), caseworker, User.objects.get(username="supervisor_mx"))
    documents_ready(case, officer)
    flight = convoy(officer, Office.objects.get(code="TIJ"), Office.objects.get(code="HN-SPS"), mode="flight")
    travel.escort_add(actor=officer, movement_id=flight.pk, data={"name": "Lucía Gómez", "kind": "child"})
    travel.case_book(actor=officer, movement_id=flight.pk, case_id=case.pk)
    travel.movement_transition(actor=officer, movement_id=flight.pk, to="confirmed")
    Movement.objects.filter(pk=flight.pk).update(departure_at=timezone.now() + timedelta(minutes=30))
    return Case.objects.get(pk=case.pk), Movement.objects.get(pk=flight.pk)


@pytest.mark.browser
def test_a_fear_of_return_recorded_on_a_booked_family_holds_it_and_the_flight_departs_without_it(page):
    # given a family booked on a flight that leaves within the hour
    case, flight = booked_on_a_flight_leaving_within_the_hour()
    principal = case.members.get(relationship="principal")

    # when the caseworker records, at the last counselling, that the mother fears return
    sign_in(page, "caseworker_tij")
    page.goto(f"/cases/{case.pk}/screening/")
    page.locator("main").get_by_test_id(f"screen-{principal.pk}").click()
    page.locator("main input[name=fear_of_return][value=yes]").check()
    page.locator("main form[data-testid=screening-form] button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case.pk}/screening/")

    # then the case is on hold at once, its seats are free, and nobody is offered "approve" or a booking
    page.goto(f"/cases/{case.pk}/")
    main = page.locator("main")
    expect(main.get_by_test_id("case-status")).to_have_text(label("on_hold"))
    expect(main.locator("[data-testid=next-steps] button[data-to=booked]")).to_have_count(0)
    assert set(Booking.objects.filter(case=case).values_list("status", flat=True)) == {"cancelled"}
    sign_out(page)

    # when the movement officer opens the flight on the day of travel
    sign_in(page, "movement_mx")
    page.goto(f"/movements/{flight.pk}/")

    # then the family is listed as taken off, and none of its members is on the boarding list
    expect(main.locator(f"[data-testid=held-households] [data-case='{case.reference}']")).to_be_visible()
    for member in case.members.all():
        expect(main.locator(f"[data-testid=departure] input[name=boarded][value='{member.pk}']")).to_have_count(0)

    # when they record the departure and confirm it
    main.locator("[data-testid=departure] button[data-to=departed]").click()
    page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-yes").click()
    page.wait_for_url(f"**/movements/{flight.pk}/")

    # then the flight has left without the family, which stays on hold
    expect(main.get_by_test_id("movement-status")).to_have_attribute("data-status", "departed")
    assert Case.objects.get(pk=case.pk).status == "on_hold"
    assert not Booking.objects.filter(case=case, status="boarded").exists()
    assert Movement.objects.get(pk=flight.pk).departed_at is not None
