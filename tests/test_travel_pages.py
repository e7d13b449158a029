"""Movements and travel documents through the browser pages: every booking guard and permission holds at this door too."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from cases.models import Case, CaseEvent
from screening.models import FitnessToTravel
from tests.factories import staff
from tests.reception_steps import day_of_travel
from tests.screening_steps import family, lone_child
from tests.travel_steps import approved, convoy, documents_ready
from travel import services
from travel.models import Booking, BorderSupport, Escort, Movement, TravelDocument

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    """The client as `user`, reading the pages in English so the messages can be quoted."""
    User.objects.filter(pk=user.pk).update(language="en")
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def alerts(response) -> str:
    return " ".join(re.findall(r'role="alert">(.*?)</div>', html(response), re.S))


def field_error(response, name: str) -> str:
    found = re.search(rf'id="id_{name}_error">(.*?)</div>', html(response), re.S)
    return found.group(1) if found else ""


def refusal_codes(response) -> list[str]:
    block = re.search(r'data-testid="booking-refusal">(.*?)</div>', html(response), re.S)
    return re.findall(r'data-code="([^"]+)"', block.group(1)) if block else []


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def legs_data(*rows, prefix="legs", initial=0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, (point, at) in enumerate(rows):
        data[f"{prefix}-{i}-crossing_point"] = point
        data[f"{prefix}-{i}-expected_at"] = at
    return data


def snapshot(case) -> tuple:
    """What a refused booking must leave as it was: the case's status and version, its events and the seats."""
    case = Case.objects.get(pk=case.pk)
    return case.status, case.version, CaseEvent.objects.filter(case=case).count(), Booking.objects.count()


def movement_state(movement) -> tuple:
    movement = Movement.objects.get(pk=movement.pk)
    return (movement.status, movement.version, movement.carrier, Booking.objects.filter(movement=movement).count(),
            Escort.objects.filter(movement=movement).count(), BorderSupport.objects.filter(movement=movement).count())


def book(client, movement, case, **kwargs):
    return client.post(reverse("movement_book", args=[movement.pk]), {"case": case.pk}, **kwargs)


def child_escort(officer, movement):
    return services.escort_add(actor=officer, movement_id=movement.pk, data={"name": "Lucía Gómez", "kind": "child"})


@pytest.fixture
def gt_officer(tum):
    return staff("mov_gt", Role.MOVEMENT_OFFICER, country="GT")


@pytest.fixture
def bus(movement_officer, tij, sps):
    return convoy(movement_officer, tij, sps, capacity=10)


def ready_adult(caseworker, supervisor, officer, caravan, tij, given="Santos", destination="HN"):
    from cases.registration import MemberInput
    from tests.factories import household

    person = MemberInput(given_names=given, family_names="Reyes Maldonado", sex="male",
                         date_of_birth=date(1979, 9, 9), nationality=destination, place_of_origin="Choloma",
                         relationship="principal", document_type="passport", document_number=f"HN{given[:3]}01")
    case = household(actor=caseworker, programme=caravan, office=tij, destination=destination, people=[person])
    approved(case, caseworker, supervisor)
    documents_ready(case, officer)
    return case


# Planning a movement


def test_a_movement_officer_plans_a_convoy_and_blank_leg_rows_are_ignored(client, movement_officer, tij, sps, tap):
    signed_in(client, movement_officer)
    departure = timezone.now() + timedelta(days=3)
    form = client.get(reverse("movement_new"))
    assert form.status_code == 200
    offices = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', html(form))
    assert {name for _pk, name in offices} >= {"Tijuana (TIJ)", "Tapachula (TAP)", "CAMR San Pedro Sula (HN-SPS)"}

    response = client.post(reverse("movement_new"), {
        "mode": "bus", "carrier": "Transportes del Pacífico", "vehicle": "Autobús 12", "departure_office": tij.pk,
        "departure_place": "Garita El Chaparral", "departure_at": local(departure), "reception_centre": sps.pk,
        "capacity": "3", "notes": "",
        **legs_data(("", ""), ("Tecún Umán", local(departure + timedelta(days=2))), ("", ""))})

    movement = Movement.objects.get()
    assert response.status_code == 302 and response.url == reverse("movement_detail", args=[movement.pk])
    assert (movement.mode, movement.capacity, movement.departure_office, movement.reception_centre) == (
        "bus", 3, tij, sps)
    assert list(movement.legs.values_list("order", "crossing_point")) == [(1, "Tecún Umán")]
    detail = client.get(response.url)
    assert movement.reference in html(detail) and 'data-testid="seats">0 / 3<' in html(detail)


