"""The safeguards of every step towards a return, tried at every door: page, API, bulk approval, admin action,
travel and reception services; and the late fear of return that stops a household already booked."""

from datetime import date, timedelta

import pytest
from django.core import checks
from django.utils import timezone, translation

from cases.models import CaseEvent
from cases.services import TransitionRefused, case_transition
from cases.transitions import ALLOWED, GUARDS, SAFEGUARDS, unregistered_names
from notifications.models import Notification
from screening import services as screening
from screening.approval import cases_bulk_approve
from screening.models import ProtectionScreening
from tests.conftest import api_as
from tests.reception_steps import day_of_travel
from tests.screening_steps import family, lone_child, screen
from tests.travel_steps import approved, convoy, documents_ready
from travel import services as travel
from travel.models import Booking, Movement

pytestmark = pytest.mark.django_db


@pytest.fixture
def flight(movement_officer, tij, sps):
    movement = convoy(movement_officer, tij, sps, mode="flight")
    api_as(movement_officer).post(f"/api/v1/movements/{movement.pk}/escorts/", {"name": "Lucía", "kind": "child"},
                                  format="json")
    return movement


@pytest.fixture
def booked_family(caseworker, supervisor, movement_officer, caravan, tij, flight):
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(case, movement_officer)
    travel.case_book(actor=movement_officer, movement_id=flight.pk, case_id=case.pk)
    travel.movement_transition(actor=movement_officer, movement_id=flight.pk, to="confirmed")
    case.refresh_from_db()
    return case


def snapshot(case) -> tuple:
    case.refresh_from_db()
    return (case.status, case.version, CaseEvent.objects.filter(case=case).count(),
            sorted(Booking.objects.filter(case=case).values_list("status", flat=True)))


def fear(member, actor):
    current = ProtectionScreening.objects.get(member=member)
    return screen(member, actor, fear=True, version=current.version)


# -- The table ------------------------------------------------------------------------------------------------------

def test_every_guard_and_effect_the_lifecycle_names_is_registered():
    assert unregistered_names() == []
    assert set(SAFEGUARDS) <= set(GUARDS)


def test_the_system_check_names_a_guard_nobody_registered(monkeypatch):
    from cases.safeguards import lifecycle_complete
    from cases.transitions import Move

    monkeypatch.setitem(ALLOWED["registered"], "closed", Move(frozenset({"caseworker"}), guards=("no_such_guard",)))

    errors = lifecycle_complete()

    assert [e.id for e in errors] == ["cases.E001"] and "no_such_guard" in errors[0].msg
    assert all(isinstance(e, checks.Error) for e in errors)


def test_every_step_towards_a_return_carries_the_safeguards():
    for moves in ALLOWED.values():
        for to, move in moves.items():
            if to in ("pending_approval", "approved", "booked", "in_transit"):
                assert set(SAFEGUARDS) <= set(move.all_guards(to)), to


# -- A late fear of return ------------------------------------------------------------------------------------------

def test_a_fear_of_return_recorded_on_a_booked_case_puts_it_on_hold_and_frees_its_seats(
        booked_family, caseworker, supervisor, movement_officer, flight, reception, django_capture_on_commit_callbacks):
    assert booked_family.reception_centre_id is not None

    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        fear(booked_family.members.first(), caseworker)

    booked_family.refresh_from_db()
    assert booked_family.status == "on_hold" and booked_family.reception_centre_id is None
    assert set(Booking.objects.filter(case=booked_family).values_list("status", flat=True)) == {"cancelled"}
    event = CaseEvent.objects.filter(case=booked_family).latest("id")
    assert event.to_status == "on_hold" and "fear of return" in event.note
    assert booked_family.members.first().given_names not in event.note
    told = Notification.objects.filter(case=booked_family, kind="case_on_hold")
    assert set(told.values_list("recipient", flat=True)) == {supervisor.pk, movement_officer.pk}
    assert all(set(n.params) == {"reference"} for n in told)
    assert api_as(reception).get(f"/api/v1/cases/{booked_family.pk}/").status_code == 404


