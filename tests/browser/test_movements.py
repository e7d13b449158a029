"""A movement officer plans a bus convoy and books it in a real browser, as the Tijuana office works it.

Pages are in Spanish (es-MX); the tests find things by data-testid / data-* attributes, by the people's names and
case references, or by messages translated here with the same catalogue as the server.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.models import Office, Programme, User
from cases.models import Case
from cases.registration import MemberInput
from tests.browser.conftest import sign_in
from tests.factories import household
from tests.screening_steps import family
from tests.travel_steps import approved, documents_ready
from travel.models import Booking, Movement
from travel.rules import MESSAGES

ADULTS = [("Wilfredo", "Amaya Castro"), ("Dunia Marisol", "Bonilla Soto"), ("Elvin Josué", "Cálix Rivera"),
          ("Reina Isabel", "Durón Paz")]


def refusal(code: str, **params) -> str:
    """A booking guard's message as the Spanish-speaking office reads it (the same catalogue as the server)."""
    with translation.override("es"):
        return str(MESSAGES[code]) % params if params else str(MESSAGES[code])


def ready_to_book(case) -> Case:
    """Approved by the supervisor, with a ready consular document for everyone (through the real services)."""
    approved(case, User.objects.get(username="caseworker_tij"), User.objects.get(username="supervisor_mx"))
    documents_ready(case, User.objects.get(username="movement_mx"))
    return Case.objects.get(pk=case.pk)


def lone_adult(number: int, given: str, family_names: str) -> Case:
    person = MemberInput(given_names=given, family_names=family_names, sex="male", date_of_birth=date(1990, 6, 1),
                         nationality="HN", place_of_origin="Choloma", relationship="principal",
                         document_type="passport", document_number=f"HN{number:06d}")
    return household(actor=User.objects.get(username="caseworker_tij"), programme=Programme.objects.get(
        code="CARAVAN-2018"), office=Office.objects.get(code="TIJ"), people=[person])


def book(page, case: Case):
    page.locator("main [data-testid=booking] select[name=case]").select_option(str(case.pk))
    page.locator("main [data-testid=book]").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_the_movement_officer_fills_a_convoy_to_san_pedro_sula_is_refused_a_child_without_escort_and_downloads_the_manifest(  # noqa: E501
        page):
    # given four lone adults and a family with a child, approved at the Tijuana booth with their documents ready
    adults = [ready_to_book(lone_adult(n, given, family_names)) for n, (given, family_names) in enumerate(ADULTS, 1)]
    with_child = ready_to_book(family(actor=User.objects.get(username="caseworker_tij"),
                                      programme=Programme.objects.get(code="CARAVAN-2018"),
                                      office=Office.objects.get(code="TIJ")))
    departure = timezone.localtime() + timedelta(days=3)

    # when the movement officer plans a three-seat bus convoy from Tijuana to San Pedro Sula
    sign_in(page, "movement_mx")
    page.locator("nav [data-nav=movement_list]").click()
    page.locator("main").get_by_test_id("plan-movement").click()
    form = page.locator("main form[data-testid=movement-form]")
    form.locator("select[name=mode]").select_option("bus")
    form.locator("input[name=carrier]").fill("Transportes del Pacífico")
    form.locator("input[name=vehicle]").fill("Autobús 12")
    form.locator("select[name=departure_office]").select_option(label="Tijuana (TIJ)")
    form.locator("input[name=departure_place]").fill("Garita El Chaparral")
    form.locator("input[name=departure_at]").fill(departure.strftime("%Y-%m-%dT%H:%M"))
    form.locator("select[name=reception_centre]").select_option(label="CAMR San Pedro Sula (HN-SPS)")
    form.locator("input[name=capacity]").fill("3")
    form.locator("input[name='legs-0-crossing_point']").fill("Ciudad Hidalgo – Tecún Umán")
    form.locator("input[name='legs-0-expected_at']").fill((departure + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    form.get_by_test_id("save-movement").click()
    page.wait_for_url("**/movements/*/")

    # then the convoy is planned, empty, with its leg
    movement = Movement.objects.get(carrier="Transportes del Pacífico", capacity=3)
    main = page.locator("main")
    expect(main.get_by_test_id("movement-reference")).to_have_text(movement.reference)
    expect(main.get_by_test_id("movement-status")).to_have_attribute("data-status", "planned")
    expect(main.locator("[data-testid=movement-details] [data-testid=seats]")).to_have_text("0 / 3")
    expect(main.get_by_test_id("legs")).to_contain_text("Ciudad Hidalgo – Tecún Umán")
    assert (movement.departure_office.code, movement.reception_centre.code, movement.mode) == ("TIJ", "HN-SPS", "bus")

    # when they try to book the family with a child before any child escort is on the convoy
    book(page, with_child)

    # then the booking is refused, saying a child escort is missing, and nobody is booked
    expect(main.locator("[data-testid=booking-refusal] [data-code=child_escort_missing]")).to_have_text(
        refusal("child_escort_missing"))
    expect(main.locator("[data-testid=booking-refusal] li")).to_have_count(1)
    assert Case.objects.get(pk=with_child.pk).status == "approved"
    assert not Booking.objects.filter(movement=movement).exists()

    # when they book the lone adults one after the other until the convoy is full
    for seats, case in enumerate(adults[:3], 1):
        book(page, case)
        expect(main.locator(f"[data-testid=passengers] tr[data-case='{case.reference}']")).to_have_count(1)
        expect(main.locator("[data-testid=movement-details] [data-testid=seats]")).to_have_text(f"{seats} / 3")

    # then the fourth is refused for want of seats
    book(page, adults[3])
    expect(main.locator("[data-testid=booking-refusal] [data-code=capacity_exceeded]")).to_have_text(
        refusal("capacity_exceeded", needed=1, free=0))
    assert Case.objects.get(pk=adults[3].pk).status == "approved"
    booked = set(Booking.objects.filter(movement=movement).values_list("case__reference", flat=True))
    assert booked == {case.reference for case in adults[:3]}
    assert all(Case.objects.get(pk=case.pk).status == "booked" for case in adults[:3])

    # when they download the manifest for the carrier
    page.goto(f"/movements/{movement.pk}/")
    with page.expect_download() as download:
        main.get_by_test_id("movement_manifest_csv").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()

    # then it lists the three passengers on board, each with their case reference, under Spanish headers
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert {row["Referencia del caso"] for row in rows} == {case.reference for case in adults[:3]}
    assert with_child.reference not in text and adults[3].reference not in text