def test_bad_movement_input_is_shown_next_to_each_field_and_nothing_is_saved(client, movement_officer, tij, sps,
                                                                             tum):
    signed_in(client, movement_officer)
    past = timezone.now() - timedelta(days=1)

    response = client.post(reverse("movement_new"), {
        "mode": "boat", "carrier": "", "departure_office": tum.pk, "departure_at": local(past),
        "reception_centre": sps.pk, "capacity": "0",
        **legs_data(("Tecún Umán", ""), ("", local(past)), ("", ""))})

    assert response.status_code == 200
    assert field_error(response, "mode").startswith("Select a valid choice")
    assert field_error(response, "carrier") == "This field is required."
    assert field_error(response, "departure_office").startswith("Select a valid choice")  # not an office of MX
    assert field_error(response, "capacity").startswith("Ensure this value is greater than or equal to 1")
    assert field_error(response, "legs-0-expected_at") == "Give the expected time."
    assert field_error(response, "legs-1-crossing_point") == "Name the crossing point or stop."
    assert not Movement.objects.exists()

    in_the_past = client.post(reverse("movement_new"), {
        "mode": "bus", "carrier": "Transportes del Pacífico", "departure_office": tij.pk,
        "departure_at": local(past), "reception_centre": sps.pk, "capacity": "10", **legs_data(("", ""))})

    assert field_error(in_the_past, "departure_at") == "The departure is in the past."
    assert not Movement.objects.exists()


def test_the_list_shows_the_movements_the_officer_may_see_soonest_first_and_filters_them(
        client, movement_officer, gt_officer, tij, tum, sps, la_chacra):
    later = convoy(movement_officer, tij, sps, days_ahead=9)
    sooner = convoy(movement_officer, tij, la_chacra, days_ahead=2)
    guatemalan = convoy(gt_officer, tum, sps, days_ahead=1)
    signed_in(client, movement_officer)

    everything = client.get(reverse("movement_list"))
    to_honduras = client.get(reverse("movement_list"), {"reception_centre": "HN-SPS"})
    confirmed = client.get(reverse("movement_list"), {"status": "confirmed"})

    listed = re.findall(r'<tr data-movement="([^"]+)"', html(everything))
    assert listed == [sooner.reference, later.reference] and guatemalan.reference not in html(everything)
    assert re.findall(r'<tr data-movement="([^"]+)"', html(to_honduras)) == [later.reference]
    assert 'data-testid="no-movements"' in html(confirmed)
    assert 'data-testid="plan-movement"' in html(everything)
    assert 'data-nav="movement_list"' in html(everything)


# Who may see what


@pytest.fixture
def confirmed_with_family(movement_officer, bus, ready_family):
    child_escort(movement_officer, bus)
    services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready_family.pk)
    services.movement_transition(actor=movement_officer, movement_id=bus.pk, to="confirmed")
    return bus


def movement_pages(movement) -> list[str]:
    return [reverse("movement_detail", args=[movement.pk]), reverse("movement_edit", args=[movement.pk])]


@pytest.mark.parametrize("persona", ["gt_officer", "other_reception", "caseworker", "outsider"])
def test_staff_who_may_not_see_a_movement_get_404_on_every_page_and_post_and_nothing_changes(
        client, request, persona, confirmed_with_family, ready_family):
    movement = confirmed_with_family
    before = movement_state(movement)
    case_before = snapshot(ready_family)
    signed_in(client, request.getfixturevalue(persona))
    pk = movement.pk

    gets = [client.get(url) for url in movement_pages(movement)]
    posts = [
        client.post(reverse("movement_edit", args=[pk]), {"carrier": "Otra", "version": movement.version}),
        client.post(reverse("movement_book", args=[pk]), {"case": ready_family.pk}),
        client.post(reverse("movement_unbook", args=[pk, ready_family.pk])),
        client.post(reverse("movement_transition", args=[pk]), {"to": "cancelled"}),
        client.post(reverse("movement_escort_new", args=[pk]), {"name": "X", "kind": "operational"}),
        client.post(reverse("movement_border_support_new", args=[pk]), {
            "crossing_point": "Tecún Umán", "kind": "food", "count": 3, "given_at": local(timezone.now())}),
    ]

    assert [r.status_code for r in gets + posts] == [404] * 8
    listed = client.get(reverse("movement_list"))
    if persona in ("gt_officer", "other_reception"):  # they have movements of their own: a list without this one
        assert listed.status_code == 200 and movement.reference not in html(listed)
    else:
        assert listed.status_code == 404
    assert movement_state(movement) == before and snapshot(ready_family) == case_before