def test_the_movement_page_shows_the_held_household_and_its_departure_leaves_without_it(
        client, booked_family, caseworker, movement_officer, flight):
    fear(booked_family.members.first(), caseworker)
    client.force_login(movement_officer)

    page = client.get(f"/movements/{flight.pk}/").content.decode()
    day_of_travel(flight)
    travel.movement_transition(actor=movement_officer, movement_id=flight.pk, to="departed",
                               boarded=list(booked_family.members.values_list("pk", flat=True)))

    assert 'data-testid="held-households"' in page and booked_family.reference in page
    booked_family.refresh_from_db()
    assert booked_family.status == "on_hold"
    assert not Booking.objects.filter(case=booked_family, status="boarded").exists()


def test_a_departure_never_boards_a_household_whose_safeguard_fails_even_when_the_hold_was_bypassed(
        booked_family, movement_officer, flight):
    member = booked_family.members.first()
    ProtectionScreening.objects.filter(member=member).update(fear_of_return=True)  # e.g. a bulk update in SQL
    day_of_travel(flight)

    travel.movement_transition(actor=movement_officer, movement_id=flight.pk, to="departed",
                               boarded=list(booked_family.members.values_list("pk", flat=True)))

    booked_family.refresh_from_db()
    flight.refresh_from_db()
    assert flight.status == "departed" and booked_family.status == "on_hold"
    assert not Booking.objects.filter(case=booked_family, status="boarded").exists()


def test_a_declaration_withdrawn_after_approval_puts_the_case_on_hold(caseworker, supervisor, caravan, tij):
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    declaration = case.members.first().declarations.get()

    screening.declaration_withdraw(actor=caseworker, declaration_id=declaration.pk, reason="Cambió de opinión")

    case.refresh_from_db()
    assert case.status == "on_hold"


def test_a_birth_date_corrected_into_childhood_after_approval_puts_the_case_on_hold(caseworker, supervisor, caravan,
                                                                                   tij):
    from cases.registration import member_update

    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    father = case.members.get(relationship="spouse")

    with translation.override("en"):  # the father was sixteen, not thirty: a child travelling without a parent
        member_update(actor=caseworker, member_id=father.pk, expected_version=case.version,
                      changes={"date_of_birth": date.today() - timedelta(days=365 * 16)})

    case.refresh_from_db()
    assert case.status == "on_hold"
    assert "best-interests" in CaseEvent.objects.filter(case=case).latest("id").note


# -- Every way back to approved re-checks ---------------------------------------------------------------------------

def test_a_case_on_hold_is_not_approved_again_while_a_fear_of_return_is_open(booked_family, caseworker, supervisor):
    fear(booked_family.members.first(), caseworker)
    before = snapshot(booked_family)

    with pytest.raises(TransitionRefused) as refused:
        case_transition(case_id=booked_family.pk, to="approved", actor=supervisor)
    response = api_as(supervisor).post(f"/api/v1/cases/{booked_family.pk}/transitions/", {"to": "approved"},
                                       format="json")

    assert [u.code for u in refused.value.unmet] == ["protection_flag_open"]
    assert response.status_code == 409 and response.json()["unmet"][0]["code"] == "protection_flag_open"
    assert snapshot(booked_family) == before


def test_a_no_show_is_not_approved_again_once_a_declaration_was_withdrawn(booked_family, caseworker,
                                                                          movement_officer, flight):
    day_of_travel(flight)
    travel.movement_transition(actor=movement_officer, movement_id=flight.pk, to="departed", boarded=[])
    booked_family.refresh_from_db()
    assert booked_family.status == "no_show" and booked_family.reception_centre_id is None
    declaration = booked_family.members.first().declarations.get()
    screening.declaration_withdraw(actor=caseworker, declaration_id=declaration.pk, reason="Ya no quiere")
    before = snapshot(booked_family)

    response = api_as(movement_officer).post(f"/api/v1/cases/{booked_family.pk}/transitions/", {"to": "approved"},
                                             format="json")

    assert response.status_code == 409
    assert [u["code"] for u in response.json()["unmet"]] == ["screening_unmet"]  # an officer is not told why
    assert snapshot(booked_family) == before