def test_the_destination_centre_sees_a_movement_once_confirmed_but_cannot_change_it(
        client, movement_officer, reception, bus, ready_family):
    child_escort(movement_officer, bus)
    services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready_family.pk)
    signed_in(client, reception)
    assert client.get(reverse("movement_detail", args=[bus.pk])).status_code == 404  # still planned

    services.movement_transition(actor=movement_officer, movement_id=bus.pk, to="confirmed")
    before, case_before = movement_state(bus), snapshot(ready_family)
    page = client.get(reverse("movement_detail", args=[bus.pk]))
    listed = client.get(reverse("movement_list"))

    assert page.status_code == 200 and "Ana Lucía Reyes Paz" in html(page)
    assert 'data-count="passengers">3<' in html(page) and 'data-count="children">1<' in html(page)
    for control in ('data-testid="booking"', 'data-testid="edit-movement"', 'data-testid="departure"',
                    'data-testid="escort-form"', 'data-testid="support-form"', "unbook-", 'data-to="cancelled"'):
        assert control not in html(page)
    assert bus.reference in html(listed)
    assert client.get(reverse("movement_edit", args=[bus.pk])).status_code == 404

    refused = [
        client.post(reverse("movement_book", args=[bus.pk]), {"case": ready_family.pk}, follow=True),
        client.post(reverse("movement_unbook", args=[bus.pk, ready_family.pk]), follow=True),
        client.post(reverse("movement_transition", args=[bus.pk]), {"to": "cancelled"}, follow=True),
        client.post(reverse("movement_escort_new", args=[bus.pk]), {"name": "X", "kind": "operational"},
                    follow=True),
        client.post(reverse("movement_border_support_new", args=[bus.pk]), {
            "crossing_point": "Tecún Umán", "kind": "food", "count": 3, "given_at": local(timezone.now())},
            follow=True),
    ]
    for response in refused:
        assert response.status_code == 200 and "Your role cannot make this change." in alerts(response)
    assert movement_state(bus) == before and snapshot(ready_family) == case_before


def test_a_supervisor_of_the_country_reads_the_movement_without_its_controls(client, supervisor, bus):
    signed_in(client, supervisor)

    page = client.get(reverse("movement_detail", args=[bus.pk]))

    assert page.status_code == 200 and bus.reference in html(page)
    assert 'data-testid="booking"' not in html(page) and 'data-testid="edit-movement"' not in html(page)
    assert 'data-testid="plan-movement"' not in html(client.get(reverse("movement_list")))
    assert client.get(reverse("movement_new")).status_code == 404


# Booking and its guards, through the page


def test_booking_a_ready_household_from_the_page_seats_each_member(client, movement_officer, bus, ready_family):
    child_escort(movement_officer, bus)
    signed_in(client, movement_officer)
    page = client.get(reverse("movement_detail", args=[bus.pk]))
    assert f'<option value="{ready_family.pk}"' in html(page) and "Ana Lucía Reyes Paz · 3 people" in html(page)

    response = book(client, bus, ready_family, follow=True)

    assert f"{ready_family.reference} booked on {bus.reference}." in alerts(response)
    assert Case.objects.get(pk=ready_family.pk).status == "booked"
    assert re.findall(r'data-case="([^"]+)" data-booking="booked"', html(response)) == [ready_family.reference] * 3
    assert 'data-testid="seats">3 / 10<' in html(response)
    assert f'<option value="{ready_family.pk}"' not in html(response)  # no longer offered


def test_a_child_without_a_child_escort_is_refused_and_nothing_changes(client, movement_officer, bus, ready_family):
    signed_in(client, movement_officer)
    before = snapshot(ready_family)

    response = book(client, bus, ready_family)

    assert response.status_code == 200
    assert refusal_codes(response) == ["child_escort_missing"]
    assert "A child travels in this household and the movement has no child escort." in html(response)
    assert snapshot(ready_family) == before


def test_missing_or_expiring_documents_are_named_per_member(client, caseworker, supervisor, movement_officer, caravan,
                                                            tij, bus):
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    child_escort(movement_officer, bus)
    documents_ready(case, movement_officer, expires_in_days=1)
    before = snapshot(case)
    signed_in(client, movement_officer)

    response = book(client, bus, case)

    assert refusal_codes(response) == ["travel_document_missing"] * 3
    assert ("Jorge Mejía Cruz has no travel document marked ready and valid on the day of departure."
            in html(response))
    assert snapshot(case) == before


def test_medical_attention_needs_fitness_then_a_medical_escort(client, caseworker, movement_officer, bus,
                                                               ready_family):
    child_escort(movement_officer, bus)
    jorge = ready_family.members.get(given_names="Jorge")
    jorge.needs_medical_attention = True
    jorge.save()
    signed_in(client, movement_officer)
    before = snapshot(ready_family)

    no_fitness = book(client, bus, ready_family)
    FitnessToTravel.objects.create(member=jorge, outcome="fit_with_escort", assessed_on=timezone.localdate(),
                                   clinician="Dra. Núñez", recorded_by=caseworker)
    no_medical_escort = book(client, bus, ready_family)
    FitnessToTravel.objects.filter(member=jorge).update(outcome="unfit")
    unfit = book(client, bus, ready_family)

    assert refusal_codes(no_fitness) == ["fitness_missing"]
    assert refusal_codes(no_medical_escort) == ["medical_escort_missing"]
    assert refusal_codes(unfit) == ["unfit_to_travel"]
    assert "Jorge Mejía Cruz is not fit to travel." in html(unfit)
    assert snapshot(ready_family) == before


def test_seats_country_of_return_and_children_by_flight_are_guarded(client, movement_officer, caravan, tij,
                                                                    la_chacra, ready_family):
    small_to_el_salvador = convoy(movement_officer, tij, la_chacra, capacity=2)
    caravan.children_fly_only = True
    caravan.save()
    child_escort(movement_officer, small_to_el_salvador)
    signed_in(client, movement_officer)
    before = snapshot(ready_family)

    response = book(client, small_to_el_salvador, ready_family)

    assert refusal_codes(response) == ["capacity_exceeded", "reception_centre_mismatch", "children_fly_only"]
    assert "Not enough seats: 3 needed, 2 free." in html(response)
    assert snapshot(ready_family) == before


def test_a_cancelled_movement_takes_no_booking_and_an_unknown_case_is_refused_next_to_the_select(
        client, movement_officer, caseworker, supervisor, caravan, tij, bus, ready_family):
    signed_in(client, movement_officer)
    other = ready_adult(caseworker, supervisor, movement_officer, caravan, tij)
    services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=other.pk)
    before = snapshot(other)

    book(client, bus, other)  # booked already: booking it again takes no further seat
    assert snapshot(other) == before
    unknown = client.post(reverse("movement_book", args=[bus.pk]), {"case": 999999})
    services.movement_transition(actor=movement_officer, movement_id=bus.pk, to="cancelled")
    closed = book(client, bus, ready_family)

    assert unknown.status_code == 200
    assert field_error(unknown, "case") == "There is no approved case with this number among yours."
    assert 'data-testid="booking"' not in html(closed)  # the booking form is gone once cancelled
    assert refusal_codes(closed) == ["movement_closed", "child_escort_missing"]
    assert Case.objects.get(pk=ready_family.pk).status == "approved"


def test_unbooking_a_household_from_the_page_approves_it_again(client, movement_officer, bus, ready_family):
    child_escort(movement_officer, bus)
    services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready_family.pk)
    signed_in(client, movement_officer)
    page = client.get(reverse("movement_detail", args=[bus.pk]))
    assert html(page).count(f'data-testid="unbook-{ready_family.reference}"') == 1  # one button per household

    response = client.post(reverse("movement_unbook", args=[bus.pk, ready_family.pk]), follow=True)

    assert "The household was taken off the movement" in alerts(response)
    assert Case.objects.get(pk=ready_family.pk).status == "approved"
    assert 'data-testid="no-passengers"' in html(response)