# -- Guards read facts, never the caller's word ---------------------------------------------------------------------

@pytest.mark.parametrize("to", ["in_transit", "no_show", "approved"])
def test_the_travel_moves_are_refused_from_the_case_api_whatever_the_body_says(booked_family, movement_officer, to):
    before = snapshot(booked_family)

    response = api_as(movement_officer).post(f"/api/v1/cases/{booked_family.pk}/transitions/",
                                             {"to": to, "departure": True, "unbook": True, "check_in": True},
                                             format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "transition_refused"
    assert snapshot(booked_family) == before


def test_arrival_is_refused_from_the_case_api_until_the_travellers_are_checked_in(booked_family, movement_officer,
                                                                                   flight, reception):
    day_of_travel(flight)
    travel.movement_transition(actor=movement_officer, movement_id=flight.pk, to="departed",
                               boarded=list(booked_family.members.values_list("pk", flat=True)))
    booked_family.refresh_from_db()
    assert booked_family.status == "in_transit"
    before = snapshot(booked_family)

    response = api_as(reception).post(f"/api/v1/cases/{booked_family.pk}/transitions/",
                                      {"to": "arrived", "check_in": True}, format="json")

    assert response.status_code == 409 and response.json()["unmet"][0]["code"] == "check_in_missing"
    assert snapshot(booked_family) == before


def test_a_departure_days_before_its_time_is_refused(booked_family, movement_officer, flight):
    before = snapshot(booked_family)

    response = api_as(movement_officer).post(f"/api/v1/movements/{flight.pk}/transitions/", {
        "to": "departed", "boarded": list(booked_family.members.values_list("pk", flat=True))}, format="json")

    assert response.status_code == 409 and response.json()["unmet"][0]["code"] == "departure_too_early"
    flight.refresh_from_db()
    assert flight.status == "confirmed" and flight.departed_at is None
    assert snapshot(booked_family) == before


def test_the_actual_departure_time_is_kept(booked_family, movement_officer, flight):
    day_of_travel(flight)
    moment = timezone.now()

    travel.movement_transition(actor=movement_officer, movement_id=flight.pk, to="departed",
                               boarded=list(booked_family.members.values_list("pk", flat=True)))

    flight.refresh_from_db()
    assert flight.departed_at is not None and abs((flight.departed_at - moment).total_seconds()) < 60


# -- The child rule, on the day of travel ---------------------------------------------------------------------------

def test_a_child_who_comes_of_age_before_the_flight_needs_a_declaration_to_be_booked(
        caseworker, supervisor, movement_officer, caravan, tij, flight):
    from tests.reception_steps import child_alone

    case = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij)
    child = case.members.get()
    eighteenth = flight.departure_at.date() - timedelta(days=1)
    type(child).objects.filter(pk=child.pk).update(date_of_birth=eighteenth.replace(year=eighteenth.year - 18))
    documents_ready(case, movement_officer)
    before = snapshot(case)

    with pytest.raises(TransitionRefused) as refused:
        travel.case_book(actor=movement_officer, movement_id=flight.pk, case_id=case.pk)

    assert "declaration_missing" in [u.code for u in refused.value.all_unmet]
    assert snapshot(case) == before


# -- Every door of approval -----------------------------------------------------------------------------------------

@pytest.fixture
def submitted_with_fear(caseworker, caravan, tij):
    from tests.screening_steps import ready_for_submission

    case = ready_for_submission(family(actor=caseworker, programme=caravan, office=tij), caseworker)
    case_transition(case_id=case.pk, to="pending_approval", actor=caseworker)
    ProtectionScreening.objects.filter(member=case.members.first()).update(fear_of_return=True)
    case.refresh_from_db()
    return case