# Escorts, departure, border support


def test_an_escort_is_added_for_booked_passengers_and_bad_input_is_shown_next_to_the_fields(
        client, movement_officer, bus, ready_family):
    child_escort(movement_officer, bus)
    services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready_family.pk)
    kevin = ready_family.members.get(given_names="Kevin")
    signed_in(client, movement_officer)

    nameless = client.post(reverse("movement_escort_new", args=[bus.pk]), {"name": "", "kind": "child"})
    stranger = client.post(reverse("movement_escort_new", args=[bus.pk]), {
        "name": "Marta Ruiz", "kind": "child", "members": [999999]})
    added = client.post(reverse("movement_escort_new", args=[bus.pk]), {
        "name": "Marta Ruiz", "kind": "child", "phone": "+52 664 000 0000", "members": [kevin.pk]}, follow=True)

    assert field_error(nameless, "name") == "This field is required."
    assert field_error(stranger, "members").startswith("Select a valid choice")
    assert "Escort added." in alerts(added)
    escort = Escort.objects.get(name="Marta Ruiz")
    assert list(escort.members.all()) == [kevin] and "Kevin Mejía Reyes" in html(added)


def test_departure_with_a_household_partly_ticked_is_refused_naming_it(client, movement_officer, confirmed_with_family,
                                                                        ready_family):
    members = list(ready_family.members.values_list("pk", flat=True))
    day_of_travel(confirmed_with_family)
    signed_in(client, movement_officer)
    page = client.get(reverse("movement_detail", args=[confirmed_with_family.pk]))
    assert len(re.findall(r'name="boarded" value="\d+"[^>]* checked', html(page))) == 3

    partial = client.post(reverse("movement_transition", args=[confirmed_with_family.pk]),
                          {"to": "departed", "boarded": members[:2], "confirmed": "1"}, follow=True)

    assert f"Some households boarded only in part ({ready_family.reference})" in alerts(partial)
    assert Movement.objects.get(pk=confirmed_with_family.pk).status == "confirmed"
    assert Case.objects.get(pk=ready_family.pk).status == "booked"

    departed = client.post(reverse("movement_transition", args=[confirmed_with_family.pk]),
                           {"to": "departed", "boarded": members, "confirmed": "1"}, follow=True)

    assert "Departure recorded." in alerts(departed)
    assert Case.objects.get(pk=ready_family.pk).status == "in_transit"
    assert 'data-to="arrived"' in html(departed)


def test_a_move_the_movement_cannot_make_is_explained(client, movement_officer, bus):
    signed_in(client, movement_officer)

    response = client.post(reverse("movement_transition", args=[bus.pk]), {"to": "arrived"}, follow=True)

    assert "A movement cannot go from “Planned” to “Arrived”." in alerts(response)
    assert Movement.objects.get(pk=bus.pk).status == "planned"


def test_border_support_is_recorded_once_confirmed_and_a_future_time_is_refused(client, movement_officer,
                                                                                confirmed_with_family):
    movement = confirmed_with_family
    signed_in(client, movement_officer)
    url = reverse("movement_border_support_new", args=[movement.pk])

    future = client.post(url, {"crossing_point": "Tecún Umán", "kind": "food", "count": 3,
                               "given_at": local(timezone.now() + timedelta(hours=5))})
    recorded = client.post(url, {"crossing_point": "Tecún Umán", "kind": "food", "count": 3,
                                 "given_at": local(timezone.now() - timedelta(minutes=5))}, follow=True)

    assert field_error(future, "given_at") == "This time is in the future."
    assert "Support recorded." in alerts(recorded)
    assert list(BorderSupport.objects.values_list("crossing_point", "kind", "count")) == [("Tecún Umán", "food", 3)]
    assert 'data-testid="border-support"' in html(recorded)


# Editing


def test_a_stale_edit_is_explained_and_overwrites_nothing(client, movement_officer, bus):
    signed_in(client, movement_officer)
    page = client.get(reverse("movement_edit", args=[bus.pk]))
    assert page.status_code == 200 and f'name="version" value="{bus.version}"' in html(page)
    services.movement_update(actor=movement_officer, movement_id=bus.pk, expected_version=bus.version,
                             changes={"carrier": "Autobuses Halcón"})
    leg_rows = legs_data(*[(leg.crossing_point, local(leg.expected_at)) for leg in bus.legs.all()], initial=1)

    response = client.post(reverse("movement_edit", args=[bus.pk]), {
        "version": bus.version, "mode": "bus", "carrier": "Transportes Norte", "vehicle": bus.vehicle,
        "departure_place": bus.departure_place, "departure_at": local(bus.departure_at), "capacity": "12",
        "notes": "", **leg_rows})

    assert response.status_code == 200
    assert "Someone else saved this movement after you opened it." in alerts(response)
    assert f'name="version" value="{bus.version + 1}"' in html(response)
    assert 'value="Transportes Norte"' in html(response)  # what the user typed is kept
    movement = Movement.objects.get(pk=bus.pk)
    assert (movement.carrier, movement.capacity, movement.version) == ("Autobuses Halcón", 10, bus.version + 1)


def test_an_edit_with_the_version_seen_saves_and_capacity_cannot_drop_below_the_booked_seats(
        client, movement_officer, bus, ready_family):
    child_escort(movement_officer, bus)
    services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready_family.pk)
    bus.refresh_from_db()
    signed_in(client, movement_officer)
    legs = legs_data(*[(leg.crossing_point, local(leg.expected_at)) for leg in bus.legs.all()],
                     ("El Amatillo", local(bus.departure_at + timedelta(days=3))), initial=1)
    base = {"version": bus.version, "mode": "bus", "carrier": bus.carrier, "vehicle": bus.vehicle,
            "departure_place": bus.departure_place, "departure_at": local(bus.departure_at), "notes": "", **legs}

    too_small = client.post(reverse("movement_edit", args=[bus.pk]), {**base, "capacity": "2"})
    saved = client.post(reverse("movement_edit", args=[bus.pk]), {**base, "capacity": "20"}, follow=True)

    assert field_error(too_small, "capacity") == "At least 3 seats: that many are booked."
    assert "Movement saved." in alerts(saved)
    movement = Movement.objects.get(pk=bus.pk)
    assert movement.capacity == 20 and movement.version == bus.version + 1
    assert list(movement.legs.values_list("crossing_point", flat=True)) == ["Tecún Umán", "El Amatillo"]


# Travel documents and the case's travel tab


@pytest.mark.parametrize("persona", ["movement_officer", "caseworker", "supervisor"])
def test_the_case_team_and_movement_officers_record_a_travel_document(client, request, persona, caseworker,
                                                                       supervisor, caravan, tij):
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    ana = case.members.get(given_names="Ana Lucía")
    signed_in(client, request.getfixturevalue(persona))
    url = reverse("travel_document_new", args=[case.pk, ana.pk])
    tab = client.get(reverse("case_travel", args=[case.pk]))
    assert f'href="{url}"' in html(tab)

    response = client.post(url, {"type": "consular_document", "number": "CE-778812", "status": "ready",
                                 "issuing_consulate": "Consulado de Honduras en Tijuana",
                                 "issued_on": (date.today() - timedelta(days=1)).isoformat(),
                                 "expires_on": (date.today() + timedelta(days=90)).isoformat()}, follow=True)

    assert "Travel document recorded." in alerts(response)
    document = TravelDocument.objects.get(member=ana)
    assert (document.number, document.status) == ("CE-778812", "ready")
    assert f'data-document="{document.pk}" data-status="ready"' in html(response)


def test_bad_travel_document_input_is_shown_next_to_the_fields(client, movement_officer, caseworker, supervisor,
                                                               caravan, tij):
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    ana = case.members.get(given_names="Ana Lucía")
    signed_in(client, movement_officer)

    response = client.post(reverse("travel_document_new", args=[case.pk, ana.pk]), {
        "type": "passport", "number": "", "status": "ready", "issued_on": "2030-01-01", "expires_on": "not a date"})

    assert response.status_code == 200
    assert field_error(response, "expires_on") == "Enter a valid date."
    retry = client.post(reverse("travel_document_new", args=[case.pk, ana.pk]), {
        "type": "passport", "number": "", "status": "ready",
        "issued_on": (date.today() + timedelta(days=3)).isoformat()})
    assert field_error(retry, "number") == "A document is ready only with its number."
    assert field_error(retry, "issued_on") == "This date is in the future."
    assert not TravelDocument.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "gt_officer", "reception"])