def test_bulk_approval_refuses_a_case_whose_member_fears_return(submitted_with_fear, supervisor):
    before = snapshot(submitted_with_fear)

    [result] = cases_bulk_approve(actor=supervisor, case_ids=[submitted_with_fear.pk])

    assert result.outcome == "refused" and result.unmet[0]["code"] == "protection_flag_open"
    assert snapshot(submitted_with_fear) == before


def test_the_admin_action_refuses_a_case_whose_member_fears_return(client, submitted_with_fear, supervisor):
    supervisor.is_staff = True
    supervisor.is_superuser = True
    supervisor.save()
    client.force_login(supervisor)
    before = snapshot(submitted_with_fear)

    client.post("/admin/cases/case/", {"action": "approve_selected", "_selected_action": [submitted_with_fear.pk]})

    assert snapshot(submitted_with_fear) == before


def test_the_approve_button_refuses_a_case_whose_member_fears_return(client, submitted_with_fear, supervisor):
    client.force_login(supervisor)
    before = snapshot(submitted_with_fear)

    client.post(f"/cases/{submitted_with_fear.pk}/transition/", {"to": "approved"})

    assert snapshot(submitted_with_fear) == before


# -- The page offers only what the user could do --------------------------------------------------------------------

def test_the_case_page_never_offers_a_move_the_user_cannot_make(client, caseworker, supervisor, caravan, tij):
    from tests.screening_steps import ready_for_submission

    case = ready_for_submission(family(actor=caseworker, programme=caravan, office=tij), caseworker)
    case_transition(case_id=case.pk, to="pending_approval", actor=supervisor)
    client.force_login(supervisor)

    page = client.get(f"/cases/{case.pk}/").content.decode()

    assert 'data-to="rejected"' in page and 'data-to="withdrawn"' in page
    assert 'data-to="approved"' not in page       # submitted by them: four eyes
    assert 'data-to="referred_out"' not in page   # nobody fears return


def test_the_case_page_says_what_is_missing_before_submission(client, caseworker, caravan, tij):
    from tests.screening_steps import counsel

    case = lone_child(actor=caseworker, programme=caravan, office=tij)
    counsel(case, caseworker)  # now in screening: nobody screened, no best-interests decision yet
    client.force_login(caseworker)

    from screening.rules import MESSAGES

    page = client.get(f"/cases/{case.pk}/").content.decode()

    assert 'data-to="pending_approval" disabled' in page
    missing = page.split('data-testid="missing-pending_approval"', 1)[1].split("</ul>", 1)[0]
    with translation.override("es"):  # the caseworker's language
        for code in ("protection_screening_missing", "best_interests_missing"):
            assert str(MESSAGES[code]) % {"name": "Brayan Flores"} in missing
    assert 'data-to="booked"' not in page and 'data-to="in_transit"' not in page


def test_a_movement_officer_is_not_told_which_screening_matter_blocks_a_booking(
        caseworker, supervisor, movement_officer, caravan, tij, flight):
    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(case, movement_officer)
    ProtectionScreening.objects.filter(member=case.members.first()).update(fear_of_return=True)

    response = api_as(movement_officer).post(f"/api/v1/movements/{flight.pk}/bookings/", {"case": case.pk},
                                             format="json")

    assert response.status_code == 409
    body = response.content.decode()
    assert "screening_unmet" in body and "fear" not in body.lower()
    assert not Movement.objects.get(pk=flight.pk).bookings.exists()


# -- Taking a household off a movement ------------------------------------------------------------------------------

def test_unbooking_removes_the_old_centres_access_until_a_new_movement_is_confirmed(
        booked_family, movement_officer, flight, reception, tij):
    from accounts.choices import OfficeKind
    from tests.factories import OfficeFactory

    omoa = OfficeFactory(code="HN-OMO", name="CAMR Omoa", kind=OfficeKind.RECEPTION_CENTRE, country="HN")
    second = convoy(movement_officer, tij, omoa, mode="flight")
    api_as(movement_officer).post(f"/api/v1/movements/{second.pk}/escorts/", {"name": "Ana", "kind": "child"},
                                  format="json")
    assert api_as(reception).get(f"/api/v1/cases/{booked_family.pk}/").status_code == 200

    travel.case_unbook(actor=movement_officer, movement_id=flight.pk, case_id=booked_family.pk)
    travel.case_book(actor=movement_officer, movement_id=second.pk, case_id=booked_family.pk)

    booked_family.refresh_from_db()
    assert booked_family.status == "booked" and booked_family.reception_centre_id is None
    assert api_as(reception).get(f"/api/v1/cases/{booked_family.pk}/").status_code == 404