def test_others_get_404_on_the_travel_document_page(client, request, persona, movement_officer, confirmed_with_family,
                                                    ready_family):
    ana = ready_family.members.get(given_names="Ana Lucía")
    before = TravelDocument.objects.count()
    signed_in(client, request.getfixturevalue(persona))
    url = reverse("travel_document_new", args=[ready_family.pk, ana.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"type": "passport", "number": "X1", "status": "ready"}).status_code == 404
    assert TravelDocument.objects.count() == before


def test_a_member_of_another_case_is_not_found_on_this_cases_document_page(client, caseworker, supervisor, caravan,
                                                                          tij, ready_family):
    other = lone_child(actor=caseworker, programme=caravan, office=tij)
    signed_in(client, caseworker)

    response = client.get(reverse("travel_document_new", args=[ready_family.pk, other.members.get().pk]))

    assert response.status_code == 404


def test_the_travel_tab_shows_the_seats_linked_to_the_movement_for_those_who_may_see_it(
        client, movement_officer, caseworker, bus, ready_family):
    child_escort(movement_officer, bus)
    services.case_book(actor=movement_officer, movement_id=bus.pk, case_id=ready_family.pk)
    link = f'<a href="{reverse("movement_detail", args=[bus.pk])}">{bus.reference}</a>'

    officer_tab = client.get(reverse("case_travel", args=[signed_in(client, movement_officer) and ready_family.pk]))
    signed_in(client, caseworker)
    caseworker_tab = client.get(reverse("case_travel", args=[ready_family.pk]))

    assert link in html(officer_tab) and len(re.findall(r"<tr data-member=", html(officer_tab))) == 3
    assert bus.reference in html(caseworker_tab) and link not in html(caseworker_tab)
    assert 'data-testid="no-movement"' not in html(caseworker_tab)
    assert html(caseworker_tab).count('data-status="ready"') == 3


def test_the_demo_has_a_planned_convoy_with_its_booked_household_and_running_it_again_changes_nothing():
    import os

    from django.core.management import call_command

    call_command("seed_demo", stdout=open(os.devnull, "w"))
    first = (Movement.objects.count(), Booking.objects.count(), TravelDocument.objects.count())
    call_command("seed_demo", stdout=open(os.devnull, "w"))

    convoy_ = Movement.objects.get()
    assert (convoy_.departure_office.code, convoy_.reception_centre.code, convoy_.status) == ("TIJ", "HN-SPS", "planned")
    assert (Movement.objects.count(), Booking.objects.count(), TravelDocument.objects.count()) == first
    assert list(convoy_.bookings.values_list("case__status", "member__given_names")) == [("booked", "Santos")]
    ready = TravelDocument.objects.filter(status="ready").values_list("member__case__status", flat=True)
    assert set(ready) == {"approved", "booked", "in_transit"}


def test_a_leg_expected_before_the_departure_is_refused_on_the_planning_page(client, movement_officer, tij, sps):
    signed_in(client, movement_officer)
    departure = timezone.now() + timedelta(days=3)

    response = client.post(reverse("movement_new"), {
        "mode": "bus", "carrier": "Transportes del Pacífico", "departure_office": tij.pk,
        "departure_at": local(departure), "reception_centre": sps.pk, "capacity": "10",
        **legs_data(("Tecún Umán", local(departure - timedelta(hours=3))))})

    assert response.status_code == 200
    assert "A leg cannot be expected before the movement departs." in html(response)
    assert not Movement.objects.exists()


def test_the_passenger_list_flags_who_needs_medical_attention_and_nothing_more(client, reception,
                                                                               confirmed_with_family, ready_family):
    from cases.models import Member
    ana, jorge, _kevin = ready_family.members.order_by("id")
    Member.objects.filter(pk=ana.pk).update(needs_medical_attention=True)
    signed_in(client, reception)

    page = html(client.get(reverse("movement_detail", args=[confirmed_with_family.pk])))

    rows = dict(re.findall(r'<tr data-member="(\d+)"(.*?)</tr>', page, re.S))
    assert 'data-testid="medical-badge"' in rows[str(ana.pk)]
    assert 'data-testid="medical-badge"' not in rows[str(jorge.pk)]
    assert page.count('data-testid="medical-badge"') == 1