def test_cancelling_a_movement_removes_the_centres_access(booked_family, movement_officer, flight, reception):
    travel.movement_transition(actor=movement_officer, movement_id=flight.pk, to="cancelled")

    booked_family.refresh_from_db()
    assert booked_family.status == "approved" and booked_family.reception_centre_id is None
    assert api_as(reception).get(f"/api/v1/cases/{booked_family.pk}/").status_code == 404


def test_a_household_taken_off_a_movement_while_a_safeguard_fails_goes_on_hold_not_back_to_approved(
        booked_family, movement_officer, flight):
    ProtectionScreening.objects.filter(member=booked_family.members.first()).update(fear_of_return=True)

    travel.case_unbook(actor=movement_officer, movement_id=flight.pk, case_id=booked_family.pk)

    booked_family.refresh_from_db()
    assert booked_family.status == "on_hold"
    assert set(Booking.objects.filter(case=booked_family).values_list("status", flat=True)) == {"cancelled"}


def test_closing_with_other_needs_a_note(caseworker, supervisor, movement_officer, reception, caravan, tij, flight):
    from reception import services as reception_services

    case = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    documents_ready(case, movement_officer)
    from tests.reception_steps import departed

    departed(flight, movement_officer, [case])
    for member in case.members.all():
        reception_services.check_in(actor=reception, movement_id=flight.pk, member_id=member.pk)
    case.refresh_from_db()
    assert case.status == "arrived"

    with pytest.raises(TransitionRefused) as refused:
        reception_services.case_close(actor=reception, case_id=case.pk, reason="other", note=" ")
    reception_services.case_close(actor=reception, case_id=case.pk, reason="other", note="Se mudó a otro país")

    assert [u.code for u in refused.value.unmet] == ["closure_note_missing"]
    case.refresh_from_db()
    assert case.status == "closed" and case.closure_reason == "other"


def test_every_irreversible_move_of_the_tables_asks_for_confirmation_and_no_other():
    from avr.confirm import CASE_QUESTIONS, MOVEMENT_QUESTIONS
    from travel.rules import MOVEMENT_ALLOWED

    assert set(CASE_QUESTIONS) == {to for moves in ALLOWED.values() for to, move in moves.items() if move.confirm}
    assert set(MOVEMENT_QUESTIONS) == {to for moves in MOVEMENT_ALLOWED.values() for to, move in moves.items()
                                       if move.confirm}


def test_the_movement_page_offers_its_moves_from_the_table_and_says_when_the_departure_is_too_early(
        client, booked_family, movement_officer, flight):
    client.force_login(movement_officer)

    early = client.get(f"/movements/{flight.pk}/").content.decode()
    day_of_travel(flight)
    on_the_day = client.get(f"/movements/{flight.pk}/").content.decode()

    assert 'data-to="confirmed"' not in early and 'data-to="cancelled"' in early  # confirmed: depart or cancel
    assert 'data-code="departure_too_early"' in early and 'data-to="departed" disabled' in early
    assert 'data-code="departure_too_early"' not in on_the_day and 'data-to="departed" disabled' not in on_the_day


def test_every_safeguard_has_a_reason_for_the_timeline_that_names_nobody():
    from cases.services import SAFEGUARD_REASONS

    codes = {"protection_flag_open", "declaration_missing", "best_interests_missing", "best_interests_not_return",
             "guardian_consent_missing", "fitness_missing", "unfit_to_travel", "birth_date_missing",
             "same_person_active"}
    assert codes <= set(SAFEGUARD_REASONS)
    assert all("%(" not in str(reason) for reason in SAFEGUARD_REASONS.values())
